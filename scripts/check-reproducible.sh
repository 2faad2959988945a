#!/usr/bin/env bash
# Builds every module twice from clean (tests skipped) and compares the SHA-256 of every jar.
# Exit 0 when the two builds are byte-identical, 1 (naming the jars) when they are not.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
. scripts/find-jdk.sh
build() {
  mvn -B -ntp -q clean package -DskipTests >/tmp/opg-reproducible-build.log 2>&1 || { echo "build failed; see /tmp/opg-reproducible-build.log" >&2; return 1; }
  find . -path ./node_modules -prune -o -path '*/target/*.jar' -print | sort | xargs sha256sum
}
first=$(build)
second=$(build)
if [ "$first" = "$second" ]; then
  echo "reproducible: $(echo "$first" | wc -l) jars byte-identical across two clean builds"
else
  echo "NOT reproducible:" >&2
  diff <(echo "$first") <(echo "$second") >&2 || true
  exit 1
fi

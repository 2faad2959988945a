#!/usr/bin/env bash
# Runs the JMH suite in a short but honest configuration (1 fork, 2 warm-up and 3 measured
# iterations of 1 s each; about 30 minutes on 2 cores, about 100 forks) and writes benchmarks/RESULTS.md.
#   benchmarks/run.sh                  everything
#   benchmarks/run.sh 'Hashing|Merkle' a regular expression of benchmark classes; the rows it does
#                                      not measure are kept from the previous RESULTS.md, each marked
#                                      "(run of DATE)" with the date of the run that measured it
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/find-jdk.sh
filter="${1:-.*}"
mvn -B -ntp -q package -pl benchmarks -am -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true
mkdir -p benchmarks/target
# libtorch reads its CPU kernel set when it loads; the determinism profile requires it pinned.
export ATEN_CPU_CAPABILITY="${ATEN_CPU_CAPABILITY:-avx2}"
facts=benchmarks/target/facts
rm -rf "$facts"
# Gas from real anvil receipts: the chain module's gas test writes opg-chain/target/gas-report.json.
mvn -B -ntp -q test -pl opg-chain -am -Dtest=GasReportTest -Dsurefire.failIfNoSpecifiedTests=false
# GenerationBenchmark's kjv-gpt-large (25.9M parameters, 103 MB of ONNX: not committed) is made here, once,
# from its seeded initial weights by the training script (about 10 s; needs python3-torch, python3-onnx
# and bible-kjv, as the script says). Without them its rows show as "not run".
large=benchmarks/target/models/kjv-gpt-large
if [ ! -f "$large/model.onnx" ]; then
  /usr/bin/python3 opg-examples/models/train_gpt.py --layers 8 --heads 8 --d-model 512 --steps 0 --out "$PWD/$large" >/dev/null \
    || { echo "could not make $large; its GenerationBenchmark rows will not run" >&2; rm -rf "$large"; }
fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# JMH passes these -D options on to each benchmark's fork. A benchmark that fails is reported by
# JMH and shows as "not run" in the table; the table is written either way.
"$JAVA_HOME/bin/java" -Dai.djl.offline=true -Dopg.bench.facts="$facts" -jar benchmarks/target/benchmarks.jar "$filter" \
  -f 1 -wi 2 -w 1s -i 3 -r 1s -rf json -rff benchmarks/target/jmh.json \
  || echo "JMH exited with status $?; writing the table from what it measured" >&2
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
gas=opg-chain/target/gas-report.json
{
  echo "# Benchmark results"
  echo
  echo "Measured by \`benchmarks/run.sh\` on $(nproc) cores, $(date -u +%Y-%m-%d), $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1)."
  echo "Each ratio compares two benchmarks of the same JMH run. ± is JMH's 99.9% error over 3 iterations."
  echo "Load average (1, 5, 15 min) before the JMH run: $load_before; after: $load_after (a load above $(nproc) means other work shared the cores)."
  if [ "$filter" != ".*" ]; then
    echo "This run measured the benchmarks matching '$filter'; rows marked \"(run of DATE)\" are kept from the earlier run of that date, each row whole (value, baseline and ratio from one run)."
  fi
  if [ -n "${OPG_BENCH_NOTE:-}" ]; then echo; echo "$OPG_BENCH_NOTE"; fi
  echo
} > benchmarks/RESULTS.md.tmp
"$JAVA_HOME/bin/java" -cp benchmarks/target/benchmarks.jar dev.opg.benchmarks.ResultsTable \
  benchmarks/target/jmh.json benchmarks/target/table.md "$gas" "$facts" \
  $([ "$filter" != ".*" ] && [ -f benchmarks/RESULTS.md ] && echo benchmarks/RESULTS.md)
cat benchmarks/target/table.md >> benchmarks/RESULTS.md.tmp
mv benchmarks/RESULTS.md.tmp benchmarks/RESULTS.md
cat benchmarks/RESULTS.md

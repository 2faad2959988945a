#!/usr/bin/env bash
# The project's entry point on a fresh machine. Finds a JDK >= 21 by itself.
#   ./run.sh demo    the end-to-end demo (build, then run it)
#   ./run.sh test    every test of every module
#   ./run.sh bench   the JMH suite, or the benchmark classes matching a regular expression (see benchmarks/)
set -euo pipefail
cd "$(dirname "$0")"
. scripts/find-jdk.sh
command -v mvn >/dev/null || { echo "error: Apache Maven (mvn) is not on the PATH; apt-get install maven" >&2; exit 1; }
MVN=(mvn -B -ntp)

. scripts/ensure-npm.sh

case "${1:-}" in
  test)
    ensure_npm
    "${MVN[@]}" install
    scripts/consumer-check.sh # the README's Java snippet, built as a user's project against these artifacts
    ;;
  demo)
    ensure_npm
    "${MVN[@]}" -q install -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip -pl opg-cli -am
    shift
    bin/opg demo "$@"
    ;;
  bench)
    ensure_npm
    shift
    benchmarks/run.sh "$@"
    ;;
  *)
    echo "usage: ./run.sh demo | test | bench [REGEX]" >&2
    exit 2
    ;;
esac

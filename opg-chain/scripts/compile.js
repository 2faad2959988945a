#!/usr/bin/env node
// Compiles a contract of opg-chain/src/main/solidity/ (TranscriptAnchor by default) with the pinned
// solc-js (npm "solc") into its committed artifact opg-chain/src/main/resources/dev/opg/chain/NAME.json.
// Deterministic: fixed settings, no metadata hash, fixed source key, stable JSON layout, so the
// drift tests (TranscriptAnchorArtifactTest, ModelRegistryArtifactTest) can recompile and compare
// byte for byte.
//
// usage: node opg-chain/scripts/compile.js [--contract NAME] [output.json]
//        NAME: TranscriptAnchor (default) or ModelRegistry
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const moduleDir = path.resolve(__dirname, '..');
const repoRoot = path.resolve(moduleDir, '..');
const solc = require(require.resolve('solc', { paths: [repoRoot, moduleDir] }));

const CONTRACTS = ['TranscriptAnchor', 'ModelRegistry'];
const args = process.argv.slice(2);
let CONTRACT = 'TranscriptAnchor';
if (args[0] === '--contract') {
  CONTRACT = args[1];
  args.splice(0, 2);
  if (!CONTRACTS.includes(CONTRACT)) {
    console.error('unknown contract ' + CONTRACT + '; expected one of ' + CONTRACTS.join(', '));
    process.exit(2);
  }
}
const SOURCE_KEY = CONTRACT + '.sol';
const sourcePath = path.join(moduleDir, 'src', 'main', 'solidity', SOURCE_KEY);
const out = args[0] || path.join(moduleDir, 'src', 'main', 'resources', 'dev', 'opg', 'chain', CONTRACT + '.json');

const source = fs.readFileSync(sourcePath, 'utf8');
const settings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  metadata: { bytecodeHash: 'none', appendCBOR: false },
  outputSelection: { [SOURCE_KEY]: { [CONTRACT]: ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};
const input = { language: 'Solidity', sources: { [SOURCE_KEY]: { content: source } }, settings };
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === 'error');
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);

const c = output.contracts[SOURCE_KEY][CONTRACT];
const artifact = {
  contractName: CONTRACT,
  sourceName: 'opg-chain/src/main/solidity/' + SOURCE_KEY,
  sourceSha256: crypto.createHash('sha256').update(source, 'utf8').digest('hex'),
  compiler: {
    name: 'solc-js',
    version: solc.version(),
    settings: { optimizer: settings.optimizer, evmVersion: settings.evmVersion, metadata: settings.metadata },
  },
  abi: c.abi,
  bytecode: '0x' + c.evm.bytecode.object,
  deployedBytecode: '0x' + c.evm.deployedBytecode.object,
};
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(artifact, null, 2) + '\n');
console.log('wrote ' + out);

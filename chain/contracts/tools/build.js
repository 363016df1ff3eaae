#!/usr/bin/env node
// Compiles src/*.sol with the pinned solcjs (same settings as foundry.toml) and
// writes OUTDIR/<Contract>.json = {contractName, abi, bytecode, deployedBytecode}
// for every deployable contract. Offline; independent of forge's cache.
'use strict';
const fs = require('fs');
const path = require('path');

const here = path.resolve(__dirname, '..');
const root = path.resolve(here, '..', '..');
const solc = require(path.join(root, 'node_modules', 'solc'));
const DEPLOYABLE = ['TestToken', 'Staking', 'BlobRegistry', 'Settlement', 'Disputes', 'AssayTimelock'];

const outDir = process.argv[2];
if (!outDir) { process.stderr.write('usage: build.js OUTDIR\n'); process.exit(2); }

const srcDir = path.join(here, 'src');
const sources = {};
for (const f of fs.readdirSync(srcDir).sort()) {
  if (f.endsWith('.sol')) sources['src/' + f] = { content: fs.readFileSync(path.join(srcDir, f), 'utf8') };
}
const input = {
  language: 'Solidity',
  sources,
  settings: {
    evmVersion: 'cancun',
    optimizer: { enabled: true, runs: 200 },
    viaIR: true,
    remappings: ['@openzeppelin/=node_modules/@openzeppelin/'],
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
  },
};
// Skip the (slow, via-IR) compile when nothing that feeds it changed since the last run.
const crypto = require('crypto');
const ozPkg = path.join(root, 'node_modules', '@openzeppelin', 'contracts', 'package.json');
const stampInput = JSON.stringify({
  solc: solc.version(),
  settings: input.settings,
  sources: Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, v.content])),
  oz: fs.existsSync(ozPkg) ? JSON.parse(fs.readFileSync(ozPkg, 'utf8')).version : '',
  deployable: DEPLOYABLE,
});
const stamp = crypto.createHash('sha256').update(stampInput).digest('hex');
const stampFile = path.join(outDir, '.build-stamp');
if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8').trim() === stamp &&
    DEPLOYABLE.every((n) => fs.existsSync(path.join(outDir, n + '.json')))) {
  process.exit(0);
}

function findImports(p) {
  for (const c of [path.join(here, p), path.join(root, p)]) {
    try { return { contents: fs.readFileSync(c, 'utf8') }; } catch (e) { /* next */ }
  }
  return { error: 'File not found: ' + p };
}
const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
let failed = false;
for (const e of out.errors || []) {
  if (e.severity === 'error') { failed = true; process.stderr.write(e.formattedMessage + '\n'); }
}
if (failed) process.exit(1);
fs.mkdirSync(outDir, { recursive: true });
const seen = new Set();
for (const file of Object.keys(out.contracts || {})) {
  for (const [name, c] of Object.entries(out.contracts[file])) {
    if (!file.startsWith('src/') || !DEPLOYABLE.includes(name)) continue;
    seen.add(name);
    const doc = {
      contractName: name,
      sourceName: file,
      abi: c.abi,
      bytecode: '0x' + c.evm.bytecode.object,
      deployedBytecode: '0x' + c.evm.deployedBytecode.object,
    };
    const tmp = path.join(outDir, name + '.json.tmp');
    fs.writeFileSync(tmp, JSON.stringify(doc, null, 1) + '\n');
    fs.renameSync(tmp, path.join(outDir, name + '.json'));
  }
}
const missing = DEPLOYABLE.filter((n) => !seen.has(n));
if (missing.length) { process.stderr.write('missing contracts: ' + missing.join(', ') + '\n'); process.exit(1); }
fs.writeFileSync(stampFile, stamp + '\n');

#!/usr/bin/env node
// Prints the function / event / error signatures (with selectors and topic0) of the
// deployable contracts as markdown, for INTERFACE.md. Usage: abi_summary.js OUTDIR
'use strict';
const fs = require('fs');
const path = require('path');
const root = path.resolve(__dirname, '..', '..', '..');
const { keccak256 } = require(path.join(root, 'node_modules', 'js-sha3'));

function typeOf(p) {
  if (p.type.startsWith('tuple')) return '(' + p.components.map(typeOf).join(',') + ')' + p.type.slice(5);
  return p.type;
}
function sig(item) { return item.name + '(' + item.inputs.map(typeOf).join(',') + ')'; }
function named(item) {
  return item.name + '(' + item.inputs.map((p) => typeOf(p) + (p.indexed ? ' indexed' : '') + (p.name ? ' ' + p.name : '')).join(', ') + ')';
}
const outDir = process.argv[2];
for (const name of ['Staking', 'BlobRegistry', 'Settlement', 'Disputes', 'TestToken']) {
  const j = JSON.parse(fs.readFileSync(path.join(outDir, name + '.json'), 'utf8'));
  const abi = j.abi;
  console.log('### ' + name + '\n');
  const ctor = abi.find((x) => x.type === 'constructor');
  if (ctor) console.log('constructor: `' + named({ name: name, inputs: ctor.inputs }) + '`\n');
  const fns = abi.filter((x) => x.type === 'function').sort((a, b) => a.name.localeCompare(b.name));
  console.log('| selector | function | returns |\n|---|---|---|');
  for (const f of fns) {
    const sel = keccak256(sig(f)).slice(0, 8);
    const ret = (f.outputs || []).map((o) => typeOf(o) + (o.name ? ' ' + o.name : '')).join(', ');
    console.log('| `0x' + sel + '` | `' + named(f) + '`' + (f.stateMutability === 'view' || f.stateMutability === 'pure' ? ' (view)' : '') + ' | ' + (ret ? '`' + ret + '`' : '') + ' |');
  }
  console.log('\n| topic0 | event |\n|---|---|');
  for (const e of abi.filter((x) => x.type === 'event').sort((a, b) => a.name.localeCompare(b.name))) {
    console.log('| `0x' + keccak256(sig(e)) + '` | `' + named(e) + '` |');
  }
  console.log('\n| selector | error |\n|---|---|');
  for (const e of abi.filter((x) => x.type === 'error').sort((a, b) => a.name.localeCompare(b.name))) {
    console.log('| `0x' + keccak256(sig(e)).slice(0, 8) + '` | `' + named(e) + '` |');
  }
  console.log('');
}

#!/usr/bin/env node
// Hash test vectors for INTERFACE.md (checked against Solidity by test/Vectors.t.sol).
'use strict';
const path = require('path');
const { keccak256 } = require(path.join(__dirname, '..', '..', '..', 'node_modules', 'js-sha3'));
const hex = (b) => Buffer.from(b).toString('hex');
const k = (buf) => Buffer.from(keccak256.arrayBuffer(buf));
const ks = (s) => k(Buffer.from(s, 'utf8'));
const word = (n) => { const b = Buffer.alloc(32); let x = BigInt(n); for (let i = 31; i >= 0; i--) { b[i] = Number(x & 255n); x >>= 8n; } return b; };
const addr = (a) => Buffer.concat([Buffer.alloc(12), Buffer.from(a.slice(2), 'hex')]);
const b32 = (h) => Buffer.from(h.slice(2), 'hex');

const chainId = 31337;
const settlement = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const registry = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512';
const DOMAIN_T = ks('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)');
const dom = (v) => k(Buffer.concat([DOMAIN_T, ks('assay'), ks('1'), word(chainId), addr(v)]));
const digest = (d, sh) => k(Buffer.concat([Buffer.from([0x19, 0x01]), d, sh]));

const T = {
  StorageConfirmation: ks('StorageConfirmation(bytes32 blobId,uint64 epoch)'),
  SecretCommit: ks('SecretCommit(uint64 epoch,uint8 auditorId,bytes32 secretHash)'),
  AttestationCommit: ks('AttestationCommit(uint64 epoch,uint8 auditorId,bytes32 attestationDigest)'),
  Attestation: ks('Attestation(uint64 epoch,bytes32 committeeHash,bytes32 countsHash,bytes32 evidenceRoot,bytes32 evidenceBlob,bytes32 secret)'),
};
for (const [n, v] of Object.entries(T)) console.log(`typehash ${n} = 0x${hex(v)}`);
const dS = dom(settlement), dR = dom(registry);
console.log(`domainSeparator(chainId=${chainId}, Settlement=${settlement}) = 0x${hex(dS)}`);
console.log(`domainSeparator(chainId=${chainId}, BlobRegistry=${registry}) = 0x${hex(dR)}`);

const nodes = ['0x0000000000000000000000000000000000010000', '0x0000000000000000000000000000000000010001', '0x0000000000000000000000000000000000010002'];
const committeeEnc = Buffer.concat([word(32), word(nodes.length), ...nodes.map(addr)]);
const committeeHash = k(committeeEnc);
console.log(`committeeHash([${nodes.join(', ')}]) = 0x${hex(committeeHash)}`);
const passed = [10, 0, 7], decided = [10, 0, 9];
const m = passed.length;
const countsEnc = Buffer.concat([word(64), word(64 + 32 + 32 * m), word(m), ...passed.map(word), word(m), ...decided.map(word)]);
const countsHash = k(countsEnc);
console.log(`countsHash(passed=[${passed}], decided=[${decided}]) = 0x${hex(countsHash)}`);
const secret = ks('assay secret');
console.log(`secret = keccak256("assay secret") = 0x${hex(secret)}`);
const secretHash = k(secret);
console.log(`secretHash = keccak256(secret) = 0x${hex(secretHash)}`);
const evidenceRoot = ks('evidence');
console.log(`evidenceRoot = keccak256("evidence") = 0x${hex(evidenceRoot)}`);
const evidenceBlob = ks('evidence blob');
console.log(`evidenceBlob = keccak256("evidence blob") = 0x${hex(evidenceBlob)}`);
const epoch = 7, auditorId = 2;
const attSH = k(Buffer.concat([T.Attestation, word(epoch), committeeHash, countsHash, evidenceRoot, evidenceBlob, secret]));
const attD = digest(dS, attSH);
console.log(`Attestation(epoch=${epoch}, committeeHash, countsHash, evidenceRoot, evidenceBlob, secret): structHash = 0x${hex(attSH)}, digest = 0x${hex(attD)}`);
const acSH = k(Buffer.concat([T.AttestationCommit, word(epoch), word(auditorId), attD]));
console.log(`AttestationCommit(epoch=${epoch}, auditorId=${auditorId}, attestationDigest): digest = 0x${hex(digest(dS, acSH))}`);
const scSH = k(Buffer.concat([T.SecretCommit, word(epoch + 1), word(auditorId), secretHash]));
console.log(`SecretCommit(epoch=${epoch + 1}, auditorId=${auditorId}, secretHash): digest = 0x${hex(digest(dS, scSH))}`);
const blobId = ks('blob');
const stSH = k(Buffer.concat([T.StorageConfirmation, blobId, word(epoch)]));
console.log(`StorageConfirmation(blobId=keccak256("blob")=0x${hex(blobId)}, epoch=${epoch}): digest = 0x${hex(digest(dR, stSH))}`);
const prevSeed = ks('prev seed');
console.log(`fallback seed(prevSeed=keccak256("prev seed"), epoch=${epoch}) = 0x${hex(k(Buffer.concat([prevSeed, word(epoch)])))}`);

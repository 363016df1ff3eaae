// verify.js: what the pages check in the browser, from INTERFACE.md and settle/EVIDENCE.md:
// the EIP-712 Attestation digest, signature recovery (secp256k1, low-s), countsHash,
// secretHash and evidence Merkle proofs (Keccak-256). No trust in the server's verdicts.
import { secp256k1 } from '@noble/curves/secp256k1';
import { keccak_256 } from '@noble/hashes/sha3';
import { bytesToHex, hexToBytes, concatBytes, utf8ToBytes } from '@noble/hashes/utils';

export const hex = (b) => '0x' + bytesToHex(b);
export const bytes = (h) => hexToBytes(h.startsWith('0x') ? h.slice(2) : h);
export const keccak = (b) => keccak_256(b);

export function word(v) { // a uint (BigInt/number) or 20/32 bytes as one 32-byte ABI word
  const w = new Uint8Array(32);
  if (v instanceof Uint8Array) { w.set(v, 32 - v.length); return w; }
  let x = BigInt(v);
  for (let i = 31; i >= 0 && x > 0n; i--) { w[i] = Number(x & 0xffn); x >>= 8n; }
  return w;
}

const DOMAIN_TYPE = 'EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)';
const ATTESTATION_TYPE = 'Attestation(uint64 epoch,bytes32 committeeHash,bytes32 countsHash,bytes32 evidenceRoot,bytes32 evidenceBlob,bytes32 secret)';

export function domainSeparator(chainId, settlement) {
  return keccak(concatBytes(keccak(utf8ToBytes(DOMAIN_TYPE)), keccak(utf8ToBytes('assay')),
    keccak(utf8ToBytes('1')), word(chainId), word(bytes(settlement))));
}

// The digest an auditor signs (and commits to) for epoch e.
export function attestationDigest(dom, a) {
  const sh = keccak(concatBytes(keccak(utf8ToBytes(ATTESTATION_TYPE)), word(a.epoch),
    bytes(a.committeeHash), bytes(a.countsHash), bytes(a.evidenceRoot), bytes(a.evidenceBlob), bytes(a.secret)));
  return keccak(concatBytes(new Uint8Array([0x19, 0x01]), dom, sh));
}

const HALF_N = secp256k1.CURVE.n / 2n;

// The address that signed digest with sig (65 bytes r ‖ s ‖ v, v 27/28, low s), or throws.
export function recoverSigner(digest, sigHex) {
  const sig = bytes(sigHex);
  if (sig.length !== 65) throw new Error('signature is not 65 bytes');
  const v = sig[64];
  if (v !== 27 && v !== 28) throw new Error('v is not 27 or 28');
  const s = secp256k1.Signature.fromCompact(sig.slice(0, 64)).addRecoveryBit(v - 27);
  if (s.s > HALF_N) throw new Error('high s');
  const pub = s.recoverPublicKey(digest).toRawBytes(false);
  return hex(keccak(pub.slice(1)).slice(12));
}

// keccak256(abi.encode(uint32[] passed, uint32[] decided))
export function countsHash(passed, decided) {
  const m = passed.length;
  const parts = [word(0x40), word(0x60 + 32 * m), word(m), ...passed.map(word), word(m), ...decided.map(word)];
  return hex(keccak(concatBytes(...parts)));
}

export const secretHash = (secret) => hex(keccak(bytes(secret)));

// EVIDENCE.md, tree version 2: a sum node is (h, passed, decided), hashed above it as the 40
// bytes h ‖ u32be passed ‖ u32be decided.
const u32 = (v) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0); return b; };
const encSum = (s) => concatBytes(bytes(s.h), u32(s.passed), u32(s.decided));
const combine = (l, r) => ({ h: hex(keccak(concatBytes(new Uint8Array([1]), encSum(l), encSum(r)))),
  passed: (l.passed + r.passed) >>> 0, decided: (l.decided + r.decided) >>> 0 });

// A record's path up its node's sum subtree: leaf = (H(0x00 ‖ record), pass?, not
// auditor_error?), inner = combine; the bits of pos choose. Returns the subtree root it
// leads to (at most 32 steps, pos >> steps = 0, as EvidenceTree.sumRoot).
export function evidenceSubRoot(recordHex, pos, subPath) {
  if (subPath.length > 32) throw new Error('subtree path longer than 32 steps');
  if (subPath.length < 31 && (pos >> subPath.length) !== 0) throw new Error('pos >> length ≠ 0');
  const outcome = bytes(recordHex)[113];
  let cur = { h: hex(keccak(concatBytes(new Uint8Array([0]), bytes(recordHex)))),
    passed: outcome === 0 ? 1 : 0, decided: outcome === 9 ? 0 : 1 };
  let i = pos;
  for (const sib of subPath) {
    cur = (i & 1) ? combine(sib, cur) : combine(cur, sib);
    i >>= 1;
  }
  return cur;
}

// A node's entry H(0x02 ‖ node ‖ sub) up the top tree (inner H(0x03 ‖ l ‖ r), exactly
// ⌈log2 count⌉ steps, as EvidenceTree.topRoot): the evidence root it leads to.
export function evidenceRoot(node, sub, index, count, topPath) {
  let depth = 0;
  while ((1 << depth) < count) depth++;
  if (index >= count || topPath.length !== depth) throw new Error('top path is not ⌈log2 count⌉ steps');
  let h = keccak(concatBytes(new Uint8Array([2]), bytes(node), encSum(sub)));
  let i = index;
  for (const p of topPath) {
    const sib = bytes(p);
    h = keccak((i & 1) ? concatBytes(new Uint8Array([3]), sib, h) : concatBytes(new Uint8Array([3]), h, sib));
    i >>= 1;
  }
  return hex(h);
}

const OUTCOMES = ['pass', 'invalid_proof', 'wrong_size', 'bad_metadata', 'not_found', 'http_error',
  'malformed', 'timeout', 'unreachable', 'auditor_error'];
const TAG = 'assay.evidence.v2';

// The 150-byte record of EVIDENCE.md, decoded.
export function decodeRecord(recordHex) {
  const b = bytes(recordHex);
  if (b.length !== 150) throw new Error('a record is 150 bytes');
  if (new TextDecoder().decode(b.slice(0, 17)) !== TAG) throw new Error('bad tag');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    epoch: dv.getBigUint64(17), auditor: hex(b.slice(25, 45)), seq: dv.getBigUint64(45),
    attempt: b[53], node: hex(b.slice(54, 74)), blob: hex(b.slice(74, 106)),
    shard: dv.getUint16(106), row: dv.getUint16(108), col: dv.getUint16(110),
    axis: b[112] ? 'secondary' : 'primary', outcome: OUTCOMES[b[113]] ?? String(b[113]),
    latency_ms: dv.getUint32(114), response_hash: hex(b.slice(118, 150)),
  };
}

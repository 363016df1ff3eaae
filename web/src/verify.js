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
const ATTESTATION_TYPE = 'Attestation(uint64 epoch,bytes32 committeeHash,bytes32 countsHash,bytes32 evidenceRoot,bytes32 secret)';

export function domainSeparator(chainId, settlement) {
  return keccak(concatBytes(keccak(utf8ToBytes(DOMAIN_TYPE)), keccak(utf8ToBytes('assay')),
    keccak(utf8ToBytes('1')), word(chainId), word(bytes(settlement))));
}

// The digest an auditor signs (and commits to) for epoch e.
export function attestationDigest(dom, a) {
  const sh = keccak(concatBytes(keccak(utf8ToBytes(ATTESTATION_TYPE)), word(a.epoch),
    bytes(a.committeeHash), bytes(a.countsHash), bytes(a.evidenceRoot), bytes(a.secret)));
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

// EVIDENCE.md: leaf = H(0x00 ‖ record), inner = H(0x01 ‖ l ‖ r); bits of index choose.
export function evidenceRoot(recordHex, index, count, proof) {
  let depth = 0;
  while ((1 << depth) < count) depth++;
  if (proof.length > depth) throw new Error('proof longer than ⌈log2 count⌉');
  if (proof.length < 31 && (index >> proof.length) !== 0) throw new Error('index >> length ≠ 0');
  let h = keccak(concatBytes(new Uint8Array([0]), bytes(recordHex)));
  let i = index;
  for (const p of proof) {
    const sib = bytes(p);
    h = keccak((i & 1) ? concatBytes(new Uint8Array([1]), sib, h) : concatBytes(new Uint8Array([1]), h, sib));
    i >>= 1;
  }
  return hex(h);
}

const OUTCOMES = ['pass', 'invalid_proof', 'wrong_size', 'bad_metadata', 'not_found', 'http_error',
  'malformed', 'timeout', 'unreachable', 'auditor_error'];
const TAG = 'assay.evidence.v1';

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

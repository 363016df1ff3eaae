// chain.js: reading the contracts from the page by JSON-RPC (batched), with the selectors
// and event topics of chain/contracts/INTERFACE.md section 12.
import { word, hex } from './verify.js';

export const SEL = {
  currentEpoch: '0x76671808', epochInfo: '0xf9f3de7e', committee: '0x55ec742f',
  committeeHash: '0xeda9abf3', pools: '0xa4063dbc', nodeInfo: '0x23c2e2bc',
  nextToSettle: '0x7fe2fe79', phases: '0x202c804f', epochStates: '0xeb7b2066',
  params: '0xcff0ab96', auditors: '0x26713ec0', attestationCommits: '0xe194f9c4',
  secretHashes: '0x36649836',
};
export const TOPIC = {
  AttestationRevealed: '0x7c298a50a6253920bcede8828c6964cefaa73b662aec8959805aa5f7cea62817',
  AttestationCommitted: '0x78066e3dd88c4cb060eeb1742c43971f17838fba1866c01775d19229c8c37fca',
  EpochFinalized: '0x5773c24e36dec659e750fb124a69526aac321fc6f7b5b9d5eb320ac97a9d2859',
  EpochVoided: '0x6357040632068ee4fb9806dbecc49e13c759c7a34b2400ef280191e513164253',
  NodeScored: '0x6bec1512b962a971b9dc190f064b1359387b31055c0aec9b3631153ecb4cbb6d',
  AttestationDisputed: '0x3eb21b2fa02a9746ba94d32d68caadb2e7f9140ab21937ecdcfa4a4d192c6b2a',
};
// AttestationDisputed.kind (INTERFACE.md "Fraud proofs"), named as `assay attestations` does
export const DISPUTE_KINDS = [null, 'node_total', 'sum_node', 'record', 'order', 'verdict', 'schedule', 'too_many'];

export const topicU = (v) => hex(word(v));
export const topicAddr = (a) => '0x' + '0'.repeat(24) + a.slice(2).toLowerCase();
const enc = (...args) => args.map((a) => (typeof a === 'string' && a.startsWith('0x') && a.length === 42
  ? topicAddr(a) : topicU(a)).slice(2)).join('');

export class Chain {
  constructor(url, dep) { this.url = url; this.dep = dep; this.id = 1; }

  async batch(calls) { // [{method, params}] -> results (an error entry throws)
    if (!calls.length) return [];
    const body = calls.map((c, i) => ({ jsonrpc: '2.0', id: this.id + i, method: c.method, params: c.params }));
    const first = this.id;
    this.id += calls.length;
    const r = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`RPC answered HTTP ${r.status}`);
    let out = await r.json();
    if (!Array.isArray(out)) out = [out];
    const byId = new Map(out.map((o) => [o.id, o]));
    return calls.map((c, i) => {
      const o = byId.get(first + i);
      if (!o || o.error) throw new Error(`${c.method}: ${o && o.error ? o.error.message : 'no answer'}`);
      return o.result;
    });
  }
  call(to, sel, ...args) { return { method: 'eth_call', params: [{ to, data: sel + enc(...args) }, 'latest'] }; }
  logs(address, topics) {
    return { method: 'eth_getLogs', params: [{ address, fromBlock: '0x' + BigInt(this.dep.start_block).toString(16), toBlock: 'latest', topics }] };
  }
  staking(sel, ...a) { return this.call(this.dep.staking, sel, ...a); }
  settlement(sel, ...a) { return this.call(this.dep.settlement, sel, ...a); }
}

// ABI decoding over 32-byte words of a hex string.
export class Words {
  constructor(h) { this.h = h.startsWith('0x') ? h.slice(2) : h; }
  get length() { return this.h.length / 64; }
  w(i) { return this.h.slice(i * 64, i * 64 + 64); }
  u(i) { return BigInt('0x' + (this.w(i) || '0')); }
  n(i) { return Number(this.u(i)); }
  b32(i) { return '0x' + this.w(i); }
  addr(i) { return '0x' + this.w(i).slice(24); }
  bool(i) { return this.u(i) !== 0n; }
  arr(i, f) { // dynamic array whose offset is at word i
    const at = this.n(i) / 32, len = this.n(at);
    return Array.from({ length: len }, (_, k) => f(at + 1 + k));
  }
  str(i) {
    const at = this.n(i) / 32, len = this.n(at);
    const hexs = this.h.slice((at + 1) * 64, (at + 1) * 64 + len * 2);
    return new TextDecoder().decode(Uint8Array.from(hexs.match(/../g) || [], (x) => parseInt(x, 16)));
  }
}
export const W = (h) => new Words(h);

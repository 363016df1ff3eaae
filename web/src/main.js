// main.js: the pages of `assay api serve` (settle/web.h). Numbers come from /v1/ (this
// server's database); what can be checked is checked here against the chain by JSON-RPC.
import uPlot from 'uplot';
import { Chain, W, SEL, TOPIC, DISPUTE_KINDS, topicU, topicAddr } from './chain.js';
import { keccak, hex, bytes, domainSeparator, attestationDigest, recoverSigner, countsHash,
  secretHash, evidenceRoot, evidenceSubRoot, decodeRecord } from './verify.js';

const $main = document.getElementById('main');
const params = new URLSearchParams(location.search);

// ---- small helpers ----
class NotFound extends Error {}
function h(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-') || k.startsWith('aria-') || ['href', 'title', 'id', 'role', 'scope', 'for', 'tabindex', 'value', 'colspan'].includes(k)) e.setAttribute(k, v);
    else if (k === 'onclick' || k === 'onchange') e.addEventListener(k.slice(2), v);
    else e[k] = v;
  }
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined && kid !== false) e.append(kid instanceof Node ? kid : String(kid));
  return e;
}
const lc = (a) => (a || '').toLowerCase();
export function checksum(addr) {
  const a = lc(addr).replace(/^0x/, '');
  const hh = hex(keccak(new TextEncoder().encode(a))).slice(2);
  return '0x' + [...a].map((c, i) => (parseInt(hh[i], 16) >= 8 ? c.toUpperCase() : c)).join('');
}
const short = (x) => (x && x.length > 14 ? x.slice(0, 8) + '…' + x.slice(-6) : x);
// wei (decimal string) -> tokens, exact, truncated to 6 decimals
export function tokens(w) {
  if (w === null || w === undefined || !/^[0-9]+$/.test(String(w))) return '-';
  const s = String(w).padStart(19, '0');
  return `${BigInt(s.slice(0, -18))}.${s.slice(-18, -12)}`;
}
const tokF = (w) => (w === null || w === undefined ? null : Number(BigInt(w)) / 1e18);
const pctWad = (wad) => (Number(BigInt(wad)) / 1e16).toFixed(2) + '%';
const pct = (p, d) => (d ? (100 * p / d).toFixed(2) + '%' : '-');
const mark = (ok, text, why) => h('span', { class: 'mark ' + (ok === null ? 'unknown' : ok ? 'pass' : 'fail'), title: why || null,
  'data-check': text, 'data-ok': ok === null ? 'unknown' : String(ok) }, (ok === null ? '? ' : ok ? '✓ ' : '✗ ') + text);
const addrLink = (a) => h('a', { href: `/nodes/${lc(a)}`, class: 'hash' }, checksum(a));
const txt = (x) => h('span', { class: 'hash', title: x }, short(x));
const when = (unix) => (unix ? new Date(Number(unix) * 1000).toISOString().replace('.000Z', 'Z').replace('T', ' ') : '-');
function dur(s) {
  s = Math.max(0, Math.floor(s));
  const d = Math.floor(s / 86400), hh = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
  return d ? `${d}d ${hh}h` : hh ? `${hh}h ${m}m` : `${m}m ${s % 60}s`;
}
const card = (k, v, key) => h('div', { class: 'card' }, h('div', { class: 'k' }, k), h('div', { class: 'v', 'data-k': key || null }, v));
const table = (head, rows, cls) => h('div', { class: 'scroll' }, h('table', { class: cls || null },
  h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col', class: /^(shards|stake|reward|slashed|passed|decided|score|median|pool|count|latency|rollover|timeouts|invalid|not found|other|seq|attempt)/i.test(c) ? 'num' : null }, c)))),
  h('tbody', {}, rows)));

async function api(path) {
  const r = await fetch(path, { headers: { accept: 'application/json' } });
  if (r.status === 404) throw new NotFound((await r.json().catch(() => ({}))).error || 'not found');
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}: ${(await r.json().catch(() => ({}))).error || ''}`);
  return r.json();
}
async function apiAll(path, key, cursor, param) { // follows the API's cursors
  let out = [], next = null;
  for (let i = 0; i < 50; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const j = await api(next === null ? path : `${path}${sep}${param}=${next}`);
    out = out.concat(j[key]);
    next = j[cursor];
    if (next === null || next === undefined) return { first: j, all: out };
  }
  return { all: out };
}

let chainInfo = null;
async function chain() { // the Chain, or null when no deployment is known
  if (chainInfo) return chainInfo;
  const c = await api('/v1/chain');
  const url = params.get('rpc') || c.rpc_url;
  const line = document.getElementById('chainline');
  if (!c.deployment || !url) {
    line.textContent = 'No chain known to this server: nothing on this page is checked against the chain.';
    chainInfo = { c: null };
    return chainInfo;
  }
  const ch = new Chain(url, c.deployment);
  line.textContent = `Chain ${c.deployment.chain_id} at ${url} (settlement ${c.deployment.settlement}) — add ?rpc=URL to check against another node.`;
  chainInfo = { c: ch, dep: c.deployment };
  return chainInfo;
}
async function chainTry(f) { // a chain read that may fail without breaking the page
  try { return await f(); } catch (e) {
    const line = document.getElementById('chainline');
    line.textContent += ` Chain read failed: ${e.message}.`;
    return null;
  }
}

function chart(el, title, xs, series, opts = {}) {
  const width = Math.min(el.clientWidth || 600, 1150) - 14;
  const u = new uPlot({
    title, width, height: opts.height || 240,
    scales: { x: { time: false }, y: opts.y || {} },
    axes: [{ label: 'epoch', incrs: [1, 2, 5, 10, 20, 50, 100] }, { label: opts.ylabel || '', size: 60 }],
    series: [{ label: 'epoch' }, ...series],
  }, [xs, ...series.map((s) => s.data)], el);
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', `${title}: chart by epoch (the same numbers are in the table below)`);
  return u;
}

function notFound(what) {
  document.title = 'not found — assay';
  $main.replaceChildren(h('section', { class: 'notfound', 'data-page': 'notfound' },
    h('h1', {}, 'Not found'), h('p', {}, what), h('p', {}, h('a', { href: '/' }, 'Back to the network'))));
}

// Warnings as `assay payouts` prints them (cli/views_cmds.c threshold_notes).
function thresholdNotes(wad, r0Bps, penBps) {
  const bp = 100000000000000n, near = 500n * bp, s = BigInt(wad);
  const pen = BigInt(penBps) * bp, r0 = BigInt(r0Bps) * bp, out = [];
  const f = (b) => (b / 100).toFixed(2) + '%';
  if (s < pen) out.push(`below the penalty threshold ${f(penBps)}: slashed`);
  else if (s < pen + near) out.push(`WARNING: within 5 points of the penalty threshold ${f(penBps)}`);
  if (s <= r0 && s >= pen) out.push(`at or below R0 ${f(r0Bps)}: no reward`);
  else if (s > r0 && s < r0 + near) out.push(`WARNING: within 5 points of R0 ${f(r0Bps)}: most of the reward is lost`);
  return out;
}

async function readParams(c) {
  const [p] = await c.batch([c.settlement(SEL.params)]);
  const w = W(p);
  return { r0Bps: w.n(0), penaltyBps: w.n(1), slashBps: w.n(2), fA: w.n(4) };
}
const decodeCommittee = (r) => { const w = W(r); return { nodes: w.arr(0, (i) => lc(w.addr(i))), shards: w.arr(1, (i) => w.n(i)) }; };

// ---- the network page ----
async function networkPage() {
  document.title = 'network — assay';
  const [net, { c }] = await Promise.all([api('/v1/network'), chain()]);
  const cards = h('div', { class: 'cards' });
  const sec = h('section', { 'data-page': 'network' }, h('h1', {}, 'Network'), cards);
  $main.replaceChildren(sec);
  let onchain = null;
  if (c) onchain = await chainTry(async () => {
    const [cur, next, latest] = await c.batch([c.staking(SEL.currentEpoch), c.settlement(SEL.nextToSettle),
      { method: 'eth_getBlockByNumber', params: ['latest', false] }]);
    const e = Number(BigInt(cur));
    const calls = [c.staking(SEL.epochInfo, e), c.staking(SEL.committee, e), c.logs(c.dep.settlement, [TOPIC.EpochFinalized]),
      c.logs(c.dep.settlement, [TOPIC.EpochVoided]), c.settlement(SEL.epochStates, e)];
    if (e > 0) calls.push(c.settlement(SEL.phases, e - 1));
    const [info, com, fin, voided, st, ph] = await c.batch(calls);
    const committee = decodeCommittee(com);
    const pools = committee.nodes.length ? await c.batch(committee.nodes.map((n) => c.staking(SEL.pools, n))) : [];
    return { e, next: Number(BigInt(next)), now: Number(BigInt(latest.timestamp)), info: W(info), committee,
      stakes: pools.map((p) => W(p).u(0)), fin, voided, st: W(st), ph: ph ? W(ph) : null };
  });
  if (onchain) {
    const { e, info, now, committee, stakes, st, ph } = onchain;
    const ends = info.n(0) + info.n(1);
    let phase = `running, ${dur(ends - now)} left`;
    if (ends <= now) phase = 'over: waiting for advanceEpoch';
    cards.append(card('current epoch (chain)', String(e), 'current_epoch'), card('phase', phase, 'phase'),
      card('committee size', String(committee.nodes.length), 'committee_size'),
      card('total stake', tokens(stakes.reduce((a, b) => a + b, 0n).toString()) + ' tokens', 'total_stake'),
      card(`pool of epoch ${e}`, tokens(st.u(5).toString()) + ' tokens', 'pool'),
      card('last finalized epoch', onchain.next > 0 ? String(onchain.next - 1) : '-', 'last_finalized'));
    if (ph && e > 0) {
      const names = [[ph.n(1), 'commit window'], [ph.n(2), 'reveal window'], [ph.n(3), 'dispute window']];
      const open = names.find(([t]) => now < t);
      cards.append(card(`epoch ${e - 1}`, open ? `${open[1]}, ${dur(open[0] - now)} left` : 'windows closed', 'previous_phase'));
    }
  } else {
    cards.append(card('chain', 'not read', 'current_epoch'));
  }
  // chart: pool, rewards paid, rollover (chain events) and slashed (database) per epoch
  const byEpoch = new Map(net.epochs.map((x) => [x.epoch, { reward: x.reward, slashed: x.slashed }]));
  if (onchain) {
    for (const l of onchain.fin) {
      const ep = Number(BigInt(l.topics[1])), w = W(l.data);
      const o = byEpoch.get(ep) || {};
      Object.assign(o, { pool: w.u(0).toString(), paid: w.u(1).toString(), rollover: w.u(3).toString() });
      byEpoch.set(ep, o);
    }
    for (const l of onchain.voided) {
      const ep = Number(BigInt(l.topics[1])), o = byEpoch.get(ep) || {};
      Object.assign(o, { rollover: W(l.data).u(0).toString(), voided: true });
      byEpoch.set(ep, o);
    }
  }
  const eps = [...byEpoch.keys()].sort((a, b) => a - b);
  sec.append(h('h2', {}, 'Per epoch'));
  const chartEl = h('div', { class: 'chart', id: 'epochs-chart' });
  sec.append(chartEl);
  if (eps.length) {
    const col = (k) => eps.map((e) => tokF(byEpoch.get(e)[k] ?? null));
    chart(chartEl, 'Pool, rewards, rollover and slashed stake (tokens)', eps, [
      { label: 'pool', data: col('pool'), stroke: '#1f4e79', width: 2 },
      { label: 'rewards paid', data: col('reward'), stroke: '#17663a', width: 2 },
      { label: 'rollover', data: col('rollover'), stroke: '#8a5a00', width: 2, dash: [6, 4] },
      { label: 'slashed', data: col('slashed'), stroke: '#a4161a', width: 2 },
    ], { ylabel: 'tokens' });
  } else chartEl.append(h('p', { class: 'muted' }, 'No epoch has been finalized yet.'));
  sec.append(table(['epoch', 'pool', 'rewards paid', 'rollover', 'slashed'], eps.slice().reverse().slice(0, 20).map((e) => {
    const o = byEpoch.get(e);
    return h('tr', { 'data-epoch': e }, h('td', {}, h('a', { href: `/epochs/${e}` }, String(e)), o.voided ? ' (voided)' : ''), h('td', { class: 'num' }, tokens(o.pool)),
      h('td', { class: 'num' }, tokens(o.reward ?? o.paid)), h('td', { class: 'num' }, tokens(o.rollover)), h('td', { class: 'num' }, tokens(o.slashed)));
  })));
  // nodes
  sec.append(h('h2', {}, `Nodes${net.committee_epoch !== null ? ` (committee of epoch ${net.committee_epoch}; scores of epoch ${net.scored_epoch ?? '-'})` : ''}`));
  const params_ = onchain ? await chainTry(() => readParams(c)) : null;
  const stakeOf = new Map();
  if (onchain) onchain.committee.nodes.forEach((n, i) => stakeOf.set(n, onchain.stakes[i]));
  const rows = net.nodes.map((n) => {
    const warn = n.median_score_wad !== null && params_ ? thresholdNotes(n.median_score_wad, params_.r0Bps, params_.penaltyBps) : [];
    return { node: n.node, shards: n.shards, stake: stakeOf.get(lc(n.node)) ?? null, median: n.median_score_wad === null ? null : BigInt(n.median_score_wad),
      reward: n.reward === null ? null : BigInt(n.reward), slashed: n.slashed === null ? null : BigInt(n.slashed), warn };
  });
  const cols = [['node', 'node'], ['shards', 'shards'], ['stake', 'stake (tokens)'], ['median', 'median score'], ['reward', 'reward'], ['slashed', 'slashed'], ['warn', 'warnings']];
  let sortKey = 'shards', dir = -1;
  const tbody = h('tbody');
  const thead = h('tr');
  const render = () => {
    const v = (r) => (sortKey === 'warn' ? r.warn.length : sortKey === 'node' ? r.node : r[sortKey]);
    const sorted = rows.slice().sort((a, b) => { const x = v(a), y = v(b); if (x === y) return 0; if (x === null) return 1; if (y === null) return -1; return (x < y ? -1 : 1) * dir; });
    tbody.replaceChildren(...sorted.map((r) => h('tr', { 'data-node': r.node },
      h('td', {}, addrLink(r.node)), h('td', { class: 'num' }, String(r.shards)),
      h('td', { class: 'num' }, r.stake === null ? '-' : tokens(r.stake.toString())),
      h('td', { class: 'num' }, r.median === null ? '-' : pctWad(r.median)),
      h('td', { class: 'num' }, r.reward === null ? '-' : tokens(r.reward.toString())),
      h('td', { class: 'num' }, r.slashed === null ? '-' : tokens(r.slashed.toString())),
      h('td', { class: 'notes' }, r.warn.join('; ')))));
    for (const th of thead.children) th.setAttribute('aria-sort', th.dataset.key === sortKey ? (dir > 0 ? 'ascending' : 'descending') : 'none');
  };
  for (const [k, label] of cols) {
    thead.append(h('th', { scope: 'col', 'data-key': k, class: ['shards', 'stake', 'median', 'reward', 'slashed'].includes(k) ? 'num' : null },
      h('button', { class: 'sort', type: 'button', onclick: () => { dir = sortKey === k ? -dir : -1; sortKey = k; render(); } }, label)));
  }
  render();
  sec.append(h('div', { class: 'scroll' }, h('table', { id: 'nodes' }, h('thead', {}, thead), tbody)));
  if (!rows.length) sec.append(h('p', { class: 'muted' }, 'No committee recorded in this database yet.'));
}

// ---- the node page ----
async function nodePage(addr) {
  const node = lc(addr);
  document.title = `node ${short(node)} — assay`;
  const [pay, oc, { c }] = await Promise.all([apiAll(`/v1/nodes/${node}/payouts?limit=100`, 'epochs', 'next_from', 'from'),
    api(`/v1/nodes/${node}/outcomes`), chain()]);
  const epochs = pay.all;
  let ch = null;
  if (c) ch = await chainTry(async () => {
    const eps = epochs.map((x) => x.epoch);
    const [info, pool, cur, revealed, scored, counts] = await c.batch([c.staking(SEL.nodeInfo, node), c.staking(SEL.pools, node),
      c.staking(SEL.currentEpoch), c.logs(c.dep.settlement, [TOPIC.AttestationRevealed]),
      c.logs(c.dep.settlement, [TOPIC.NodeScored, null, topicAddr(node)]),
      c.logs(c.dep.settlement, ['0x8c9cf931a93c1621acb76b099b45d7197ee53286a6fa8506ac87955e82e6b73c'])]);
    const ids = [...new Set(revealed.map((l) => Number(BigInt(l.topics[2]))))];
    const curE = Number(BigInt(cur));
    const res = await c.batch([...ids.map((i) => c.settlement(SEL.auditors, i)), ...eps.map((e) => c.staking(SEL.committee, e)),
      c.staking(SEL.committee, curE), c.settlement(SEL.params)]);
    const signer = new Map(ids.map((id, k) => [id, lc(W(res[k]).addr(0))]));
    const committees = new Map(eps.map((e, k) => [e, decodeCommittee(res[ids.length + k])]));
    const curCom = decodeCommittee(res[ids.length + eps.length]);
    const pw = W(res[res.length - 1]);
    const iw = W(info);
    return { info: { operator: lc(iw.addr(0)), endpoint: iw.str(2), commission: iw.n(3), active: iw.bool(4) }, stake: W(pool).u(0), curE, curCom,
      signer, committees, r0Bps: pw.n(0), penaltyBps: pw.n(1),
      reveals: revealed.map((l) => ({ epoch: Number(BigInt(l.topics[1])), id: Number(BigInt(l.topics[2])), tx: l.transactionHash })),
      scored: new Map(scored.map((l) => { const w = W(l.data); return [Number(BigInt(l.topics[1])), { score: w.u(0), reward: w.u(1), penalized: w.bool(2), slashed: w.u(3), tx: l.transactionHash }]; })),
      counts: counts.map((l) => ({ epoch: Number(BigInt(l.topics[1])), id: Number(BigInt(l.topics[2])), w: W(l.data) })) };
  });
  const known = epochs.length > 0 || (ch && ch.info.operator !== '0x0000000000000000000000000000000000000000');
  if (!known) throw new NotFound(`No node ${checksum(node)}: it has no epochs in this database${c ? ' and is not registered on chain' : ''}.`);
  const sec = h('section', { 'data-page': 'node', 'data-node': node }, h('h1', {}, 'Node ', h('span', { class: 'hash' }, checksum(node))));
  $main.replaceChildren(sec);
  const cards = h('div', { class: 'cards' });
  sec.append(cards);
  if (ch) {
    const i = ch.curCom.nodes.indexOf(node);
    cards.append(card(`shards (epoch ${ch.curE})`, i >= 0 ? String(ch.curCom.shards[i]) : 'not in the committee', 'shards_now'),
      card('stake', tokens(ch.stake.toString()) + ' tokens', 'stake'), card('commission', (ch.info.commission / 100).toFixed(2) + '%', 'commission'),
      card('endpoint', ch.info.endpoint || '-', 'endpoint'), card('active', ch.info.active ? 'yes' : 'no', 'active'));
  } else cards.append(card('chain', 'not read'));
  const r0 = ch ? ch.r0Bps / 100 : null, pen = ch ? ch.penaltyBps / 100 : null;
  // the chart of scores
  const chartEl = h('div', { class: 'chart', id: 'score-chart' });
  sec.append(h('h2', {}, 'Score per epoch'), chartEl);
  const xs = epochs.map((x) => x.epoch);
  const medians = epochs.map((x) => {
    const decided = x.attestations.reduce((m, a) => Math.max(m, a.decided), 0);
    if (!decided && !x.penalized) return null; // nobody decided a challenge: no score, not 0
    return x.median_on_chain ? Number(BigInt(x.median_on_chain.score_wad)) / 1e16 : x.median ? x.median.score * 100 : null;
  });
  const series = [{ label: 'median score %', data: medians, stroke: '#1f4e79', width: 2, points: { show: true, size: 7 } }];
  if (r0 !== null) series.push({ label: `R₀ ${r0}%`, data: xs.map(() => r0), stroke: '#17663a', dash: [6, 4], points: { show: false } },
    { label: `penalty ${pen}%`, data: xs.map(() => pen), stroke: '#a4161a', dash: [6, 4], points: { show: false } });
  if (xs.length) chart(chartEl, 'Median score (on chain) with R₀ and the penalty threshold', xs, series, { y: { range: [0, 100] }, ylabel: '%' });
  // the table per epoch
  const warnings = [];
  const rows = [];
  let disagreements = 0;
  for (const x of epochs.slice().reverse()) {
    const com = ch && ch.committees.get(x.epoch);
    const pos = com ? com.nodes.indexOf(node) : -1;
    const shards = pos >= 0 ? com.shards[pos] : null;
    const sc = ch ? ch.scored.get(x.epoch) : null;
    const notes = [];
    let agree = null;
    if (ch) {
      agree = true;
      if (x.reward !== null && sc && (BigInt(x.reward) !== sc.reward || BigInt(x.penalty) !== sc.slashed || x.penalized !== sc.penalized ||
        (x.median_on_chain && BigInt(x.median_on_chain.score_wad) !== sc.score))) { agree = false; notes.push('DISAGREE: the database\'s NodeScored differs from the chain\'s'); }
      if (x.reward !== null && !sc) { agree = false; notes.push('DISAGREE: scored in the database, no NodeScored on chain'); }
      for (const a of x.attestations) {
        const id = [...ch.signer.entries()].find(([, s]) => s === lc(a.auditor));
        const cnt = id && ch.counts.find((k) => k.epoch === x.epoch && k.id === id[0]);
        if (cnt && pos >= 0) {
          const p = cnt.w.arr(0, (i) => cnt.w.n(i))[pos], d = cnt.w.arr(1, (i) => cnt.w.n(i))[pos];
          if (p !== a.passed || d !== a.decided) { agree = false; notes.push(`DISAGREE: auditor ${short(a.auditor)} database ${a.passed}/${a.decided}, chain ${p}/${d}`); }
        }
      }
      if (!agree) disagreements++;
    }
    const wad = x.median_on_chain ? x.median_on_chain.score_wad : null;
    const ourDecided = x.attestations.reduce((m, a) => Math.max(m, a.decided), 0);
    const scoredNode = wad !== null && (ourDecided > 0 || x.penalized || BigInt(wad) !== 0n);
    if (scoredNode && ch) notes.push(...thresholdNotes(wad, ch.r0Bps, ch.penaltyBps));
    if (x.reward === null) notes.push('not finalized');
    if (notes.length) warnings.push([x.epoch, notes]);
    const perShard = x.reward !== null && shards ? (BigInt(x.reward) / BigInt(shards)).toString() : null;
    rows.push(h('tr', { 'data-epoch': x.epoch, class: 'epoch' },
      h('td', {}, h('a', { href: `/epochs/${x.epoch}` }, String(x.epoch))),
      h('td', { class: 'num', 'data-k': 'shards' }, shards === null ? '-' : String(shards)),
      h('td', { class: 'num', 'data-k': 'median' }, scoredNode ? pctWad(wad) : '-'),
      h('td', { class: 'num', 'data-k': 'reward', 'data-wei': x.reward ?? '' }, tokens(x.reward)),
      h('td', { class: 'num', 'data-k': 'reward_per_shard', 'data-wei': perShard ?? '' }, tokens(perShard)),
      h('td', { class: 'num', 'data-k': 'slashed', 'data-wei': x.penalty ?? '' }, tokens(x.penalty)),
      h('td', { 'data-k': 'penalized' }, x.penalized ? 'yes' : 'no'),
      h('td', { 'data-k': 'finalize_tx', 'data-tx': x.finalize_tx ?? '' }, x.finalize_tx ? txt(x.finalize_tx) : '-'),
      h('td', {}, agree === null ? mark(null, 'chain not read') : mark(agree, agree ? 'agrees with chain' : 'disagrees')),
      h('td', { class: 'notes', 'data-k': 'notes' }, notes.join('; '))));
    const byAud = new Map();
    for (const a of x.attestations) if (!byAud.has(lc(a.auditor)) || a.source === 'local') byAud.set(lc(a.auditor), a);
    for (const [aud, a] of byAud) {
      const id = ch ? [...ch.signer.entries()].find(([, s]) => s === aud) : null;
      const rv = id && ch.reveals.find((r) => r.epoch === x.epoch && r.id === id[0]);
      rows.push(h('tr', { class: 'sub', 'data-epoch': x.epoch, 'data-auditor': aud },
        h('td', {}, ''), h('td', { colspan: '3' }, 'auditor ', h('span', { class: 'hash', title: aud }, short(checksum(aud)))),
        h('td', { colspan: '3' }, h('span', { 'data-k': 'passed' }, String(a.passed)), ' passed of ',
          h('span', { 'data-k': 'decided' }, String(a.decided)), ' decided: ', h('b', { 'data-k': 'score' }, pct(a.passed, a.decided))),
        h('td', { 'data-k': 'reveal_tx', 'data-tx': rv ? rv.tx : '' }, rv ? ['reveal ', txt(rv.tx)] : '-'), h('td', {}, ''), h('td', { class: 'muted' }, a.source)));
    }
  }
  sec.append(h('h2', {}, 'Epochs'),
    h('p', { class: 'muted' }, 'Per epoch: shards in its committee (chain), the median on chain, reward and slash (tokens; exact wei in the page source), then each auditor\'s passed / decided and reveal transaction.'),
    table(['epoch', 'shards', 'median', 'reward', 'reward / shard', 'slashed', 'penalized', 'finalize tx', 'database vs chain', 'notes'], rows, 'payouts'));
  sec.dataset.disagreements = String(disagreements);
  // failed challenges by outcome
  const fails = oc.outcomes.filter((o) => o.outcome !== 'pass');
  const agg = new Map();
  for (const o of fails) {
    const k = `${o.epoch}|${o.auditor}`;
    if (!agg.has(k)) agg.set(k, { epoch: o.epoch, auditor: o.auditor, timeout: 0, invalid_proof: 0, not_found: 0, other: 0 });
    const r = agg.get(k);
    if (o.outcome === 'timeout' || o.outcome === 'invalid_proof' || o.outcome === 'not_found') r[o.outcome] += o.count; else r.other += o.count;
  }
  sec.append(h('h2', {}, 'Why challenges failed'),
    agg.size ? table(['epoch', 'auditor', 'timeouts', 'invalid proofs', 'not found', 'other', 'records'], [...agg.values()].reverse().map((r) =>
      h('tr', { 'data-epoch': r.epoch }, h('td', {}, String(r.epoch)), h('td', { class: 'hash' }, short(checksum(r.auditor))),
        h('td', { class: 'num' }, String(r.timeout)), h('td', { class: 'num' }, String(r.invalid_proof)), h('td', { class: 'num' }, String(r.not_found)),
        h('td', { class: 'num' }, String(r.other)), h('td', {}, h('a', { href: `/epochs/${r.epoch}/nodes/${node}/evidence?auditor=${r.auditor}` }, 'evidence'))))) :
      h('p', { class: 'muted', 'data-k': 'no_failures' }, 'No failed challenge recorded.'));
  sec.append(h('h2', {}, 'Warnings'), warnings.length ? h('ul', { id: 'warnings' }, warnings.map(([e, n]) => h('li', {}, `epoch ${e}: ${n.join('; ')}`))) : h('p', { class: 'muted' }, 'None.'));
}

// ---- the epoch page ----
async function epochRow(n) {
  const j = await api(n > 0 ? `/v1/epochs?after=${n - 1}&limit=1` : '/v1/epochs?limit=1');
  const e = j.epochs.find((x) => x.epoch === n);
  if (!e) throw new NotFound(`No epoch ${n} in this database.`);
  return e;
}

async function epochPage(n) {
  document.title = `epoch ${n} — assay`;
  const [row, { c }] = await Promise.all([epochRow(n), chain()]);
  const atts = (await api(`/v1/epochs/${n}/attestations`)).attestations;
  const sec = h('section', { 'data-page': 'epoch', 'data-epoch': n }, h('h1', {}, `Epoch ${n}`));
  $main.replaceChildren(sec);
  let ch = null;
  if (c) ch = await chainTry(async () => {
    const [rev, com, fin, scored, comh, ph, st, cid, dis] = await c.batch([c.logs(c.dep.settlement, [TOPIC.AttestationRevealed, topicU(n)]),
      c.logs(c.dep.settlement, [TOPIC.AttestationCommitted, topicU(n)]), c.logs(c.dep.settlement, [TOPIC.EpochFinalized, topicU(n)]),
      c.logs(c.dep.settlement, [TOPIC.NodeScored, topicU(n)]), c.staking(SEL.committeeHash, n), c.settlement(SEL.phases, n),
      c.settlement(SEL.epochStates, n), { method: 'eth_chainId', params: [] }, c.logs(c.dep.settlement, [TOPIC.AttestationDisputed, topicU(n)])]);
    // AttestationDisputed(epoch, auditorId, disputer indexed; kind, reward, burned)
    const disputes = dis.map((l) => { const w = W(l.data); return { id: Number(BigInt(l.topics[2])), disputer: lc('0x' + l.topics[3].slice(26)),
      kind: w.n(0), reward: w.u(1), burned: w.u(2), tx: l.transactionHash }; });
    const reveals = rev.map((l) => { const w = W(l.data); return { id: Number(BigInt(l.topics[2])), committeeHash: w.b32(0), countsHash: w.b32(1), evidenceRoot: w.b32(2), evidenceBlob: w.b32(3), secret: w.b32(4), tx: l.transactionHash, block: l.blockNumber }; });
    const commits = com.map((l) => ({ id: Number(BigInt(l.topics[2])), digest: W(l.data).b32(0), tx: l.transactionHash, block: l.blockNumber }));
    const ids = [...new Set([...reveals, ...commits].map((r) => r.id))];
    const blocks = [...new Set([...reveals, ...commits, ...fin].map((r) => r.block || r.blockNumber))];
    const res = await c.batch([...ids.map((i) => c.settlement(SEL.auditors, i)), ...ids.map((i) => c.settlement(SEL.attestationCommits, n, i)),
      ...ids.map((i) => c.settlement(SEL.secretHashes, n, i)), c.staking(SEL.committee, n),
      ...blocks.map((b) => ({ method: 'eth_getBlockByNumber', params: [b, false] }))]);
    const k = ids.length;
    const aud = new Map(ids.map((id, i) => [id, { signer: lc(W(res[i]).addr(0)), active: W(res[i]).bool(2), commit: W(res[k + i]).b32(0), secretHash: W(res[2 * k + i]).b32(0) }]));
    const time = new Map(blocks.map((b, i) => [b, Number(BigInt(res[3 * k + 1 + i].timestamp))]));
    return { reveals, commits, aud, time, committee: decodeCommittee(res[3 * k]), committeeHash: W(comh).b32(0), ph: W(ph), st: W(st),
      fin: fin[0] || null, chainId: BigInt(cid), disputes,
      scored: scored.map((l) => { const w = W(l.data); return { node: lc('0x' + l.topics[2].slice(26)), score: w.u(0), reward: w.u(1), penalized: w.bool(2), slashed: w.u(3) }; }) };
  });
  const cards = h('div', { class: 'cards' });
  sec.append(cards);
  cards.append(card('start', when(row.start_time)), card('end', when(row.end_time ?? (ch ? ch.ph.n(0) : null))), card('seed', row.seed ? txt(row.seed) : '-'));
  if (ch) {
    const status = ['open', 'finalizing', 'finalized', 'voided'][ch.st.n(3)] || '?';
    cards.append(card('settlement (chain)', status, 'status'), card('reveals', String(ch.st.n(1)), 'revealed'),
      card('pool', tokens(ch.st.u(5).toString()) + ' tokens', 'pool'), card('committee', String(ch.committee.nodes.length), 'committee_size'),
      card('commit window ends', when(ch.ph.n(1))), card('reveal window ends', when(ch.ph.n(2))), card('dispute window ends', when(ch.ph.n(3))),
      card('finalize tx', ch.fin ? txt(ch.fin.transactionHash) : '-', 'finalize_tx'));
  }
  const summary = h('p', { class: 'muted', 'data-k': 'attestation_summary' });
  sec.append(h('h2', {}, 'Attestations'), summary);
  const dom = ch ? domainSeparator(ch.chainId, c.dep.settlement) : null;
  let verified = 0, failed = 0, convicted = 0;
  for (const a of atts) {
    const aud = lc(a.auditor);
    const id = ch ? [...ch.aud.entries()].find(([, v]) => v.signer === aud) : null;
    const rv = id && ch.reveals.find((r) => r.id === id[0]);
    const cm = id && ch.commits.find((r) => r.id === id[0]);
    const checks = [];
    let digest = null, conv = null;
    if (!ch) checks.push(mark(null, 'chain not read'));
    else if (!id) checks.push(mark(false, 'auditor registered on chain', 'no auditor on chain has this signing address'));
    else if (!rv) checks.push(mark(null, 'not revealed on chain'));
    else {
      digest = attestationDigest(dom, { epoch: n, committeeHash: a.committee_hash, countsHash: a.counts_hash, evidenceRoot: a.evidence_root, evidenceBlob: rv.evidenceBlob, secret: rv.secret });
      if (a.signature) {
        let who = null, why = '';
        try { who = recoverSigner(digest, a.signature); } catch (e) { why = e.message; }
        checks.push(mark(who === id[1].signer, 'signature', who ? `recovers to ${checksum(who)}; the auditor registered on chain is ${checksum(id[1].signer)}` : why));
      } else checks.push(mark(null, 'no signature served'));
      checks.push(mark(hex(digest) === id[1].commit, 'commitment', 'the EIP-712 digest equals the one committed on chain (attestationCommits)'));
      checks.push(mark(secretHash(rv.secret) === id[1].secretHash, 'secret', 'keccak256(revealed secret) equals the committed secretHash'));
      const order = ch.committee.nodes;
      const byNode = new Map(a.counts.map((x) => [lc(x.node), x]));
      const cOk = order.every((nd) => byNode.has(nd)) && a.counts.length === order.length;
      const computed = cOk ? countsHash(order.map((nd) => byNode.get(nd).passed), order.map((nd) => byNode.get(nd).decided)) : null;
      checks.push(mark(computed === lc(a.counts_hash) && computed === lc(rv.countsHash), 'counts', 'the counts hash to countsHash, as revealed on chain'));
      checks.push(mark(lc(a.committee_hash) === lc(ch.committeeHash), 'committee', 'committeeHash is Staking.committeeHash(epoch)'));
      checks.push(mark(lc(a.evidence_root) === lc(rv.evidenceRoot), 'evidence root', 'the evidence root served is the one revealed on chain'));
      // a fraud proof takes the attestation out of revealedMask (AttestationDisputed)
      const counted = ((ch.st.u(0) >> BigInt(id[0])) & 1n) === 1n;
      conv = ch.disputes.find((d) => d.id === id[0]) || null;
      checks.push(mark(counted && !conv, counted && !conv ? 'not disputed' : 'disputed', counted && !conv ? 'still counted in the epoch (revealedMask)'
        : 'a fraud proof convicted this attestation on chain: it is no longer counted, the auditor lost its bond'));
    }
    // A convicted attestation is neither verified nor a failed check: it was proven a lie.
    const ok = !conv && checks.length > 0 && checks.every((m) => m.dataset.ok === 'true');
    const bad = !conv && checks.some((m) => m.dataset.ok === 'false');
    if (ok) verified++;
    if (bad) failed++;
    if (conv) convicted++;
    const kind = conv ? (DISPUTE_KINDS[conv.kind] || `kind ${conv.kind}`).replace('_', ' ') : '';
    sec.append(h('article', { class: 'att' + (bad ? ' bad' : '') + (conv ? ' convicted' : ''), 'data-auditor': aud, 'data-source': a.source,
      'data-verdict': conv ? 'convicted' : ok ? 'verified' : bad ? 'failed' : 'unchecked' },
      h('h3', {}, conv ? mark(false, 'convicted') : ok ? mark(true, 'verified') : bad ? mark(false, 'failed') : mark(null, 'not checked'), ' ',
        h('span', { class: 'who' }, 'auditor ', h('span', { class: 'hash' }, checksum(aud)), id ? ` (id ${id[0]})` : '', ` — ${a.source}`)),
      conv ? h('p', { class: 'conviction', 'data-k': 'conviction', 'data-kind': DISPUTE_KINDS[conv.kind] || String(conv.kind), 'data-reward': conv.reward.toString(),
        'data-disputer': conv.disputer }, `convicted: ${kind}, bond burned (${tokens(conv.burned.toString())} tokens), disputer `,
      h('span', { class: 'hash' }, checksum(conv.disputer)), ` paid ${tokens(conv.reward.toString())} tokens; not counted in this epoch — `, txt(conv.tx)) : null,
      h('div', { class: 'checks' }, checks),
      h('dl', { class: 'kv' },
        h('dt', {}, 'commit'), h('dd', {}, cm ? [txt(cm.tx), ' at ', when(ch.time.get(cm.block))] : '-'),
        h('dt', {}, 'reveal'), h('dd', {}, rv ? [txt(rv.tx), ' at ', when(ch.time.get(rv.block))] : '-'),
        h('dt', {}, 'counts'), h('dd', {}, `${a.passed} passed of ${a.decided} decided over ${a.nodes} nodes`),
        h('dt', {}, 'evidence root'), h('dd', { class: 'hash' }, a.evidence_root),
        h('dt', {}, 'evidence blob'), h('dd', { class: 'hash' }, rv ? rv.evidenceBlob : '-'),
        h('dt', {}, 'committee hash'), h('dd', { class: 'hash' }, a.committee_hash),
        h('dt', {}, 'counts hash'), h('dd', { class: 'hash' }, a.counts_hash),
        h('dt', {}, 'signature'), h('dd', { class: 'hash', 'data-k': 'signature' }, a.signature || '-'),
        h('dt', {}, 'digest'), h('dd', { class: 'hash' }, digest ? hex(digest) : '-'))));
  }
  if (!atts.length) sec.append(h('p', { class: 'muted' }, 'No attestation of this epoch in the database.'));
  sec.dataset.verified = String(verified);
  sec.dataset.failed = String(failed);
  sec.dataset.convicted = String(convicted);
  summary.textContent = ch ? `${verified} verified, ${failed} failed, ${convicted} convicted by a fraud proof (not counted)` : 'Not checked against the chain.';
  // medians
  sec.append(h('h2', {}, 'Medians (NodeScored on chain)'));
  const scored = ch ? ch.scored : [];
  sec.append(scored.length ? table(['node', 'median', 'reward', 'slashed', 'penalized', 'evidence'], scored.map((s) => h('tr', { 'data-node': s.node },
    h('td', {}, addrLink(s.node)), h('td', { class: 'num' }, pctWad(s.score)), h('td', { class: 'num' }, tokens(s.reward.toString())),
    h('td', { class: 'num' }, tokens(s.slashed.toString())), h('td', {}, s.penalized ? 'yes' : 'no'),
    h('td', {}, h('a', { href: `/epochs/${n}/nodes/${s.node}/evidence` }, 'records'))))) : h('p', { class: 'muted' }, 'Not finalized (or the chain was not read).'));
}

// ---- the evidence page ----
async function evidencePage(n, addr) {
  const node = lc(addr);
  document.title = `evidence ${short(node)} epoch ${n} — assay`;
  const [, { c }] = await Promise.all([epochRow(n), chain()]);
  const atts = (await api(`/v1/epochs/${n}/attestations`)).attestations;
  const auditors = [...new Set(atts.map((a) => lc(a.auditor)))];
  const auditor = lc(params.get('auditor')) || auditors[0];
  if (!auditor) throw new NotFound(`No attestation of epoch ${n} in this database, so no evidence to show.`);
  const { first, all } = await apiAll(`/v1/epochs/${n}/nodes/${node}/evidence?auditor=${auditor}&limit=500`, 'records', 'next_after_seq', 'after_seq');
  let rv = null, chainId = null;
  if (c) rv = await chainTry(async () => {
    const [rev] = await c.batch([c.logs(c.dep.settlement, [TOPIC.AttestationRevealed, topicU(n)])]);
    const ids = rev.map((l) => Number(BigInt(l.topics[2])));
    const res = await c.batch(ids.map((i) => c.settlement(SEL.auditors, i)));
    const k = ids.findIndex((_, i) => lc(W(res[i]).addr(0)) === auditor);
    chainId = c.dep.chain_id;
    return k < 0 ? { missing: true } : { root: W(rev[k].data).b32(2), secret: W(rev[k].data).b32(4) };
  });
  const sec = h('section', { 'data-page': 'evidence', 'data-epoch': n, 'data-node': node },
    h('h1', {}, `Evidence: epoch ${n}, node `, h('span', { class: 'hash' }, checksum(node))));
  $main.replaceChildren(sec);
  const sel = h('select', { id: 'auditor', onchange: (e) => { location.search = `?auditor=${e.target.value}${params.get('rpc') ? '&rpc=' + encodeURIComponent(params.get('rpc')) : ''}`; } },
    auditors.map((a) => h('option', { value: a, selected: a === auditor }, checksum(a))));
  sec.append(h('p', {}, h('label', { for: 'auditor' }, 'Auditor: '), sel));
  const rootOk = rv && !rv.missing ? lc(first.root) === lc(rv.root) : null;
  sec.append(h('dl', { class: 'kv' }, h('dt', {}, 'records in the tree'), h('dd', {}, String(first.leaves)),
    h('dt', {}, 'root (server)'), h('dd', { class: 'hash' }, first.root),
    h('dt', {}, 'root (revealed on chain)'), h('dd', { class: 'hash' }, rv && !rv.missing ? [rv.root, ' ', mark(rootOk, rootOk ? 'same' : 'different')] : 'not read')));
  if (rv && rv.secret) sec.append(h('p', {}, 'Recompute this auditor\'s schedule (after the reveal anyone can):'),
    h('pre', { class: 'cmd' }, `assay audit plan --epoch ${n} --auditor ${checksum(auditor)} --secret ${rv.secret} --rpc-url ${c.url} --deployment deployment.json --json  # chain ${chainId}`));
  let okCount = 0, badCount = 0;
  // The node's entry (its subtree total) proves against the root revealed on chain once;
  // each record then proves up to that subtree root.
  const np = first.node_proof;
  let entryOk = null, entryWhy = '';
  if (rv && !rv.missing) {
    try {
      entryOk = !!np && lc(np.node) === node && evidenceRoot(np.node, np.sub, np.index, np.count, np.top_path) === lc(rv.root);
      entryWhy = entryOk ? 'the node\'s subtree total leads to the evidence root revealed on chain' : 'the node\'s entry does not lead to the root revealed on chain';
    } catch (e) { entryOk = false; entryWhy = e.message; }
  }
  if (np) sec.append(h('dl', { class: 'kv', 'data-entry-ok': String(entryOk) },
    h('dt', {}, 'node total in the evidence'), h('dd', {}, `${np.sub.passed} passed of ${np.sub.decided} decided `, mark(entryOk, 'proof', entryWhy))));
  const rows = all.map((r) => {
    let ok = null, why = '';
    if (rv && !rv.missing) {
      try {
        const d = decodeRecord(r.record);
        const same = Number(d.seq) === r.seq && d.outcome === r.outcome && d.node === node && Number(d.epoch) === n && d.auditor === auditor;
        const sub = same ? evidenceSubRoot(r.record, r.pos, r.sub_path) : null;
        ok = same && entryOk === true && lc(sub.h) === lc(np.sub.h) && sub.passed === np.sub.passed && sub.decided === np.sub.decided;
        why = !same ? 'the record bytes do not say what is shown' : !entryOk ? entryWhy :
          ok ? 'the Merkle-sum proof leads through the node\'s subtree to the evidence root revealed on chain' : 'the record does not lead to the node\'s subtree root';
      } catch (e) { ok = false; why = e.message; }
    }
    if (ok) okCount++; else if (ok === false) badCount++;
    return h('tr', { 'data-seq': r.seq },
      h('td', { class: 'num' }, String(r.seq)), h('td', { class: 'num' }, String(r.attempt)), h('td', {}, txt(r.blob)),
      h('td', { class: 'num' }, String(r.shard)), h('td', {}, `${r.row}-${r.col} ${r.axis}`), h('td', {}, r.outcome),
      h('td', { class: 'num' }, String(r.latency_ms)), h('td', {}, r.response_hash ? txt(r.response_hash) : '-'),
      h('td', {}, mark(ok, 'proof', why)));
  });
  sec.dataset.proofsOk = String(okCount);
  sec.dataset.proofsBad = String(badCount);
  sec.append(h('h2', {}, `Challenge records (${all.length})`),
    table(['seq', 'attempt', 'blob', 'shard', 'symbol', 'outcome', 'latency ms', 'response hash', 'Merkle proof'], rows, 'records'));
}

// ---- routing ----
async function route() {
  const p = location.pathname.replace(/\/$/, '') || '/';
  let m;
  try {
    if (p === '/') {
      const q = (params.get('q') || '').trim();
      if (/^0x[0-9a-fA-F]{40}$/.test(q)) { location.replace(`/nodes/${q.toLowerCase()}`); return; }
      if (/^[0-9]{1,18}$/.test(q)) { location.replace(`/epochs/${q}`); return; }
      await networkPage();
    } else if ((m = p.match(/^\/nodes\/(0x[0-9a-fA-F]{40})$/))) await nodePage(m[1]);
    else if ((m = p.match(/^\/epochs\/([0-9]{1,18})$/))) await epochPage(Number(m[1]));
    else if ((m = p.match(/^\/epochs\/([0-9]{1,18})\/nodes\/(0x[0-9a-fA-F]{40})\/evidence$/))) await evidencePage(Number(m[1]), m[2]);
    else throw new NotFound(`There is no page at ${p}.`);
  } catch (e) {
    if (e instanceof NotFound) notFound(e.message);
    else $main.replaceChildren(h('section', { 'data-page': 'error' }, h('h1', {}, 'Something failed'), h('p', {}, e.message)));
  }
  $main.setAttribute('aria-busy', 'false');
  document.body.dataset.ready = '1';
}

document.getElementById('goto').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const q = document.getElementById('goto-q').value.trim();
  if (/^0x[0-9a-fA-F]{40}$/.test(q)) location.href = `/nodes/${q.toLowerCase()}`;
  else if (/^[0-9]{1,18}$/.test(q)) location.href = `/epochs/${q}`;
  else document.getElementById('goto-q').setCustomValidity('a node address (0x and 40 hex digits) or an epoch number');
});
route();

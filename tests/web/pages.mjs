// pages.mjs: the pages of `assay api serve` in headless Chromium (Debian's, driven by
// puppeteer-core; no browser is downloaded), against a network of deploy/network.sh.
// Run by tests/web/pages.sh; every input comes from the environment:
//   API        the API (pages) of the network        TAMPER  the same database, served with
//   RPC        the chain's JSON-RPC URL                      ASSAY_TEST_TAMPER_ATTESTATION=1
//   PAYOUTS    a directory of payoutsN.json (`assay payouts --node ADDR --json`)
//   AUDITOR    the address whose counts `assay payouts` shows (its --signing-key-file)
//   EPOCHS     the audited epochs, space separated    OUT  where screenshots go
// Checks: every number of a node page equals `assay payouts` for that node; the epoch pages
// mark every attestation verified, and the tampered one failed; evidence proofs verify;
// unknown node, epoch and path say "not found"; no console error; no request to another host.
import puppeteer from 'puppeteer-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const env = (k) => { const v = process.env[k]; if (!v) { console.error(`pages.mjs: ${k} is not set`); process.exit(2); } return v; };
const API = env('API'), TAMPER = env('TAMPER'), RPC = env('RPC'), PAYOUTS = env('PAYOUTS'), OUT = env('OUT');
const AUDITOR = env('AUDITOR').toLowerCase();
const EPOCHS = env('EPOCHS').split(/\s+/).map(Number);
fs.mkdirSync(OUT, { recursive: true });
const allowedHosts = new Set([new URL(API).host, new URL(TAMPER).host, new URL(RPC).host]);

let fails = 0;
const ok = (cond, what) => { console.log((cond ? 'ok   ' : 'FAIL ') + what); if (!cond) fails++; };
const tokens = (w) => { if (w === null || w === undefined || !/^[0-9]+$/.test(String(w))) return '-'; const s = String(w).padStart(19, '0'); return `${BigInt(s.slice(0, -18))}.${s.slice(-18, -12)}`; };

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-chromium-'));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  userDataDir: profile,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage'],
});

// open URL; returns {page, errors, hosts}; waits for the page to say it is ready
async function open(url, { viewport = { width: 1280, height: 900 }, expectNotFound = false } = {}) {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  const errors = [], foreign = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
  page.on('request', (r) => { const u = new URL(r.url()); if (u.protocol.startsWith('http') && !allowedHosts.has(u.host)) foreign.push(r.url()); });
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  const t0 = Date.now();
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  const ms = Date.now() - t0;
  // The not-found pages asked the API and got 404s, which Chromium logs; nothing else.
  const bad = expectNotFound ? errors.filter((e) => !/status of 404/.test(e)) : errors;
  ok(bad.length === 0, `${url}: no console error${bad.length ? ': ' + bad.join(' | ') : ''}`);
  ok(foreign.length === 0, `${url}: no request to another host${foreign.length ? ': ' + foreign.join(' ') : ''}`);
  return { page, ms };
}
const shot = async (page, name) => { const f = path.join(OUT, name); await page.screenshot({ path: f, fullPage: true }); console.log(`     screenshot ${f}`); };

try {
  // ---- the network page ----
  const payouts = fs.readdirSync(PAYOUTS).filter((f) => /^payouts[0-9]+\.json$/.test(f)).sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(PAYOUTS, f), 'utf8')));
  {
    const { page, ms } = await open(API + '/');
    console.log(`     network page ready in ${ms} ms`);
    const rows = await page.$$eval('#nodes tbody tr', (t) => t.map((r) => r.dataset.node));
    ok(rows.length === payouts.length, `network page lists ${rows.length} nodes (${payouts.length} expected)`);
    ok(await page.$eval('[data-k="current_epoch"]', (e) => /^[0-9]+$/.test(e.textContent)), 'network page shows the current epoch from the chain');
    ok(await page.$('#epochs-chart .uplot') !== null, 'network page draws the epochs chart (uPlot)');
    // sort by shards with the keyboard: focus the header button and press Enter
    await page.focus('#nodes th[data-key="median"] button');
    await page.keyboard.press('Enter');
    ok(await page.$eval('#nodes th[data-key="median"]', (e) => e.getAttribute('aria-sort')) === 'descending', 'table sorts from the keyboard');
    await shot(page, 'network.png');
    await page.close();
  }
  // ---- node pages: every number equals `assay payouts` ----
  let firstNode = null;
  for (const p of payouts) {
    const node = p.node.toLowerCase();
    firstNode = firstNode || node;
    const { page } = await open(`${API}/nodes/${node}`);
    const got = await page.evaluate(() => {
      const q = (r, k) => r.querySelector(`[data-k="${k}"]`);
      const out = {};
      for (const r of document.querySelectorAll('table.payouts tr.epoch')) {
        out[r.dataset.epoch] = { shards: q(r, 'shards').textContent, median: q(r, 'median').textContent,
          reward: q(r, 'reward').dataset.wei, reward_text: q(r, 'reward').textContent,
          slashed: q(r, 'slashed').dataset.wei, slashed_text: q(r, 'slashed').textContent,
          per_shard: q(r, 'reward_per_shard').dataset.wei, per_shard_text: q(r, 'reward_per_shard').textContent,
          penalized: q(r, 'penalized').textContent, finalize_tx: q(r, 'finalize_tx').dataset.tx, notes: q(r, 'notes').textContent, auditors: {} };
      }
      for (const r of document.querySelectorAll('table.payouts tr.sub')) {
        out[r.dataset.epoch].auditors[r.dataset.auditor] = { passed: q(r, 'passed').textContent, decided: q(r, 'decided').textContent,
          score: q(r, 'score').textContent, reveal_tx: q(r, 'reveal_tx').dataset.tx };
      }
      return { rows: out, disagreements: document.querySelector('[data-page="node"]').dataset.disagreements };
    });
    let n = 0;
    for (const e of p.epochs) {
      const r = got.rows[e.epoch];
      if (!r) { ok(false, `node ${node} epoch ${e.epoch}: a row on the page`); continue; }
      const a = r.auditors[AUDITOR] || {};
      const want = { shards: e.shards === null ? '-' : String(e.shards), median: e.median, reward: e.reward, reward_text: tokens(e.reward),
        slashed: e.slashed, slashed_text: tokens(e.slashed), per_shard: e.reward_per_shard ?? '', per_shard_text: tokens(e.reward_per_shard),
        penalized: e.penalized ? 'yes' : 'no', finalize_tx: e.finalize_tx.toLowerCase(), passed: String(e.passed), decided: String(e.decided),
        score: e.score, reveal_tx: e.reveal_tx.toLowerCase() };
      const have = { ...r, passed: a.passed, decided: a.decided, score: a.score, reveal_tx: (a.reveal_tx || '').toLowerCase(), finalize_tx: (r.finalize_tx || '').toLowerCase() };
      for (const k of Object.keys(want)) { ok(have[k] === want[k], `node ${node.slice(0, 10)} epoch ${e.epoch} ${k}: page ${have[k]}, payouts ${want[k]}`); n++; }
      for (const note of e.notes.split('; ').map((s) => s.replace(/; ?$/, '')).filter(Boolean))
        ok(r.notes.includes(note), `node ${node.slice(0, 10)} epoch ${e.epoch} warns "${note}"`);
    }
    ok(got.disagreements === String(p.disagreements), `node ${node.slice(0, 10)}: ${got.disagreements} disagreements, payouts ${p.disagreements}`);
    if (payouts.indexOf(p) === 5) {
      await shot(page, 'node.png');
      await page.setViewport({ width: 390, height: 844, isMobile: true });
      await shot(page, 'node-phone.png');
    }
    await page.close();
  }
  // ---- epoch pages: verified, and the tampered attestation failed ----
  for (const e of EPOCHS) {
    const { page } = await open(`${API}/epochs/${e}`);
    const v = await page.$eval('[data-page="epoch"]', (s) => ({ verified: +s.dataset.verified, failed: +s.dataset.failed, n: s.querySelectorAll('article.att').length }));
    ok(v.n > 0 && v.verified === v.n && v.failed === 0, `epoch ${e}: ${v.verified} of ${v.n} attestations verified in the browser, ${v.failed} failed`);
    if (e === EPOCHS[0]) await shot(page, 'epoch.png');
    await page.close();
  }
  {
    const e = EPOCHS[0];
    const { page } = await open(`${TAMPER}/epochs/${e}`);
    const v = await page.$eval('[data-page="epoch"]', (s) => ({ verified: +s.dataset.verified, failed: +s.dataset.failed, n: s.querySelectorAll('article.att').length,
      sig: [...s.querySelectorAll('article.att[data-verdict="failed"] [data-check="signature"]')].map((m) => m.dataset.ok) }));
    ok(v.failed === 1 && v.verified === v.n - 1, `tampered epoch ${e}: ${v.failed} failed, ${v.verified} of ${v.n} verified`);
    ok(v.sig.length === 1 && v.sig[0] === 'false', 'the tampered attestation fails on its signature');
    await shot(page, 'epoch-tampered.png');
    await page.close();
  }
  // ---- evidence: Merkle proofs against the root revealed on chain ----
  {
    const node = payouts[payouts.length - 2].node.toLowerCase(); // a faulty node: failed records too
    const { page } = await open(`${API}/epochs/${EPOCHS[0]}/nodes/${node}/evidence?auditor=${AUDITOR}`);
    const v = await page.$eval('[data-page="evidence"]', (s) => ({ ok: +s.dataset.proofsOk, bad: +s.dataset.proofsBad, n: s.querySelectorAll('table.records tbody tr').length }));
    ok(v.n > 0 && v.ok === v.n && v.bad === 0, `evidence: ${v.ok} of ${v.n} Merkle proofs verify against the chain's root`);
    const total = await page.$eval('[data-entry-ok]', (e) => ({ ok: e.dataset.entryOk, text: e.textContent }));
    ok(total.ok === 'true', `evidence: the node's subtree total (${total.text.replace(/\s+/g, ' ').trim()}) proves against the chain's root`);
    ok(await page.$eval('pre.cmd', (e) => e.textContent.includes('assay audit plan')), 'evidence page shows the audit plan command');
    await shot(page, 'evidence.png');
    await page.close();
  }
  // ---- not found ----
  for (const [url, what] of [[`${API}/nodes/0x00000000000000000000000000000000000000ff`, 'unknown node'], [`${API}/epochs/999999`, 'unknown epoch'],
    [`${API}/epochs/999999/nodes/${firstNode}/evidence`, 'evidence of an unknown epoch'], [`${API}/no/such/page`, 'unknown path']]) {
    const { page } = await open(url, { expectNotFound: true });
    const t = await page.$eval('main', (m) => ({ nf: !!m.querySelector('[data-page="notfound"]'), h1: m.querySelector('h1')?.textContent }));
    ok(t.nf && t.h1 === 'Not found', `${what}: the page says "Not found"`);
    if (what === 'unknown node') await shot(page, 'notfound.png');
    await page.close();
  }
} catch (e) {
  ok(false, 'browser test threw: ' + (e.stack || e.message));
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
console.log(fails ? `pages: ${fails} failure(s)` : 'pages: all passed');
process.exit(fails ? 1 : 0);

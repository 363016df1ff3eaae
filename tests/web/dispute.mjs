// dispute.mjs: the epoch page of `assay api serve` in headless Chromium (as pages.mjs) on
// an epoch with a convicted attestation, for tests/integration/dispute.sh. Environment:
//   API  the API (pages)      RPC  the chain's JSON-RPC URL      OUT  where screenshots go
//   EPOCH  the epoch   CONVICTED  the convicted auditor's signer   DISPUTER  who proved it
//   REWARD  what the disputer was paid (wei)
// Checks: the convicted attestation is marked convicted (struck out, "convicted: <kind>, bond
// burned, disputer paid <reward>"), not counted as verified nor as failed; every other one
// is verified; no console error; no request to another host. Exit 1 on any failure.
import puppeteer from 'puppeteer-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const env = (k) => { const v = process.env[k]; if (!v) { console.error(`dispute.mjs: ${k} is not set`); process.exit(2); } return v; };
const API = env('API'), RPC = env('RPC'), OUT = env('OUT'), EPOCH = env('EPOCH');
const CONVICTED = env('CONVICTED').toLowerCase(), DISPUTER = env('DISPUTER').toLowerCase(), REWARD = env('REWARD');
fs.mkdirSync(OUT, { recursive: true });
const allowed = new Set([new URL(API).host, new URL(RPC).host]);
let fails = 0;
const ok = (cond, what) => { console.log((cond ? 'ok   ' : 'FAIL ') + what); if (!cond) fails++; };

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-chromium-'));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, userDataDir: profile,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const errors = [], foreign = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
  page.on('request', (r) => { const u = new URL(r.url()); if (u.protocol.startsWith('http') && !allowed.has(u.host)) foreign.push(r.url()); });
  await page.goto(`${API}/epochs/${EPOCH}`, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  const s = await page.$eval('section[data-page="epoch"]', (sec) => ({
    verified: sec.dataset.verified, failed: sec.dataset.failed, convicted: sec.dataset.convicted,
    summary: sec.querySelector('[data-k="attestation_summary"]').textContent,
    atts: [...sec.querySelectorAll('article.att')].map((a) => {
      const c = a.querySelector('[data-k="conviction"]');
      const who = a.querySelector('h3 .who');
      return { auditor: a.dataset.auditor, verdict: a.dataset.verdict, cls: a.className,
        struck: who ? getComputedStyle(who).textDecorationLine : '',
        conviction: c ? { text: c.textContent, kind: c.dataset.kind, reward: c.dataset.reward, disputer: c.dataset.disputer } : null };
    }),
  }));
  const conv = s.atts.filter((a) => a.conviction);
  ok(s.atts.length >= 2, `${s.atts.length} attestations shown`);
  ok(conv.length === 1 && conv[0].auditor === CONVICTED, `one attestation marked convicted, the convicted auditor's: ${JSON.stringify(conv.map((a) => a.auditor))}`);
  const c = conv[0] || { conviction: {} };
  ok(c.verdict === 'convicted' && / convicted/.test(c.cls), `its verdict is convicted (${c.verdict}, class ${c.cls})`);
  ok(c.struck === 'line-through', `its auditor line is struck out (${c.struck})`);
  ok(c.conviction.kind === 'node_total' && c.conviction.reward === REWARD && c.conviction.disputer === DISPUTER,
    `kind node_total, reward ${REWARD}, disputer ${DISPUTER}: ${JSON.stringify(c.conviction)}`);
  ok(/^convicted: node total, bond burned .*disputer .* paid [0-9]+\.[0-9]{6} tokens/.test(c.conviction.text || ''), `it says so: "${c.conviction.text}"`);
  const others = s.atts.filter((a) => a.auditor !== CONVICTED);
  ok(others.every((a) => a.verdict === 'verified'), `every other attestation verified: ${others.map((a) => a.verdict).join(' ')}`);
  ok(s.convicted === '1' && s.verified === String(others.length) && s.failed === '0',
    `counted: ${s.verified} verified, ${s.failed} failed, ${s.convicted} convicted ("${s.summary}")`);
  ok(errors.length === 0, `no console error${errors.length ? ': ' + errors.join(' | ') : ''}`);
  ok(foreign.length === 0, `no request to another host${foreign.length ? ': ' + foreign.join(' ') : ''}`);
  const f = path.join(OUT, 'epoch-convicted.png');
  await page.screenshot({ path: f, fullPage: true });
  console.log(`     screenshot ${f}`);
} catch (e) {
  ok(false, `the page: ${e.message}`);
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(fails ? 1 : 0);

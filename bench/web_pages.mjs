// web_pages.mjs: loads each of PAGES ROUNDS times in headless Chromium, a fresh tab each
// time, and prints the best and median milliseconds to body[data-ready] (bench/web_pages.sh).
import puppeteer from 'puppeteer-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
const API = process.env.API, ROUNDS = +process.env.ROUNDS || 5, PAGES = process.env.PAGES.split(' ');
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-chromium-'));
const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, userDataDir: profile,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'] });
try {
  console.log(`${'page'.padEnd(60)} ${'best ms'.padStart(8)} ${'median ms'.padStart(10)}  rows`);
  for (const p of PAGES) {
    const times = [];
    let rows = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      const t0 = performance.now();
      await page.goto(API + p, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
      times.push(performance.now() - t0);
      rows = await page.$$eval('tbody tr', (t) => t.length);
      await page.close();
    }
    times.sort((a, b) => a - b);
    console.log(`${p.padEnd(60)} ${times[0].toFixed(0).padStart(8)} ${times[Math.floor(times.length / 2)].toFixed(0).padStart(10)}  ${rows}`);
  }
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}

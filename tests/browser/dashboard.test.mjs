// Issue 6: a leader opens the dashboard and sees the month's figures, the
// twelve-month charts drawn as SVG by the server, and each station's line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { startServer, startBrowser, signIn } from './harness.mjs';

let server;
let browser;
const shots = resolve(import.meta.dirname, 'screenshots');

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test('a leader opens the dashboard and finds the charts and the units filled with the data', async () => {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signIn(page, server, 'leader');
  await page.click('nav a[href="/console/dashboard"]');
  await page.locator('#chart-complaints').waitFor();
  // Twelve monthly bars; this month's holds the demo's complaints.
  const bars = page.locator('#chart-complaints rect.bar');
  assert.equal(await bars.count(), 12);
  const thisMonth = Number(await bars.nth(11).getAttribute('data-value'));
  assert.ok(thisMonth >= 3, `this month's complaints: ${thisMonth}`);
  // The satisfaction line has this month's point, from the demo's ratings.
  const points = page.locator('#chart-satisfaction circle.point');
  assert.ok((await points.count()) >= 1);
  const rate = Number(await points.last().getAttribute('data-value'));
  assert.ok(rate > 0.9 && rate <= 1, `satisfaction ${rate}`);
  // Each station has a line with its figures; volumes give a rate per 10,000.
  const row = page.locator('#unit-indicators tr', { hasText: '小店收费站' });
  const cells = await row.locator('td').allTextContents();
  assert.ok(Number(cells[1]) >= 1, cells.join(' | '));
  assert.match(cells[2], /^\d+\.\d\d$/);
  assert.match(cells[3], /%$/);
  // The month's ranking: 陈晓燕 lost a point to the demo's bad rating naming her.
  const chen = page.locator('#ranking tr', { hasText: '陈晓燕' });
  const chenCells = await chen.locator('td').allTextContents();
  assert.equal(chenCells[3], '99.00', chenCells.join(' | '));
  assert.ok(Number(chenCells[0]) > 1, 'ranked below those with full marks');
  assert.match(await page.textContent('#awards'), /服务标兵/);
  await page.screenshot({ path: resolve(shots, 'dashboard-desk.png'), fullPage: true });
  // The month's printable notice is a PDF a click away (its text is checked
  // by the Rust tests with pdftotext).
  const notice = await page.request.get(server.url + (await page.getAttribute('#notice-pdf', 'href')));
  assert.equal(notice.status(), 200);
  assert.equal(notice.headers()['content-type'], 'application/pdf');
  assert.equal((await notice.body()).subarray(0, 5).toString(), '%PDF-');

  // On a phone the charts scale to the screen.
  const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true })).newPage();
  await signIn(phone, server, 'leader');
  await phone.goto(`${server.url}/console/dashboard`);
  const box = await phone.locator('#chart-complaints').boundingBox();
  assert.ok(box.width <= 390, `chart width ${box.width}`);
  await phone.screenshot({ path: resolve(shots, 'dashboard-phone.png'), fullPage: true });
});

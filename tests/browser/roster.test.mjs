// Issue: the office imports a roster with one bad row, sees the report,
// fixes the file, imports it, and finds the new staff member in the list.
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

const roster = (unit) => Buffer.from(
  `工号,姓名,单位编码,岗位\nS0131,林雨桐,S01-T1,收费员\nS0132,马骁,${unit},收费员\n`,
);

test('the office imports a roster, sees the bad row, fixes it and finds the new staff', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signIn(page, server, 'office');
  // The office lands on its work; the organisation tree is a click away.
  assert.equal(new URL(page.url()).pathname, '/console/home');
  assert.match(await page.textContent('h1'), /工作台/);
  assert.ok(Number(await page.textContent('#mine-open .big')) >= 1, 'the demo office handles cases');
  await page.click('nav.menu-wide a[href="/console"]');
  assert.match(await page.textContent('h1'), /组织机构/);
  assert.match(await page.textContent('table.tree'), /小店收费站/);

  await page.click('a[href="/console/staff"]');
  await page.setInputFiles('input[name=file]', { name: '人员名册.csv', mimeType: 'text/csv', buffer: roster('S09') });
  await page.click('#import-form button[type=submit]');
  const report = page.locator('#import-report');
  await report.waitFor();
  const cells = await report.locator('tbody tr td').allTextContents();
  assert.deepEqual(cells.slice(0, 3), ['人员名册.csv', '3', '单位编码']);
  assert.match(cells[3], /S09/);
  assert.match(await page.textContent('[role=alert]'), /未导入任何数据/);
  await page.screenshot({ path: resolve(shots, 'import-report.png'), fullPage: true });

  await page.click('text=返回人员名册');
  await page.fill('input[name=q]', '林雨桐');
  await page.click('.filters button[type=submit]');
  assert.match(await page.textContent('#staff-table'), /没有符合条件的人员/, 'nothing was imported');

  await page.setInputFiles('input[name=file]', { name: '人员名册.csv', mimeType: 'text/csv', buffer: roster('S01-T2') });
  await page.click('#import-form button[type=submit]');
  assert.equal(await page.textContent('#created'), '2');

  await page.click('text=返回人员名册');
  await page.fill('input[name=q]', '马骁');
  await page.click('.filters button[type=submit]');
  const row = await page.textContent('#staff-table tbody');
  assert.match(row, /S0132/);
  assert.match(row, /二班/);
  await page.screenshot({ path: resolve(shots, 'staff-found.png'), fullPage: true });
});

test('service points show their QR codes and the code opens the public page', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signIn(page, server, 'office');
  await page.goto(`${server.url}/console/points`);
  const img = page.locator('article.point img').first();
  await img.waitFor();
  const natural = await img.evaluate((el) => el.complete && el.naturalWidth);
  assert.ok(natural > 0, 'the QR image loads');
  const href = await page.locator('article.point a', { hasText: '打开公众页面' }).first().getAttribute('href');
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await phone.goto(href);
  assert.match(await phone.textContent('h1'), /车道|服务亭/);
  assert.match(await phone.textContent('body'), /0351-12122/);
  await phone.screenshot({ path: resolve(shots, 'public-point-phone.png'), fullPage: true });
});

test('the console switches to English and back', async () => {
  const page = await browser.newPage();
  await signIn(page, server, 'leader');
  await page.goto(`${server.url}/console/staff`);
  await page.click('a.lang');
  await page.waitForURL(`${server.url}/console/staff`);
  assert.match(await page.textContent('h1'), /Staff roster/);
  await page.click('a.lang');
  await page.waitForURL(`${server.url}/console/staff`);
  assert.match(await page.textContent('h1'), /人员名册/);
});

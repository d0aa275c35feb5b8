// Issue 5: a member of the public rates a service point from its QR page on
// a phone — two taps, no sign-in, no JavaScript needed. A bad rating opens a
// case they can track; rating again from the same phone replaces the first;
// the office sees it on the satisfaction page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { startServer, startBrowser, signIn } from './harness.mjs';

let server;
let browser;
const shots = resolve(import.meta.dirname, 'screenshots');
const phoneViewport = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, javaScriptEnabled: false };

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test('a phone rates a service point from its QR page in two taps', async () => {
  const desk = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signIn(desk, server, 'office');
  await desk.goto(`${server.url}/console/points`);
  const qrTarget = await desk.locator('article.point a', { hasText: '打开公众页面' }).nth(2).getAttribute('href');

  // On a phone with JavaScript off: tap 不满意, add a tag and a comment, submit.
  const phone = await (await browser.newContext(phoneViewport)).newPage();
  await phone.goto(qrTarget);
  assert.equal(await phone.locator('label.level').count(), 5);
  await phone.screenshot({ path: resolve(shots, 'rating-phone.png'), fullPage: true });
  await phone.locator('label.level', { hasText: /^\s*不满意\s*$/ }).tap();
  await phone.locator('details summary').tap();
  await phone.locator('label', { hasText: '等候太久' }).tap();
  await phone.fill('textarea[name=comment]', '浏览器测试：等了二十分钟');
  await phone.locator('form.rate button[type=submit]').tap();
  await phone.locator('#rated').waitFor();
  const number = (await phone.textContent('#case-number')).trim();
  const code = (await phone.textContent('#tracking-code')).trim();
  assert.match(number, /^TY-\d{4}-\d{6}$/);
  assert.ok(code.length >= 32);
  await phone.screenshot({ path: resolve(shots, 'rating-bad-phone.png'), fullPage: true });

  // Changing one's mind from the same phone replaces the rating: two taps.
  await phone.goto(qrTarget);
  await phone.locator('label.level', { hasText: '非常满意' }).tap();
  await phone.locator('form.rate button[type=submit]').tap();
  await phone.locator('#rated').waitFor();
  assert.match(await phone.textContent('main'), /替换了上一次/);

  // At the desk: the bad rating is listed, replaced, with its case.
  await desk.goto(`${server.url}/console/ratings`);
  const row = desk.locator('#bad-ratings tr', { hasText: '浏览器测试：等了二十分钟' });
  await row.waitFor();
  assert.match(await row.textContent(), /已被同一设备的新评价替换/);
  assert.ok(await row.locator('a[href^="/console/cases/"]').count() === 1);
  assert.match(await desk.textContent('#rating-summary'), /小店收费站/);
  await desk.screenshot({ path: resolve(shots, 'ratings-desk.png'), fullPage: true });
});

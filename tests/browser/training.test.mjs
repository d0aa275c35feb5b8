// Issue 20, CMP-2: a staff member scans a session's QR code on a phone,
// signs in, checks in with one tap and sees the session in their own
// training record; the office sees them on the session's attendance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, signedIn } from './harness.mjs';

const it = serverAndBrowser();
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

test('a staff member checks in to a session by its QR code and sees it in their record', async () => {
  const office = await signedIn(it.browser, it.server, 'office');
  await office.page.goto(`${it.server.url}/console/training`);
  await office.page.locator('#session-list a', { hasText: '文明用语与微笑服务' }).click();
  await office.page.waitForURL(/\/console\/training\/sessions\/\d+/);
  const session = office.page.url();
  const checkin = await office.page.getAttribute('#checkin-url', 'href');
  assert.match(checkin, /\/checkin\/[A-Za-z0-9_-]+$/);
  const qr = await office.page.locator('#checkin img').boundingBox();
  assert.ok(qr && qr.width >= 150, `the QR code is shown: ${JSON.stringify(qr)}`);

  // The phone of someone not signed in: the code leads to the sign-in and back.
  const ctx = await it.browser.newContext(phone);
  const page = await ctx.newPage();
  await page.goto(checkin);
  await page.waitForURL((url) => url.pathname === '/login' && url.search.includes('next='));
  await page.fill('input[name=username]', 'staff');
  await page.fill('input[name=password]', it.server.passwords.staff);
  await page.locator('button[type=submit]').tap();
  await page.waitForURL((url) => url.pathname.startsWith('/checkin/'));
  assert.match(await page.textContent('main'), /文明用语与微笑服务/);
  await page.locator('#checkin-form button').tap();
  await page.waitForURL(/\/console\/training\?done=checked_in/);
  assert.match(await page.textContent('#training-done'), /签到成功/);
  const mine = await page.textContent('#mine');
  assert.match(mine, /文明用语与微笑服务/);
  assert.match(mine, /扫码签到/);
  assert.match(mine, /上岗证|资格证/, 'the qualification the demo gave them');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the training page is ${width}px wide on a phone`);
  // A second tap checks nobody in twice.
  await page.goto(checkin);
  await page.locator('#checkin-form button').tap();
  assert.match(await page.textContent('#checkin-error'), /已签到/);
  await ctx.close();

  await office.page.goto(session);
  const row = await office.page.textContent('#attendance-list');
  assert.match(row, /陈晓燕/);
  assert.match(row, /扫码签到/);
  await office.ctx.close();
});

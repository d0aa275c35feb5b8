// Issue 19 point 5 and PUB-4: the station master keeps his station's
// roster and its kiosk's facilities from a phone; the public sees who is on
// duty, the fee standards and the facilities they can use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, signedIn } from './harness.mjs';

const it = serverAndBrowser();
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

/** Today in China time, YYYY-MM-DD. */
function chinaDay(days = 0) {
  return new Date(Date.now() + (8 + 24 * days) * 3600e3).toISOString().slice(0, 10);
}

test('the station master rosters tomorrow and adds medicine to the kiosk; the QR page shows them', async () => {
  const { ctx, page } = await signedIn(it.browser, it.server, 'shiftlead', phone);
  await page.goto(`${it.server.url}/console/duty`);
  // Today's roster of his station: himself leading it (the demo's).
  assert.match(await page.textContent('#shifts'), /小店收费站[\s\S]*值班站长[\s\S]*刘强/);
  assert.doesNotMatch(await page.textContent('#shifts'), /武宿收费站/, 'only the station he keeps');

  // A shift without a person comes back with the message beside the field.
  await page.locator('#roster summary').first().tap();
  await page.selectOption('#duty-form select[name=unit_id]', { label: '小店收费站' });
  await page.selectOption('#duty-form select[name=duty]', 'kiosk');
  await page.fill('#duty-form input[name=date]', chinaDay(1));
  await page.locator('#duty-form button[type=submit]').tap();
  await page.locator('#error-staff_id').waitFor();
  await page.selectOption('#duty-form select[name=staff_id]', { index: 2 });
  await page.locator('#duty-form button[type=submit]').tap();
  await page.locator('#duty-done').waitFor();
  assert.match(await page.textContent('#shifts'), /便民亭值守/);

  // Medicine needs its expiry date; with it, it is listed and flagged as
  // expiring within the pack's 30 days.
  await page.locator('#facilities summary').first().tap();
  await page.selectOption('#facility-form select[name=service_point_id]', { label: '小店收费站 小店收费站 便民服务亭' });
  await page.selectOption('#facility-form select[name=kind]', 'medicine');
  await page.fill('#facility-form input[name=name]', '浏览器测试：晕车药');
  await page.locator('#facility-form button[type=submit]').tap();
  await page.locator('#error-expires_on').waitFor();
  await page.fill('#facility-form input[name=expires_on]', chinaDay(10));
  await page.locator('#facility-form button[type=submit]').tap();
  await page.locator('#duty-done').waitFor();
  const row = page.locator('#facility-list tr', { hasText: '浏览器测试：晕车药' });
  assert.match(await row.textContent(), /即将过期/);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the duty page is ${width}px wide on a phone`);

  // The kiosk's QR page: who is on duty now with 工号, the fee standards,
  // and the facilities, the new medicine among them.
  await page.goto(`${it.server.url}/console/points`);
  const qr = await page.locator('article.point', { hasText: '便民服务亭' }).first()
    .locator('a', { hasText: '打开公众页面' }).getAttribute('href');
  const p = await (await it.browser.newContext(phone)).newPage();
  await p.goto(qr);
  assert.match(await p.textContent('#on-duty'), /刘强[\s\S]*S0100/);
  assert.match(await p.textContent('#fees'), /车辆通行费/);
  assert.match(await p.textContent('#facilities'), /浏览器测试：晕车药/);
  await ctx.close();
});

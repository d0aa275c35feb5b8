// Issue 20, CMP-1: the lead department submits a campaign task with a photo
// from a phone; the leader follows the phase's progress on a phone and
// accepts it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, signedIn } from './harness.mjs';

const it = serverAndBrowser();
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

test('the office submits a task with a photo and the leader accepts it on a phone', async () => {
  const office = await signedIn(it.browser, it.server, 'office', phone);
  await office.page.goto(`${it.server.url}/console/campaigns`);
  await office.page.locator('#campaigns a').first().tap();
  await office.page.waitForURL(/\/console\/campaigns\/\d+/);
  const url = office.page.url();
  // The demo's campaign: 征费室 leads; the third task is still open.
  const task = office.page.locator('article.task', { hasText: '落实“六个统一”' });
  await task.locator('details summary', { hasText: '提交验收' }).tap();
  await task.locator('textarea[name=text]').fill('浏览器测试：三个收费站已对照检查，见照片');
  await task.locator('input[name=photos]').setInputFiles({ name: 'check.png', mimeType: 'image/png', buffer: PNG });
  await task.locator('form.submit-task button').tap();
  await office.page.waitForURL(/#task-/);
  assert.match(await task.textContent(), /已提交/);
  assert.equal(await task.locator('.photos img').count(), 1, 'the photo is shown with the task');
  await office.ctx.close();

  const leader = await signedIn(it.browser, it.server, 'leader', phone);
  await leader.page.goto(url);
  const bar = await leader.page.locator('#phase-bars').boundingBox();
  assert.ok(bar && bar.width > 200, `the phase bar: ${JSON.stringify(bar)}`);
  const before = await leader.page.textContent('#percent');
  const row = leader.page.locator('article.task', { hasText: '落实“六个统一”' });
  assert.match(await row.textContent(), /浏览器测试：三个收费站已对照检查/);
  await row.locator('form.accept-task button').tap();
  await leader.page.waitForURL(/#task-/);
  assert.match(await row.textContent(), /已验收/);
  assert.notEqual(await leader.page.textContent('#percent'), before, 'the progress moved');
  const width = await leader.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the campaign page is ${width}px wide on a phone`);
  await leader.ctx.close();
});

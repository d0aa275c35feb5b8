// Issue 19, PUB-1..4: the office publishes a road notice for a station and
// withdraws it; a citizen on a phone sees it on the station's QR page and
// the organisation's page while it is published, and not after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, signedIn } from './harness.mjs';

const it = serverAndBrowser();
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const desktop = { viewport: { width: 1366, height: 900 } };

/** A `datetime-local` value in China time, `hours` from now. */
function chinaTime(hours) {
  return new Date(Date.now() + (8 + hours) * 3600e3).toISOString().slice(0, 16);
}

test('the office publishes a road notice a phone sees on the QR page, then withdraws it', async () => {
  const { ctx, page } = await signedIn(it.browser, it.server, 'office', desktop);
  await page.goto(`${it.server.url}/console/notices`);
  // The demo has a notice already, so the form is folded: open it.
  if (!(await page.locator('#notice-form').isVisible())) await page.click('details:has(#notice-form) > summary');
  // A refused form comes back with what was typed and the reason beside the field.
  await page.selectOption('#notice-form select[name=kind]', 'outage');
  await page.fill('#notice-form input[name=title]', '浏览器测试：计划停电');
  await page.click('#notice-form button[type=submit]');
  assert.match(await page.textContent('#error-area'), /停电范围/);
  assert.match(await page.textContent('#error-valid_from'), /生效时间/);
  assert.equal(await page.inputValue('#notice-form input[name=title]'), '浏览器测试：计划停电');

  const title = '浏览器测试：小店站团雾';
  await page.selectOption('#notice-form select[name=kind]', 'road');
  await page.fill('#notice-form input[name=title]', title);
  await page.fill('#notice-form textarea[name=body]', '小店收费站附近团雾，请减速慢行。\n开启雾灯。');
  await page.fill('#notice-form input[name=valid_from]', chinaTime(-1));
  await page.fill('#notice-form input[name=valid_until]', chinaTime(24));
  await page.selectOption('#notice-form select[name=unit_id]', { label: '小店收费站' });
  await page.click('#notice-form button[type=submit]');
  await page.locator('#notice-done').waitFor();
  const row = page.locator('#notices tbody tr', { hasText: title });
  assert.match(await row.textContent(), /公众现在可见/);

  // A hospital near the station, for the directory; a bad distance first comes back beside its field.
  await page.goto(`${it.server.url}/console/directory`);
  await page.locator('summary', { hasText: '新增一条' }).click();
  await page.selectOption('#directory-form select[name=unit_id]', { label: '小店收费站' });
  await page.selectOption('#directory-form select[name=kind]', 'hospital');
  await page.fill('#directory-form input[name=name]', '浏览器测试：小店区人民医院');
  await page.fill('#directory-form input[name=phone]', '0351-7654321');
  await page.fill('#directory-form input[name=distance_km]', '远');
  await page.click('#directory-form button[type=submit]');
  assert.match(await page.textContent('#error-distance_km'), /公里/);
  assert.equal(await page.inputValue('#directory-form input[name=name]'), '浏览器测试：小店区人民医院');
  await page.fill('#directory-form input[name=distance_km]', '2.5');
  await page.click('#directory-form button[type=submit]');
  await page.locator('#directory-done').waitFor();

  // The station's QR page on a phone shows the notice in paragraphs, the
  // directory and the commitments, without sideways scrolling.
  await page.goto(`${it.server.url}/console/points`);
  const qr = await page.locator('article.point', { hasText: '小店' }).first()
    .locator('a', { hasText: '打开公众页面' }).getAttribute('href');
  const p = await (await it.browser.newContext(phone)).newPage();
  await p.goto(qr);
  assert.match(await p.textContent('#public-notices'), new RegExp(title));
  const ours = p.locator('#public-notices article', { hasText: title });
  assert.equal(await ours.locator('p', { hasText: '开启雾灯。' }).count(), 1, 'the body in paragraphs');
  assert.match(await p.textContent('#public-directory'), /浏览器测试：小店区人民医院[\s\S]*2\.5 km/);
  assert.match(await p.textContent('#promises'), /48小时内予以处理/);
  const width = await p.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `QR page is ${width}px wide`);
  await p.goto(`${it.server.url}/o/TY`);
  assert.match(await p.textContent('#public-notices'), new RegExp(title));

  // A service guide, found by two characters, read whole and printed without the header.
  await p.locator('#guides-link').tap();
  await p.fill('#guide-search input[name=q]', '绿色');
  await p.locator('#guide-search button').tap();
  await p.locator('#guides a').first().tap();
  assert.match(await p.textContent('#guide-basis'), /交公路发〔2019〕99号/);
  assert.equal(await p.locator('#guide-materials tbody tr').count(), 4);
  assert.ok((await p.evaluate(() => document.documentElement.scrollWidth)) <= 390);
  await p.emulateMedia({ media: 'print' });
  assert.equal(await p.locator('header.top').isVisible(), false, 'printed without the header');
  const pdf = await p.pdf();
  assert.ok(pdf.length > 10000, `printed ${pdf.length} bytes`);
  await p.emulateMedia({ media: 'screen' });

  // Withdrawn: it asks for a reason and a tick, then leaves the public pages at once.
  await page.goto(`${it.server.url}/console/notices`);
  const again = page.locator('#notices tbody tr', { hasText: title });
  await again.locator('details summary').click();
  await again.locator('input[name=reason]').fill('团雾已散');
  await again.locator('input[name=confirm]').check();
  await again.locator('button.danger').click();
  await page.locator('#notice-done').waitFor();
  assert.match(await page.textContent('#notice-done'), /已撤回/);
  await p.goto(qr);
  assert.equal(await p.locator('#public-notices', { hasText: title }).count(), 0);
  await ctx.close();
});

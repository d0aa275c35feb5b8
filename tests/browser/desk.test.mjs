// Issue 18, points 9, 10 and 12: a desk registers a caller's complaint and
// reads eight digits to them, which track the case on a phone; a badge's QR
// page says whose service is rated; the questionnaire editor is a form of
// controls that keeps what was typed when it is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, signedIn } from './harness.mjs';

const it = serverAndBrowser();
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const desktop = { viewport: { width: 1366, height: 900 } };


test('a caller is read eight digits at the desk and tracks the case with them on a phone', async () => {
  const { ctx, page } = await signedIn(it.browser, it.server, 'office', desktop);
  await page.goto(`${it.server.url}/console/cases/new`);
  await page.selectOption('select[name=channel]', 'hotline');
  await page.fill('textarea[name=description]', '浏览器测试：电话投诉收费员态度生硬');
  await page.fill('input[name=reporter_phone]', '13900001111');
  await page.click('#case-form button[type=submit]');
  // The demo holds a complaint like it: the desk sees it, in words, and registers anyway.
  if (await page.locator('#case-form').count()) {
    assert.match(await page.textContent('main'), /内容相似/);
    await page.click('#case-form button[type=submit]');
  }
  await page.locator('#spoken-code').waitFor();
  const number = (await page.textContent('#case-number')).trim().split(/\s/)[0];
  const spoken = (await page.textContent('#spoken-code')).trim();
  assert.match(spoken, /^\d{4} \d{4}$/, 'eight digits in two groups, to read aloud');
  assert.ok((await page.textContent('#tracking-code')).trim().length >= 32, 'the full code is there too');
  // Shown once: the case page opened again does not show it.
  await page.reload();
  assert.equal(await page.locator('#spoken-code').count(), 0);
  await ctx.close();

  const p = await (await it.browser.newContext(phone)).newPage();
  await p.goto(`${it.server.url}/track`);
  await p.fill('input[name=number]', number);
  await p.fill('input[name=code]', spoken);
  await p.locator('#track-form button[type=submit]').tap();
  await p.locator('#track-view').waitFor();
  assert.match(await p.textContent('#track-state'), /\S/);
  const width = await p.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `tracking page is ${width}px wide`);
  const before = (await p.textContent('#track-state')).trim();

  // Withdrawing asks for a tick first; without it nothing changes.
  await p.locator('details.withdraw summary').tap();
  await p.locator('#withdraw-form button').tap();
  assert.match(await p.textContent('[role=alert]'), /勾选确认/);
  assert.equal((await p.textContent('#track-state')).trim(), before);
  await p.locator('#withdraw-form input[name=confirm]').check();
  await p.locator('#withdraw-form button').tap();
  await p.locator('#undo-withdrawal-form').waitFor();
  assert.match(await p.textContent('#track-state'), /已撤回/);
  // A mistake: undone the same day, and the case is back where it was.
  await p.locator('#undo-withdrawal-form button').tap();
  await p.locator('#track-view').waitFor();
  assert.equal((await p.textContent('#track-state')).trim(), before);
  assert.match(await p.textContent('ol.timeline'), /撤销撤回/);
  assert.equal(await p.locator('#undo-withdrawal-form').count(), 0);
});

test("a badge's QR page says whose service is rated, by name and staff number", async () => {
  const { ctx, page } = await signedIn(it.browser, it.server, 'office', desktop);
  await page.goto(`${it.server.url}/console/points`);
  const href = await page.locator('article.point a', { hasText: '打开公众页面' }).first().getAttribute('href');
  await ctx.close();
  const p = await (await it.browser.newContext(phone)).newPage();
  await p.goto(`${href}?staff=S0111`);
  const card = await p.textContent('#server-card');
  assert.match(card, /陈晓燕/);
  assert.match(card, /S0111/);
  assert.equal(await p.getAttribute('input[name=staff_no]', 'value'), 'S0111');
  // A number that names nobody: said so, and the rating counts for the point.
  await p.goto(`${href}?staff=S9999`);
  assert.equal(await p.locator('#server-card').count(), 0);
  assert.match(await p.textContent('#unknown-staff'), /S9999/);
  assert.equal(await p.locator('input[name=staff_no]').count(), 0);
});

test('the questionnaire editor builds questions with controls and keeps them when refused', async () => {
  const { ctx, page } = await signedIn(it.browser, it.server, 'office', desktop);
  await page.goto(`${it.server.url}/console/surveys`);
  // It starts from the example, one question a row, with its dimension chosen.
  assert.equal(await page.inputValue('input[name=q1_text]'), '服务环境是否整洁舒适？');
  assert.equal(await page.inputValue('select[name=q1_dim]'), 'tangibles');
  await page.fill('input[name=code]', 'BROWSER');
  await page.fill('input[name=title]', '浏览器测试问卷');
  // A scale question without its dimension, in row 2.
  await page.selectOption('select[name=q2_dim]', '');
  await page.fill('input[name=q2_text]', '浏览器测试：窗口是否准时开放？');
  await page.click('button:has-text("发布")');
  const row = page.locator('fieldset#q2');
  assert.match(await row.locator('.field-error').textContent(), /维度/);
  assert.equal(await page.inputValue('input[name=q2_text]'), '浏览器测试：窗口是否准时开放？', 'what was typed is kept');
  assert.equal(await page.inputValue('input[name=code]'), 'BROWSER');
  assert.equal(await page.inputValue('input[name=title]'), '浏览器测试问卷');
  // More rows keep everything and add blank ones.
  const before = await page.locator('fieldset.question').count();
  await page.click('button[name=more]');
  assert.equal(await page.locator('fieldset.question').count(), before + 4);
  assert.equal(await page.inputValue('input[name=q2_text]'), '浏览器测试：窗口是否准时开放？');
  // Fixed, it publishes.
  await page.selectOption('select[name=q2_dim]', 'reliability');
  const last = before + 1;
  await page.selectOption(`select[name=q${last}_kind]`, 'choice');
  await page.fill(`input[name=q${last}_text]`, '浏览器测试：您办理的业务');
  await page.fill(`input[name=q${last}_opts]`, '缴费；咨询');
  await page.click('button:has-text("发布")');
  await page.waitForURL(/\/console\/surveys\/\d+$/);
  const lines = await page.textContent('pre');
  assert.match(lines, /scale \| reliability \| 浏览器测试：窗口是否准时开放？/);
  assert.match(lines, /choice \| 浏览器测试：您办理的业务 \| 缴费; 咨询/);
  await ctx.close();
});

test('a refused finding comes back with every choice as it was, the staff of the case\'s unit first', async () => {
  const { ctx, page } = await signedIn(it.browser, it.server, 'office', desktop);
  await page.goto(`${it.server.url}/console/cases/new`);
  await page.selectOption('select[name=channel]', 'walk_in');
  await page.selectOption('select[name=service_point_id]', { label: '小店收费站 · 小店收费站 出口 2 号车道' });
  await page.fill('textarea[name=description]', '浏览器测试：出口车道收费员未唱收唱付');
  await page.click('#case-form button[type=submit]');
  if (await page.locator('#case-form').count()) await page.click('#case-form button[type=submit]');
  await page.locator('#spoken-code').waitFor();
  await page.click('form[data-action=start] button[type=submit]');
  await page.locator('#action-done').waitFor();
  const form = page.locator('form[data-action=conclude]');
  // The picker shows the case's station first.
  assert.equal(await form.locator('select[name=staff_id] optgroup').first().getAttribute('label'), '小店收费站');
  const chen = await form.locator('select[name=staff_id] option', { hasText: '陈晓燕' }).getAttribute('value');
  await form.locator('select[name=finding]').selectOption('substantiated');
  await form.locator('select[name=staff_id]').selectOption(chen);
  const rule = await form.locator('select[name=rule_code] option').nth(1).getAttribute('value');
  await form.locator('select[name=rule_code]').selectOption(rule);
  await form.locator('input[name=apology_made]').check();
  await form.locator('input[name=summary]').fill('属实：未唱收唱付');
  // Concluding 属实 needs the tick; without it the form comes back as typed.
  await form.locator('button[type=submit]').click();
  const again = page.locator('form[data-action=conclude]');
  await again.locator('#action-refused').waitFor();
  assert.equal(await again.locator('select[name=finding]').inputValue(), 'substantiated');
  assert.equal(await again.locator('select[name=staff_id]').inputValue(), chen);
  assert.equal(await again.locator('select[name=rule_code]').inputValue(), rule);
  assert.ok(await again.locator('input[name=apology_made]').isChecked());
  assert.equal(await again.locator('input[name=summary]').inputValue(), '属实：未唱收唱付');
  await ctx.close();
});

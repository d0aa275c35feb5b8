// Issue: on a phone, a supervisor records a secret inspection with one
// failed item and a photo; the office approves the proposed fine; the staff
// member sees it and appeals; the leader's appeal decision is shown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { startServer, startBrowser, signedIn } from './harness.mjs';

let server;
let browser;
const shots = resolve(import.meta.dirname, 'screenshots');
const phoneViewport = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
// A tiny red PNG, as a phone camera would hand over a file.
const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function as(username, options = {}) {
  const s = await signedIn(browser, server, username, options);
  // Supervisors land on their inspections: they may do nothing else.
  if (username === 'supervisor') assert.equal(s.page.url(), `${server.url}/console/inspections`);
  return s;
}

test('a secret inspection on a phone leads to an approved fine, an appeal and its decision', async () => {
  // The supervisor, on a phone.
  const sup = await as('supervisor', phoneViewport);
  const nav = await sup.page.locator('header nav.menu-wide').textContent();
  assert.ok(!nav.includes('员工') && !nav.includes('案件'), `a supervisor sees only inspections: ${nav}`);
  await sup.page.click('#new-inspection');
  await sup.page.selectOption('select[name=mode]', 'secret');
  const target = await sup.page.locator('select[name=target] option', { hasText: '小店收费站' }).first().getAttribute('value');
  await sup.page.selectOption('select[name=target]', target);
  const staffOpt = await sup.page.locator('select[name=staff_id] option', { hasText: '陈晓燕' }).first().getAttribute('value');
  await sup.page.selectOption('select[name=staff_id]', staffOpt);
  await sup.page.check('input[name=result_TY-U1][value=pass]');
  await sup.page.check('input[name=result_TY-U2][value=fail]');
  await sup.page.fill('input[name=note_TY-U2]', '未使用“您好”“谢谢”等文明用语');
  await sup.page.setInputFiles('input[name=photo_TY-U2]', { name: 'IMG_0001.png', mimeType: 'image/png', buffer: png });
  await sup.page.screenshot({ path: resolve(shots, 'inspection-phone.png'), fullPage: true });
  await sup.page.click('#inspection-form button[type=submit]');
  await sup.page.waitForURL(/\/console\/inspections\/\d+$/);
  const failed = sup.page.locator('#items tr.result-fail');
  assert.match(await failed.innerText(), /TY-U2/);
  const thumb = failed.locator('img');
  await thumb.waitFor();
  assert.ok(await thumb.evaluate((img) => img.complete && img.naturalWidth > 0), 'the photo thumbnail loads');
  // The supervisor cannot open the ledger or the roster.
  const denied = await sup.page.goto(`${server.url}/console/staff`);
  assert.equal(denied.status(), 403);
  await sup.ctx.close();

  // The office approves the proposed 200-yuan fine.
  const office = await as('office');
  await office.page.goto(`${server.url}/console/ledger`);
  const row = office.page.locator('#waiting tr', { hasText: '陈晓燕' }).filter({ hasText: '罚款' }).first();
  assert.match(await row.innerText(), /200\.00 元/);
  await row.locator('a').click();
  assert.match(await office.page.locator('#explanation').innerText(), /200元/);
  await office.page.click('#decide button[value=yes]');
  await office.page.waitForURL(/\/console\/ledger\/\d+$/);
  assert.match(await office.page.locator('#status').innerText(), /已生效/);
  const entryUrl = office.page.url();
  await office.ctx.close();

  // The staff member sees the fine and appeals.
  const staff = await as('staff');
  await staff.page.goto(`${server.url}/console/ledger`);
  assert.match(await staff.page.locator('#my-fines').innerText(), /200\.00 元/);
  await staff.page.goto(entryUrl);
  await staff.page.fill('#appeal-form textarea[name=reason]', '当时正在处理特情车辆，已向司机致意');
  await staff.page.click('#appeal-form button[type=submit]');
  await staff.page.locator('#appeal').waitFor();
  assert.match(await staff.page.locator('#appeal').innerText(), /申诉待决定/);
  assert.equal(await staff.page.locator('#appeal-form').count(), 0, 'an entry is appealed once');
  await staff.ctx.close();

  // The leading group decides the appeal.
  const leader = await as('leader');
  await leader.page.goto(entryUrl);
  await leader.page.selectOption('#appeal-decide select[name=outcome]', 'upheld');
  await leader.page.fill('#appeal-decide textarea[name=decision]', '经调取监控，事实清楚，维持原处理');
  await leader.page.click('#appeal-decide button[type=submit]');
  await leader.page.locator('#appeal-decision').waitFor();
  await leader.ctx.close();

  // The staff member sees the decision.
  const again = await as('staff');
  await again.page.goto(entryUrl);
  assert.match(await again.page.locator('#appeal').innerText(), /维持原决定/);
  assert.match(await again.page.locator('#appeal-decision').innerText(), /维持原处理/);
  await again.page.screenshot({ path: resolve(shots, 'appeal-decided.png'), fullPage: true });
  await again.ctx.close();
});

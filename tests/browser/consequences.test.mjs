// Issue 15: consequences people can trust. A supervisor's secret visit
// finds two breaches by the collector 陈晓燕; the office approves both
// violations; the month's best team breaks a rule as a team and loses its
// eligibility. The leader opens the dashboard and finds her score lowered
// by two violations and 金牌服务班组 going to an eligible team.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { startServer, startBrowser, signedIn } from './harness.mjs';

let server;
let browser;
const shots = resolve(import.meta.dirname, 'screenshots');
const phoneViewport = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.stop();
});

const as = (username, options) => signedIn(browser, server, username, options);

/// The dashboard's ranking score of `name` and the gold team award's cells.
async function dashboard(page) {
  await page.goto(`${server.url}/console/dashboard`);
  const cells = await page.locator('#ranking tr', { hasText: '陈晓燕' }).first().locator('td').allInnerTexts();
  const gold = await page.locator('#awards tr', { hasText: '金牌服务班组' }).first().locator('td').allInnerTexts();
  return { score: Number(cells[3]), winner: gold[1].trim(), ineligible: gold[2].trim() };
}

/// Approves every waiting entry whose cells (#, who, kind, amount, why) pass `wanted`.
async function approveAll(page, wanted) {
  for (let approved = 0; ; approved++) {
    await page.goto(`${server.url}/console/ledger`);
    const rows = page.locator('#waiting tbody tr');
    let link = null;
    for (let i = 0; i < (await rows.count()); i++) {
      const cells = await rows.nth(i).locator('td').allInnerTexts();
      if (wanted(cells)) { link = rows.nth(i).locator('a'); break; }
    }
    if (!link) return approved;
    await link.click();
    await page.click('#decide button[value=yes]');
    await page.waitForURL(/\/console\/ledger\/\d+$/);
    assert.match(await page.locator('#status').innerText(), /已生效/);
  }
}

test('approved violations lower the collector\'s score and the gold team award skips an ineligible team', async () => {
  const leader = await as('leader');
  const start = await dashboard(leader.page);
  assert.ok(start.score > 0, `her score is listed: ${start.score}`);
  assert.ok(start.winner.length > 0, 'a team wins 金牌服务班组 at first');

  // The supervisor's secret visit, on a phone: two failed items.
  const sup = await as('supervisor', phoneViewport);
  await sup.page.click('#new-inspection');
  await sup.page.selectOption('select[name=mode]', 'secret');
  const target = await sup.page.locator('select[name=target] option', { hasText: '小店收费站' }).first().getAttribute('value');
  await sup.page.selectOption('select[name=target]', target);
  const staffOpt = await sup.page.locator('select[name=staff_id] option', { hasText: '陈晓燕' }).first().getAttribute('value');
  await sup.page.selectOption('select[name=staff_id]', staffOpt);
  await sup.page.check('input[name=result_TY-U1][value=fail]');
  await sup.page.fill('input[name=note_TY-U1]', '未佩戴工号牌');
  await sup.page.check('input[name=result_TY-U2][value=fail]');
  await sup.page.fill('input[name=note_TY-U2]', '未使用文明用语');
  await sup.page.click('#inspection-form button[type=submit]');
  await sup.page.waitForURL(/\/console\/inspections\/\d+$/);
  await sup.ctx.close();

  // The office approves her two violations (the supervisor proposed them).
  const office = await as('office');
  const violations = await approveAll(office.page, (c) => c[1].includes('陈晓燕') && c[2].trim() === '违规');
  assert.equal(violations, 2, 'one violation per failed item');
  // The best team breaks a rule as a team: a fact about the unit itself.
  await office.page.goto(`${server.url}/console/ledger/new`);
  await office.page.selectOption('#fact-form select[name=kind]', 'violation');
  const unit = await office.page.locator('#fact-unit option', { hasText: start.winner }).first().getAttribute('value');
  await office.page.selectOption('#fact-unit', unit);
  await office.page.selectOption('#fact-form select[name=rule_code]', 'TY-U4');
  await office.page.fill('#fact-form input[name=note]', '班组亭内物品未定置摆放');
  await office.page.click('#fact-form button[type=submit]');
  await office.page.waitForURL(/\/console\/ledger/);
  await office.ctx.close();

  // The leader approves the team's loss of eligibility (the office proposed it).
  const lost = await approveAll(leader.page, (c) => !c[1].includes('陈晓燕') && c[2].includes('取消评先评优资格'));
  assert.equal(lost, 1, 'the team loses its eligibility');

  const now = await dashboard(leader.page);
  assert.equal(now.score, start.score - 6, `two violations × 3 points: ${start.score} → ${now.score}`);
  assert.notEqual(now.winner, start.winner, 'the team that lost eligibility does not win');
  assert.ok(now.winner.length > 1 && now.winner !== '—', `another team wins: ${now.winner}`);
  assert.ok(now.ineligible.includes(start.winner), `listed apart with the reason: ${now.ineligible}`);
  await leader.page.screenshot({ path: resolve(shots, 'consequences-dashboard.png'), fullPage: true });
  await leader.ctx.close();
});

// Issue: a member of the public files a complaint from a service point's QR
// page on a phone and tracks it with the number and code; at a desk, the
// office takes it to a reply; the reporter's callback closes it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { startServer, startBrowser, signIn } from './harness.mjs';

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

async function track(phone, number, code) {
  await phone.goto(`${server.url}/track`);
  await phone.fill('input[name=number]', number);
  await phone.fill('input[name=code]', code);
  await phone.click('#track-form button[type=submit]');
  await phone.locator('#track-view').waitFor();
}

test('a complaint filed from a QR page on a phone is handled at a desk and closed by the reporter', async () => {
  // The office looks up the QR target of a lane, as printed on its card.
  const desk = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signIn(desk, server, 'office');
  await desk.goto(`${server.url}/console/points`);
  const qrTarget = await desk.locator('article.point a', { hasText: '打开公众页面' }).nth(1).getAttribute('href');

  // On a phone, without signing in.
  const phone = await (await browser.newContext(phoneViewport)).newPage();
  await phone.goto(qrTarget);
  await phone.click('a.button');
  await phone.check('input[name=kind][value=complaint]');
  await phone.selectOption('select[name=category]', 'attitude');
  await phone.fill('textarea[name=description]', '出口车道收费员态度生硬，把卡扔出窗外');
  await phone.fill('input[name=phone]', '13812345678');
  // A photo of what happened, as a phone's camera gives it.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
  await phone.setInputFiles('input[name=photos]', [{ name: 'photo.png', mimeType: 'image/png', buffer: png }]);
  await phone.screenshot({ path: resolve(shots, 'complaint-form-phone.png'), fullPage: true });
  await phone.click('#feedback-form button[type=submit]');
  const number = (await phone.textContent('#case-number')).trim();
  const code = (await phone.textContent('#tracking-code')).trim();
  assert.match(number, /^TY-\d{4}-\d{6}$/);
  assert.equal(code.replaceAll('-', '').length, 32);
  await phone.screenshot({ path: resolve(shots, 'complaint-received-phone.png'), fullPage: true });

  // The tracking link opens the case without typing the code.
  await phone.click('#tracking-link');
  await phone.locator('#track-view').waitFor();
  assert.equal((await phone.textContent('#track-state')).trim(), '已受理');
  assert.ok(!phone.url().includes(code.slice(0, 8)), `the code leaves the address bar: ${phone.url()}`);
  await track(phone, number, code);
  assert.equal((await phone.textContent('#track-state')).trim(), '已受理');

  // At the desk: the unassigned inbox has it; the office takes it to a reply.
  await desk.goto(`${server.url}/console/cases?inbox=unassigned`);
  await desk.click(`text=${number}`);
  assert.match(await desk.textContent('#case-description'), /把卡扔出窗外/);
  // The reporter's photo is on the case, as a thumbnail that loads.
  const thumb = desk.locator('#case-photos img');
  assert.equal(await thumb.count(), 1);
  assert.ok(await thumb.evaluate((img) => img.complete && img.naturalWidth > 0), 'the thumbnail loads');
  assert.match(await desk.textContent('#reporter'), /138\*\*\*\*5678/, 'the office sees the phone masked');
  await desk.click('form[data-action=start] button');
  await desk.fill('form[data-action=conclude] input[name=summary]', '经查看录像属实，已当面致歉并批评教育');
  await desk.check('form[data-action=conclude] input[name=apology_made]');
  // Concluding 属实 goes on a person's ledger: without the tick the form
  // comes back with the message beside it and the summary as typed.
  await desk.click('form[data-action=conclude] button');
  await desk.locator('form[data-action=conclude] #action-refused').waitFor();
  assert.equal(await desk.inputValue('form[data-action=conclude] input[name=summary]'), '经查看录像属实，已当面致歉并批评教育');
  await desk.check('form[data-action=conclude] input[name=apology_made]');
  await desk.check('form[data-action=conclude] input[name=confirm]');
  await desk.click('form[data-action=conclude] button');
  // The page it ends on says what happened.
  assert.equal(await desk.textContent('#action-done'), '已记录调查结论');
  await desk.fill('form[data-action=reply] textarea[name=text]', '经核实情况属实，已对当事收费员批评教育，向您致歉。');
  await desk.click('form[data-action=reply] button');
  assert.equal((await desk.textContent('#case-state')).trim(), '已答复');
  await desk.screenshot({ path: resolve(shots, 'case-replied-desk.png'), fullPage: true });

  // The reporter reads the reply and is satisfied: that closes the case.
  await track(phone, number, code);
  assert.match(await phone.textContent('#track-reply'), /批评教育/);
  await phone.click('#callback-form button[value=satisfied]');
  await phone.locator('#track-view').waitFor();
  assert.equal((await phone.textContent('#track-state')).trim(), '已办结');
  await phone.screenshot({ path: resolve(shots, 'case-closed-phone.png'), fullPage: true });

  await desk.reload();
  assert.equal((await desk.textContent('#case-state')).trim(), '已办结');
  // The timeline in words, not event codes.
  const timeline = await desk.textContent('#case-timeline');
  assert.match(timeline, /记录了回访/);
  assert.doesNotMatch(timeline, /case\.[a-z_]+/);
});

test('a wrong tracking code gets the same answer as a missing case', async () => {
  const phone = await (await browser.newContext(phoneViewport)).newPage();
  await phone.goto(`${server.url}/track`);
  await phone.fill('input[name=number]', 'TY-2026-999999');
  await phone.fill('input[name=code]', 'AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA');
  await phone.click('#track-form button[type=submit]');
  assert.match(await phone.textContent('[role=alert]'), /编号或查询码不正确/);
});

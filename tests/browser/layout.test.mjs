// Issue 18, point 6: no console page scrolls sideways on a phone, for any
// role, and the header is one line there, its menu folded behind one
// button. Every page a role's menu offers opens (no link to a 403), and so
// do the pages those link to and the first record of each list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, signedIn } from './harness.mjs';

const it = serverAndBrowser();
const phone = { viewport: { width: 390, height: 844 }, isMobile: true };
const roles = ['office', 'leader', 'shiftlead', 'staff', 'supervisor', 'finance', 'discipline', 'admin'];


async function measure(page) {
  return page.evaluate(() => {
    const header = document.querySelector('header.top').getBoundingClientRect();
    const wide = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .slice(0, 3)
      .map((e) => `<${e.tagName.toLowerCase()} class="${e.className}">`);
    return { scrollWidth: document.documentElement.scrollWidth, header: header.height, wide };
  });
}

for (const role of roles) {
  test(`${role}: every console page fits a phone's width, under a one-line header`, async () => {
    const { ctx, page } = await signedIn(it.browser, it.server, role, phone);
    // The menu opens from one button and holds the role's pages.
    await page.click('header details.menu-phone summary');
    const menu = await page.$$eval('header details.menu-phone nav a', (as) => as.map((a) => a.getAttribute('href')));
    assert.ok(menu.length >= 2, `${role}'s menu: ${menu}`);
    const pages = menu.filter((h) => h.startsWith('/console'));
    const seen = new Set();
    const checked = [];
    for (const href of pages) {
      const queue = [href];
      while (queue.length) {
        const path = queue.shift();
        if (seen.has(path)) continue;
        seen.add(path);
        const r = await page.goto(it.server.url + path);
        assert.equal(r.status(), 200, `${role}: ${path} answered ${r.status()}`);
        const m = await measure(page);
        assert.ok(m.scrollWidth <= 390, `${role}: ${path} is ${m.scrollWidth}px wide: ${m.wide.join(' ')}`);
        assert.ok(m.header <= 64, `${role}: ${path}'s header is ${m.header}px tall (one line)`);
        checked.push(path);
        // From each menu page: the pages it links to (new record, fines,
        // plans, surveys…) and the first record of its list.
        if (path === href) {
          const links = await page.$$eval('main a[href^="/console/"]', (as) => as.map((a) => a.getAttribute('href')));
          const usable = links.map((h) => h.split('#')[0])
            .filter((h) => !/export|\.xlsx|\.svg|\.png|\/photos\//.test(h));
          queue.push(...usable.filter((h) => !/\/\d+$/.test(h) && !h.includes('?')));
          queue.push(...usable.filter((h) => /\/\d+$/.test(h)).slice(0, 1));
        }
      }
    }
    assert.ok(checked.length >= pages.length, `${role}: ${checked}`);
    if (process.env.CHUANGKOU_LAYOUT_LIST) console.log(role, checked.length, checked.join(" "));
    await ctx.close();
  });
}

test("the inspection checklist's choices sit beside their words on a phone", async () => {
  const { ctx, page } = await signedIn(it.browser, it.server, 'supervisor', phone);
  await page.goto(`${it.server.url}/console/inspections/new`);
  const boxes = await page.$$eval('div.item:first-of-type label.inline', (labels) => labels.map((l) => {
    const input = l.querySelector('input').getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(l);
    const text = [...range.getClientRects()].filter((r) => r.left >= input.right - 1);
    const words = text.length ? text[0] : range.getBoundingClientRect();
    return { input: { left: input.left, right: input.right, mid: input.top + input.height / 2, width: input.width },
      words: { left: words.left, mid: words.top + words.height / 2 }, text: l.textContent.trim() };
  }));
  assert.equal(boxes.length, 3, JSON.stringify(boxes));
  for (const b of boxes) {
    assert.ok(b.input.width < 30, `${b.text}: the circle is ${b.input.width}px wide`);
    assert.ok(Math.abs(b.input.mid - b.words.mid) < 12, `${b.text}: circle and words on one line ${JSON.stringify(b)}`);
  }
  // The three choices share a line or two, not one each with a stretched circle.
  const rows = new Set(boxes.map((b) => Math.round(b.input.mid)));
  assert.ok(rows.size <= 2, `choices spread over ${rows.size} lines`);
  await ctx.close();
});

test('the case list: one line per cell at a desk, a card per case on a phone', async () => {
  const desk = await signedIn(it.browser, it.server, 'office', { viewport: { width: 1366, height: 900 } });
  await desk.page.goto(`${it.server.url}/console/cases?inbox=all`);
  // A cell is as tall as its row; its text is what must stay on one line.
  const heights = await desk.page.$$eval('#cases-table tbody tr td:not(.lead)', (tds) => tds.map((td) => {
    const range = document.createRange();
    range.selectNodeContents(td);
    return [td.textContent.trim(), range.getBoundingClientRect().height];
  }));
  assert.ok(heights.length >= 6, JSON.stringify(heights));
  for (const [text, h] of heights) assert.ok(h < 32, `"${text}" wraps: ${h}px tall`);
  assert.deepEqual(await desk.page.$$eval('#cases-table thead th', (ths) => ths.length), 7);
  await desk.ctx.close();

  const ph = await signedIn(it.browser, it.server, 'office', phone);
  await ph.page.goto(`${it.server.url}/console/cases?inbox=all`);
  assert.equal(await ph.page.isVisible('#cases-table thead'), false, 'no header row on a phone');
  const cards = await ph.page.$$eval('#cases-table tbody tr', (trs) => trs.map((tr) => {
    const r = tr.getBoundingClientRect();
    return { display: getComputedStyle(tr).display, width: r.width };
  }));
  assert.ok(cards.length >= 3 && cards.every((c) => c.display === 'grid' && c.width <= 390), JSON.stringify(cards));
  // The filters besides the search are folded away.
  assert.equal(await ph.page.isVisible('#case-filters select[name=category]'), false);
  await ph.ctx.close();
});

test('the ledger and the inspections are cards on a phone too', async () => {
  const { ctx, page } = await signedIn(it.browser, it.server, 'office', phone);
  for (const [path, table] of [['/console/ledger', '#entries'], ['/console/inspections', '#inspections']]) {
    await page.goto(it.server.url + path);
    assert.equal(await page.isVisible(`${table} thead`), false, `${path}: no header row on a phone`);
    const rows = await page.$$eval(`${table} tbody tr`, (trs) => trs.map((tr) => getComputedStyle(tr).display));
    assert.ok(rows.length >= 1 && rows.every((d) => d === 'grid'), `${path}: ${rows}`);
  }
  await ctx.close();
});

// Issue 18, point 7: switched to English, a page is English: no Chinese in
// its words (headings, labels, buttons, hints, menus). Data (names, units,
// what reporters wrote) is the organisation's own and stays as it is; it
// sits in table cells, definitions, options, or elements marked `.data`.
for (const role of ['leader', 'office', 'supervisor', 'staff']) {
  test(`${role}: in English, no Chinese words are left on the console pages`, async () => {
    const { ctx, page } = await signedIn(it.browser, it.server, role, { viewport: { width: 1366, height: 900 } });
    await ctx.addCookies([{ name: 'ck_lang', value: 'en', url: it.server.url }]);
    await page.goto(`${it.server.url}/console/home`);
    const menu = await page.$$eval('header nav.menu-wide a', (as) => as.map((a) => a.getAttribute('href')));
    const pages = new Set(menu.filter((h) => h.startsWith('/console')));
    for (const extra of ['/console/notifications', '/console/fines', '/console/rectifications', '/console/annual', '/console/eligibility', '/console/surveys', '/console/ledger/new', '/console/inspections/new', '/console/cases/new']) pages.add(extra);
    const found = [];
    const queue = [...pages];
    const seen = new Set();
    while (queue.length) {
      const path = queue.shift();
      if (seen.has(path)) continue;
      seen.add(path);
      const r = await page.goto(it.server.url + path);
      if (r.status() === 403) continue;
      // And the first record each list links to (a case, an entry, an inspection…).
      if (pages.has(path)) {
        const records = await page.$$eval('main a[href^="/console/"]', (as) => as.map((a) => a.getAttribute('href').split('#')[0]));
        queue.push(...records.filter((h) => /\/\d+$/.test(h) && !h.includes('/photos/')).slice(0, 1));
      }
      assert.equal(r.status(), 200, `${role}: ${path}`);
      assert.equal(await page.getAttribute('html', 'lang'), 'en', path);
      const chinese = await page.evaluate(() => {
        const skip = 'td, dd, option, textarea, code, .data, #notices li, ol.timeline li, svg, script, style, a.lang';
        const out = [];
        const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let n = walk.nextNode(); n; n = walk.nextNode()) {
          if (!/[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]/.test(n.textContent)) continue;
          if (n.parentElement.closest(skip)) continue;
          out.push(`<${n.parentElement.tagName.toLowerCase()}> ${n.textContent.trim().slice(0, 60)}`);
        }
        for (const e of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
          for (const a of ['placeholder', 'aria-label', 'title']) {
            const v = e.getAttribute(a);
            if (v && /[\u4e00-\u9fff]/.test(v) && !e.closest('.data, svg')) out.push(`${a}="${v}"`);
          }
        }
        return out;
      });
      found.push(...chinese.map((c) => `${path}: ${c}`));
    }
    assert.deepEqual(found, [], `${role}: Chinese left in English pages`);
    await ctx.close();
  });
}

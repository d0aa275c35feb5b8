// Issue 18: axe-core finds no serious or critical accessibility violation
// on the main pages of every role and on the public pages, at desktop and
// phone sizes (WCAG 2.1 A and AA rules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { serverAndBrowser, signedIn } from './harness.mjs';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const it = serverAndBrowser();
const roles = ['office', 'leader', 'shiftlead', 'staff', 'supervisor', 'finance', 'discipline', 'admin'];
// axe is put into the page by the test, past the pages' own script policy.
const sizes = { desktop: { viewport: { width: 1366, height: 900 }, bypassCSP: true }, phone: { viewport: { width: 390, height: 844 }, isMobile: true, bypassCSP: true } };


/// The serious and critical violations on the page shown, in words.
async function violations(page) {
  await page.addScriptTag({ path: axePath });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  return found;
}

for (const role of roles) {
  test(`${role}: the console's main pages pass axe-core`, async () => {
    const found = [];
    for (const [size, options] of Object.entries(sizes)) {
      const { ctx, page } = await signedIn(it.browser, it.server, role, options);
      await page.goto(`${it.server.url}/console/home`);
      const menu = await page.$$eval('header nav.menu-wide a, header details.menu-phone nav a', (as) => as.map((a) => a.getAttribute('href')));
      const pages = [...new Set(menu.filter((h) => h.startsWith('/console')))];
      // At desktop size every menu page; on a phone the landing page and the first two.
      for (const path of size === 'desktop' ? pages : pages.slice(0, 3)) {
        const r = await page.goto(it.server.url + path);
        assert.equal(r.status(), 200, `${role}: ${path}`);
        found.push(...(await violations(page)).map((v) => `${size} ${path}: ${v}`));
      }
      await ctx.close();
    }
    assert.deepEqual(found, [], `${role}: accessibility violations`);
  });
}

test('the public pages pass axe-core on a phone and at a desk', async () => {
  const { ctx, page } = await signedIn(it.browser, it.server, 'office', sizes.desktop);
  await page.goto(`${it.server.url}/console/points`);
  const point = await page.locator('article.point a', { hasText: '打开公众页面' }).first().getAttribute('href');
  const org = await page.locator('header a[href^="/o/"]').first().getAttribute('href');
  await ctx.close();
  const paths = [new URL(point).pathname, `${new URL(point).pathname}/feedback`, org, `${org}/feedback`, '/track', '/login'];
  const found = [];
  for (const [size, options] of Object.entries(sizes)) {
    const page = await (await it.browser.newContext(options)).newPage();
    for (const path of paths) {
      const r = await page.goto(it.server.url + path);
      assert.equal(r.status(), 200, path);
      found.push(...(await violations(page)).map((v) => `${size} ${path}: ${v}`));
    }
  }
  assert.deepEqual(found, [], 'accessibility violations on public pages');
});

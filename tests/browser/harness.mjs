// Starts the real chuangkou binary on a fresh data folder and a free port,
// and a real Chromium (Debian's /usr/bin/chromium) to drive it.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '../..');

export async function startServer() {
  const bin = process.env.CHUANGKOU_BIN ?? join(root, 'target/debug/chuangkou');
  const dataDir = mkdtempSync(join(tmpdir(), 'chuangkou-browser-'));
  const env = { ...process.env, CHUANGKOU_DATA_DIR: dataDir, CHUANGKOU_LOG: 'warn' };
  // The browser tests use the embedded database unless told otherwise.
  if (!process.env.CHUANGKOU_BROWSER_DATABASE_URL) delete env.CHUANGKOU_DATABASE_URL;
  else env.CHUANGKOU_DATABASE_URL = process.env.CHUANGKOU_BROWSER_DATABASE_URL;
  const child = spawn(bin, ['serve', '--demo', '--listen', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start:\n${out}`)), 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[\d.:]+)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    child.on('exit', (code) => fail(new Error(`server exited with ${code}:\n${out}`)));
  });
  const passwords = Object.fromEntries(
    [...out.matchAll(/^\s+(\w+)\s+(\S+)\s+\S+ \/ /gm)].map((m) => [m[1], m[2]]),
  );
  return { url, passwords, dataDir, stop: () => child.kill('SIGTERM') };
}

export async function startBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export async function signIn(page, server, username) {
  await page.goto(`${server.url}/login`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', server.passwords[username]);
  await page.click('button[type=submit]');
  await page.waitForURL((url) => url.pathname.startsWith('/console'));
}

/// A new browser context (`options`: viewport and the like) signed in as
/// `username`, on whatever console page the role lands on.
export async function signedIn(browser, server, username, options = {}) {
  const ctx = await browser.newContext(options);
  const page = await ctx.newPage();
  await page.goto(`${server.url}/login`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', server.passwords[username]);
  await page.click('button[type=submit]');
  await page.waitForURL((url) => url.pathname.startsWith('/console'));
  return { ctx, page };
}

/// One server and one browser for a test file: started before its tests,
/// stopped after them. Read `.server` and `.browser` inside the tests.
export function serverAndBrowser() {
  const it = { server: undefined, browser: undefined };
  before(async () => {
    it.server = await startServer();
    it.browser = await startBrowser();
  });
  after(async () => {
    await it.browser?.close();
    it.server?.stop();
  });
  return it;
}

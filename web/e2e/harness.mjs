// What the browser tests share: the real binaries built from this checkout,
// a fresh Postgres database, Debian's Chromium, axe and screenshots.
// Not a test file itself (node --test runs only *.test.mjs here).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

export const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
export const webDir = resolve(here, '..');
export const repoDir = resolve(webDir, '..');
export const shotDir = resolve(process.env.SCREENSHOT_DIR ?? join(webDir, 'test-results', 'screenshots'));
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const pgAdminURL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

export function psql(sql) {
  return run('psql', [pgAdminURL, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql], { timeout: 30_000 });
}

export function databaseURL(name) {
  const u = new URL(pgAdminURL);
  u.pathname = `/${name}`;
  u.searchParams.set('sslmode', 'disable');
  return u.toString();
}

/** Builds web/dist when the Makefile has not (the binary embeds it), then both binaries into bin. */
export async function buildBinaries(bin) {
  mkdirSync(shotDir, { recursive: true });
  if (!existsSync(join(webDir, 'dist', 'index.html'))) {
    await run('npx', ['vite', 'build'], { cwd: webDir, timeout: 300_000 });
    await run('node', ['-e', "require('fs').writeFileSync('dist/.gitkeep', '')"], { cwd: webDir });
  }
  await run('go', ['build', '-o', join(bin, 'stripeshop'), './cmd/stripeshop'], { cwd: repoDir, timeout: 600_000 });
  await run('go', ['build', '-o', join(bin, 'stripesim'), './cmd/stripesim'], { cwd: repoDir, timeout: 600_000 });
}

/** Starts a process in dir (no .env from the repo is read), its output in dir/NAME.log. */
export function start(dir, name, bin, args, env) {
  const logPath = join(dir, `${name}.log`);
  const log = openSync(logPath, 'a');
  const child = spawn(bin, args, {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME ?? dir, ...env },
    stdio: ['ignore', log, log],
  });
  child.logPath = logPath;
  child.exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));
  return child;
}

/** Ends a process started by start: SIGTERM, then SIGKILL if it lingers. */
export async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await child.exited;
  clearTimeout(timer);
}

function tail(path, lines = 40) {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function waitFor200(url, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let exited = null;
  child.exited.then((e) => (exited = e));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${url}: the process exited (${JSON.stringify(exited)}):\n${tail(child.logPath)}`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms:\n${tail(child.logPath)}`);
}

export function launchChromium(options = {}) {
  // launch() gives every run a fresh temporary profile of its own.
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs, ...options });
}

/** Saves the page at desktop and phone width: NAME-desktop.png, NAME-phone.png. */
export async function shoot(page, name) {
  await page.evaluate(() => document.fonts?.ready);
  await page.screenshot({ path: join(shotDir, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await laidOut(page);
  await page.screenshot({ path: join(shotDir, `${name}-phone.png`), fullPage: true });
  // At phone width nothing may push the page sideways (wide tables scroll in their own box).
  const wide = await page.evaluate(() => {
    const limit = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= limit) return [];
    return [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > limit + 1 && !el.closest('.table-wrap, dialog:not([open])'))
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
  });
  assert.deepEqual(wide, [], `${name}: the page is wider than a phone`);
  await page.setViewportSize(DESKTOP);
  await laidOut(page);
}

/**
 * Waits until the page is laid out at its viewport's width: every chart
 * has been resized to its box (RevenueChart does it from a ResizeObserver)
 * and a frame has been rendered since. A condition, not a pause: a busy
 * machine renders late.
 */
export async function laidOut(page) {
  await page.waitForFunction(() =>
    [...document.querySelectorAll('.chart__canvas')].every((box) => {
      const chart = box.querySelector('.u-wrap'); // uPlot sets its width
      return !chart || Math.abs(chart.getBoundingClientRect().width - Math.max(280, box.clientWidth)) < 1;
    }), undefined, { timeout: 60_000 });
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
}

/**
 * Runs axe-core on the page and fails on any violation. Evaluated through
 * the driver, not as a script tag: the shop's CSP allows no inline script.
 */
export async function assertAccessible(page, what) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(found, [], `${what}: axe violations`);
}

/**
 * A page whose console errors (and uncaught exceptions) are pushed to
 * errors, for a test to fail on; page.scripts lists the scripts it loaded.
 * sim is the simulator's address, whose hosted page has no icon.
 */
export async function openPage(browser, who, errors, sim) {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', timezoneId: 'UTC' });
  // Every wait is for a condition (an element, a URL); the bound is only
  // reached when it never comes, not when a busy machine renders late.
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location()?.url ?? '';
    // The admin shell asks /me to learn whether someone is logged in; before
    // the login that answers 401 by contract, and Chromium logs the status.
    if (/status of 401/.test(msg.text()) && where.endsWith('/api/admin/me')) return;
    if (where === `${sim}/favicon.ico`) return;
    errors.push(`[${who}] ${msg.text()} (${where || page.url()})`);
  });
  page.on('pageerror', (err) => errors.push(`[${who}] uncaught: ${err.message} (${page.url()})`));
  page.scripts = [];
  page.on('request', (req) => req.resourceType() === 'script' && page.scripts.push(req.url()));
  return page;
}

/**
 * Returns step(t, name, fn): a sub-step; after one fails the rest are
 * skipped, and every open page of the browser is saved as PREFIX-N.png.
 */
export function stepper(getBrowser, prefix) {
  let broken = false;
  return (t, name, fn) =>
    t.test(name, { skip: broken && 'an earlier step failed' }, async () => {
      try {
        await fn();
      } catch (err) {
        broken = true;
        let n = 0;
        for (const context of getBrowser().contexts()) {
          for (const page of context.pages()) {
            n += 1;
            await page.screenshot({ path: join(shotDir, `${prefix}-${n}.png`), fullPage: true }).catch(() => {});
            console.error(`failed at ${page.url()} (screenshot ${prefix}-${n}.png)`);
          }
        }
        throw err;
      }
    });
}

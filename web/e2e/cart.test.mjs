// DRAFT (issue 14): the browser test of a whole cart checkout. Written on
// the front end's branch before the back end (helper `cart`) and the
// simulator's address, rate and promotion-code page (helper `sim`) landed:
// it skips itself while the server does not know shipping rates, and the
// simulator's selectors marked SIM below are guesses to check against its page.
//
// A three-line cart with a shipping rate and a promotion code, paid on the
// simulator's page, gives an order whose lines, address, discount, shipping,
// tax and total equal what the simulator charged; the customer's success page
// and the admin show them; a partial refund of one line puts its units back.
//
//   node --test web/e2e/cart.test.mjs     (environment as for flow.test.mjs)
//
// The set-up repeats flow.test.mjs's in short; once both pass, the two can
// share one harness module.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const webDir = resolve(here, '..');
const repoDir = resolve(webDir, '..');
const shotDir = resolve(process.env.SCREENSHOT_DIR ?? join(webDir, 'test-results', 'screenshots'));
const pgAdminURL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ADMIN_EMAIL = 'admin@example.com';
const ADMIN_PASSWORD = `e2e-${randomBytes(12).toString('hex')}`;
const WEBHOOK_SECRET = 'whsec_e2e_cart';
const PHONE = { width: 390, height: 844 };

const tmp = mkdtempSync(join(tmpdir(), 'stripeshop-e2e-cart-'));
const dbName = `stripeshop_e2e_cart_${process.pid}_${randomBytes(3).toString('hex')}`;
const children = [];
const consoleErrors = [];
let dbCreated = false;
let browser;
let app;
let sim;
let cartReady = false;

const freePort = () =>
  new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });

const psql = (sql) => run('psql', [pgAdminURL, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql], { timeout: 30_000 });

function start(name, bin, args, env) {
  const log = openSync(join(tmp, `${name}.log`), 'a');
  const child = spawn(bin, args, { cwd: tmp, env: { PATH: process.env.PATH, HOME: tmp, ...env }, stdio: ['ignore', log, log] });
  child.exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));
  children.push(child);
  return child;
}

async function until200(url, child) {
  let exited = null;
  child.exited.then((e) => (exited = e));
  for (;;) {
    if (exited) throw new Error(`${url}: the process exited ${JSON.stringify(exited)} (logs in ${tmp})`);
    const ok = await fetch(url).then((r) => r.status === 200, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

before(async () => {
  mkdirSync(shotDir, { recursive: true });
  const bin = join(tmp, 'bin');
  if (!existsSync(join(webDir, 'dist', 'index.html'))) {
    // The binary embeds web/dist; build it when the Makefile has not.
    await run('npx', ['vite', 'build'], { cwd: webDir, timeout: 300_000 });
    await run('node', ['-e', "require('fs').writeFileSync('dist/.gitkeep', '')"], { cwd: webDir });
  }
  await run('go', ['build', '-o', join(bin, 'stripeshop'), './cmd/stripeshop'], { cwd: repoDir, timeout: 600_000 });
  await run('go', ['build', '-o', join(bin, 'stripesim'), './cmd/stripesim'], { cwd: repoDir, timeout: 600_000 });
  await psql(`CREATE DATABASE "${dbName}"`);
  dbCreated = true;
  const [appPort, simPort] = [await freePort(), await freePort()];
  app = `http://127.0.0.1:${appPort}`;
  sim = `http://127.0.0.1:${simPort}`;
  const db = new URL(pgAdminURL);
  db.pathname = `/${dbName}`;
  db.searchParams.set('sslmode', 'disable');
  const simProc = start('stripesim', join(bin, 'stripesim'), [], {
    STRIPESIM_ADDR: `127.0.0.1:${simPort}`,
    STRIPESIM_PUBLIC_URL: sim,
    STRIPESIM_WEBHOOK_URL: `${app}/webhook/stripe`,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPESIM_PROMOTION_CODES: 'SAVE10=10%',
    STRIPESIM_TAX_RATE: '8.25',
  });
  const appProc = start('stripeshop', join(bin, 'stripeshop'), ['serve'], {
    DATABASE_URL: db.toString(),
    HTTP_ADDR: `127.0.0.1:${appPort}`,
    APP_URL: app,
    STRIPE_SECRET_KEY: 'sk_test_e2e',
    STRIPE_API_URL: sim,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    SHIPPING_COUNTRIES: 'US,CA',
    PROMOTION_CODES: 'true',
    AUTOMATIC_TAX: 'true',
    TAX_BEHAVIOR: 'exclusive',
  });
  await until200(`${sim}/_sim/events`, simProc);
  await until200(`${app}/readyz`, appProc);
  const spec = await fetch(`${app}/api/openapi.json`).then((r) => r.text());
  cartReady = spec.includes('/api/admin/shipping-rates');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close().catch(() => {});
  for (const child of children.reverse()) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await child.exited;
    }
  }
  if (dbCreated) await psql(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch((e) => console.error(e));
  if (!process.env.E2E_KEEP_TMP) rmSync(tmp, { recursive: true, force: true });
});

async function newPage(who, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'UTC' });
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  page.on('console', (msg) => {
    const where = msg.location()?.url ?? '';
    if (msg.type() !== 'error' || where.endsWith('/api/admin/me') || where === `${sim}/favicon.ico`) return;
    consoleErrors.push(`[${who}] ${msg.text()} (${where || page.url()})`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`[${who}] uncaught: ${err.message}`));
  return page;
}

const money = (text) => Number(text.replace(/[^\d.-]/g, ''));

test('a three-line cart with a shipping rate and a promotion code, paid, refunded in part', async (t) => {
  if (!cartReady) {
    t.skip('the server has no cart checkout yet (issue 14 back end)');
    return;
  }
  const tag = randomBytes(2).toString('hex');
  const names = [`Cart mug ${tag}`, `Cart tea ${tag}`, `Cart spoon ${tag}`];
  const admin = await newPage('admin');
  await admin.goto(`${app}/admin/login`);
  await admin.getByLabel('Email').fill(ADMIN_EMAIL);
  await admin.getByLabel('Password').fill(ADMIN_PASSWORD);
  await admin.getByRole('button', { name: 'Log in' }).click();
  await admin.getByRole('heading', { name: 'Dashboard' }).waitFor();

  await t.test('the admin makes three products and a shipping rate', async () => {
    for (const [i, name] of names.entries()) {
      await admin.goto(`${app}/admin/products/new`);
      await admin.getByLabel('Name').fill(name);
      await admin.getByLabel('Price').fill(['12.50', '8.00', '3.00'][i]);
      await admin.getByLabel('Stock').fill('5');
      await admin.getByRole('button', { name: 'Create product' }).click();
      await admin.getByText(`Saved “${name}”.`).waitFor();
    }
    await admin.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Shipping' }).click();
    await admin.getByRole('button', { name: 'New shipping rate' }).click();
    const form = admin.getByRole('form', { name: 'New shipping rate' });
    await form.getByLabel('Name').fill('Standard');
    await form.getByLabel('Amount').fill('5.00');
    await form.getByLabel('Delivery from (days)').fill('3');
    await form.getByLabel('Delivery to (days)').fill('5');
    await form.getByRole('button', { name: 'Create shipping rate' }).click();
    await admin.getByText('“Standard” is created.').waitFor();
  });

  const shopper = await newPage('customer');
  const charged = {};
  await t.test('the customer fills a cart that survives a reload', async () => {
    for (const [i, name] of names.entries()) {
      await shopper.goto(`${app}/`);
      await shopper.getByRole('link', { name: new RegExp(name) }).click();
      await shopper.getByRole('heading', { name }).waitFor();
      await shopper.getByLabel('Quantity').fill(String(i === 0 ? 2 : 1));
      await shopper.getByRole('button', { name: 'Add to cart' }).click();
      await shopper.getByRole('status').filter({ hasText: 'Added' }).waitFor();
    }
    await shopper.reload();
    await shopper.getByRole('link', { name: 'Cart, 4 items' }).click();
    await shopper.getByRole('heading', { name: 'Your cart' }).waitFor();
    await shopper.getByText('$36.00').waitFor(); // 2 × 12.50 + 8.00 + 3.00
    await shopper.getByText('Shipping and tax are calculated at checkout.').waitFor();
    await shopper.setViewportSize(PHONE);
    assert.equal(await shopper.evaluate(() => document.documentElement.scrollWidth <= innerWidth), true);
    await shopper.setViewportSize({ width: 1280, height: 800 });
  });

  await t.test('the customer pays on the simulator with an address, a rate and a code', async () => {
    await shopper.getByRole('button', { name: 'Check out' }).click();
    await shopper.waitForURL(`${sim}/pay/**`);
    // SIM: the simulator's field names and ids are guesses.
    await shopper.locator('#email').fill('cart@example.com');
    await shopper.getByLabel(/Address line 1/i).fill('1 Main St');
    await shopper.getByLabel(/City/i).fill('Springfield');
    await shopper.getByLabel(/State/i).fill('IL');
    await shopper.getByLabel(/ZIP|Postal/i).first().fill('62701');
    await shopper.getByLabel(/Standard/).check();
    await shopper.getByLabel(/Promotion code/i).fill('SAVE10');
    await shopper.getByRole('button', { name: /Apply/i }).click();
    await shopper.getByText(/SAVE10/).first().waitFor();
    for (const key of ['subtotal', 'discount', 'shipping', 'tax', 'total']) {
      charged[key] = money(await shopper.locator(`#${key}`).textContent());
    }
    await shopper.locator('#card-number').fill('4242 4242 4242 4242');
    await shopper.locator('#card-expiry').fill('12 / 34');
    await shopper.locator('#card-cvc').fill('123');
    await shopper.locator('#card-name').fill('Ada Lovelace');
    await shopper.locator('#pay').click();
    await shopper.waitForURL(`${app}/checkout/success?session_id=*`);
    await shopper.getByRole('heading', { name: 'Paid — thank you' }).waitFor();
  });

  await t.test('the success page shows what the simulator charged, and the cart is empty', async () => {
    const rows = Object.fromEntries(
      await shopper.locator('dl.summary > div').evaluateAll((divs) =>
        divs.map((d) => [d.querySelector('dt').textContent, d.querySelector('dd').textContent]),
      ),
    );
    assert.equal(rows[`${names[0]} × 2`], '$25.00');
    assert.equal(money(rows.Subtotal), charged.subtotal);
    assert.equal(money(rows['Discount (SAVE10)']), charged.discount);
    assert.equal(money(rows['Shipping (Standard)']), charged.shipping);
    assert.equal(money(rows.Tax), charged.tax);
    assert.equal(money(rows.Total), charged.total);
    await shopper.getByText('Springfield, IL, 62701').waitFor();
    await shopper.getByRole('link', { name: 'Cart, 0 items' }).waitFor();
  });

  await t.test('the admin sees the same order and refunds the spoon, back in stock', async () => {
    await admin.goto(`${app}/admin/orders`);
    await admin.getByLabel('E-mail or order number').fill('cart@');
    await admin.getByRole('button', { name: 'Find' }).click();
    await admin.getByRole('row').filter({ hasText: `${names[0]} and 2 more` }).getByRole('link').click();
    await admin.getByRole('table', { name: 'Items in this order' }).waitFor();
    await admin.getByText('Ships to').waitFor();
    const total = await admin.locator('dl.summary > div', { hasText: 'Total' }).locator('dd').textContent();
    assert.equal(money(total), charged.total);
    await admin.getByRole('button', { name: /^Refund \$/ }).click();
    const dialog = admin.getByRole('dialog', { name: 'Refund this order?' });
    await dialog.getByRole('radio', { name: 'Some items' }).check();
    await dialog.getByLabel(new RegExp(`^${names[2]}`)).fill('1');
    await dialog.getByRole('checkbox', { name: 'Put the refunded units back in stock' }).check();
    await dialog.getByRole('button', { name: 'Refund' }).click();
    await admin.getByText(/^Refunded \$/).waitFor();
    await admin.getByText('Partly refunded').waitFor();
  });

  await t.test('no browser console errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});

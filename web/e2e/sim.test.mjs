// Browser test of the simulator's hosted checkout page on its own: the
// stripesim binary built from this checkout, a session created through its
// Stripe API, and Debian's Chromium driven by playwright-core. No shop and
// no database are needed; a small server in this process stands in for the
// shop's success and cancel pages and its webhook endpoint. The simulator
// runs as Stripe can be: every event type, shuffled, at 2025-03-31.basil,
// with a state file that a test restarts it on.
//
//   node --test web/e2e/sim.test.mjs      (or `npm run e2e` in web/, which runs every e2e file)
//
// Environment:
//   CHROMIUM_PATH   browser binary (default /usr/bin/chromium)
//   SIM_SCREENSHOT_DIR  where the page's screenshots go (default web/test-results/screenshots;
//                       docs/screenshots to refresh the ones the docs show)
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHTTPServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const repoDir = resolve(here, '..', '..');
const shotDir = resolve(process.env.SIM_SCREENSHOT_DIR ?? join(repoDir, 'web', 'test-results', 'screenshots'));
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const MERCHANT = 'Camp Coffee Co.';
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };
const BANK_DEBIT_DELAY = '2s';

const tmp = mkdtempSync(join(tmpdir(), 'stripesim-e2e-'));
let sim; // http://127.0.0.1:port of stripesim
let shop; // the stand-in shop
let simProc;
let shopServer;
let browser;
const events = []; // webhook payloads the stand-in shop received
const consoleErrors = [];

function listen(server) {
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res(server.address().port)));
}

async function freePort() {
  const s = createHTTPServer();
  const port = await listen(s);
  await new Promise((res) => s.close(res));
  return port;
}

const MUG_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96"><rect width="96" height="96" fill="#e8eef7"/><rect x="24" y="30" width="40" height="40" rx="6" fill="#2f6f8f"/><path d="M64 38h6a8 8 0 0 1 0 16h-6" fill="none" stroke="#2f6f8f" stroke-width="5"/><circle cx="34" cy="42" r="2" fill="#fff"/><circle cx="48" cy="54" r="2" fill="#fff"/><circle cx="40" cy="62" r="2" fill="#fff"/></svg>`;

/** The shop's side: the pages the customer is sent back to, an image, and the webhook endpoint. */
function shopHandler(req, res) {
  const url = new URL(req.url, shop);
  if (req.method === 'POST' && url.pathname === '/webhook') {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      events.push(JSON.parse(body));
      res.writeHead(200).end('{}');
    });
    return;
  }
  if (url.pathname === '/mug.svg') {
    res.writeHead(200, { 'Content-Type': 'image/svg+xml' }).end(MUG_SVG);
    return;
  }
  const page = (title) =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,"></head>` +
    `<body><main><h1>${title}</h1><p id="session">${url.searchParams.get('session_id') ?? ''}</p></main></body></html>`;
  if (url.pathname === '/success') return void res.writeHead(200, { 'Content-Type': 'text/html' }).end(page('Thank you'));
  if (url.pathname === '/cancel') return void res.writeHead(200, { 'Content-Type': 'text/html' }).end(page('Cancelled'));
  res.writeHead(404).end();
}

// The simulator as Stripe can be: every event type, delivered in random
// order, at a newer API version, its state kept in a file across restarts.
const simBin = join(tmp, 'stripesim');
const simLog = join(tmp, 'stripesim.log');
let simPort;

async function startSim() {
  simProc = spawn(simBin, [], {
    cwd: tmp,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME ?? tmp,
      STRIPESIM_ADDR: `127.0.0.1:${simPort}`,
      STRIPESIM_PUBLIC_URL: sim,
      STRIPESIM_WEBHOOK_URL: `${shop}/webhook`,
      STRIPE_WEBHOOK_SECRET: 'whsec_sim_e2e',
      STRIPESIM_MERCHANT_NAME: MERCHANT,
      STRIPESIM_BANK_DEBIT_DELAY: BANK_DEBIT_DELAY,
      STRIPESIM_EVENTS: '*',
      STRIPESIM_SHUFFLE: '1',
      STRIPESIM_API_VERSION: '2025-03-31.basil',
      STRIPESIM_STATE_FILE: join(tmp, 'state', 'stripesim.json'),
    },
    stdio: ['ignore', openSync(simLog, 'a'), openSync(simLog, 'a')],
  });
  simProc.exited = new Promise((res) => simProc.on('exit', (code, signal) => res({ code, signal })));
  await waitFor('stripesim to answer', async () => {
    if (simProc.exitCode !== null) throw new Error(`stripesim exited:\n${readFileSync(simLog, 'utf8')}`);
    try {
      return (await fetch(`${sim}/_sim/events`)).ok;
    } catch {
      return false;
    }
  });
}

async function stopSim() {
  simProc.kill('SIGTERM');
  const { code } = await simProc.exited;
  assert.equal(code, 0, `stripesim stopped with ${code}:\n${readFileSync(simLog, 'utf8')}`);
}

async function waitFor(what, cond, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  mkdirSync(shotDir, { recursive: true });
  shopServer = createHTTPServer(shopHandler);
  shop = `http://127.0.0.1:${await listen(shopServer)}`;

  await run('go', ['build', '-o', simBin, './cmd/stripesim'], { cwd: repoDir, timeout: 600_000 });
  simPort = await freePort();
  sim = `http://127.0.0.1:${simPort}`;
  await startSim();

  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close().catch(() => {});
  if (simProc && simProc.exitCode === null) {
    simProc.kill('SIGTERM');
    await simProc.exited;
  }
  shopServer?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Creates a Checkout Session through the Stripe API, form encoded as Stripe's clients send it. */
async function createSession() {
  const form = new URLSearchParams({
    mode: 'payment',
    success_url: `${shop}/success?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${shop}/cancel`,
    'line_items[0][price_data][currency]': 'usd',
    'line_items[0][price_data][unit_amount]': '1250',
    'line_items[0][price_data][product_data][name]': 'Enamel camp mug',
    'line_items[0][price_data][product_data][images][0]': `${shop}/mug.svg`,
    'line_items[0][quantity]': '2',
    'line_items[1][price_data][currency]': 'usd',
    'line_items[1][price_data][unit_amount]': '450',
    'line_items[1][price_data][product_data][name]': 'Paper filters (100)',
    'line_items[1][quantity]': '1',
  });
  const res = await fetch(`${sim}/v1/checkout/sessions`, {
    method: 'POST',
    headers: { Authorization: 'Bearer sk_test_x', 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

async function sessionStatus(id) {
  const res = await fetch(`${sim}/v1/checkout/sessions/${id}?expand[]=payment_intent`, { headers: { Authorization: 'Bearer sk_test_x' } });
  return res.json();
}

async function newPage(viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'UTC' });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // The page answers a decline 402 and a form with errors 422, which
    // Chromium logs; what the customer sees is checked by the tests.
    if (/status of (402|422)/.test(msg.text()) && msg.location()?.url?.startsWith(`${sim}/pay/`)) return;
    consoleErrors.push(`${msg.text()} (${page.url()})`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message} (${page.url()})`));
  return page;
}

/** Runs axe-core on the page and fails on any violation. */
async function assertAccessible(page, what) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(found, [], `${what}: axe violations`);
}

async function fillCard(page, number, { exp = '12 / 34', cvc = '123', email = 'dee@example.com' } = {}) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiration date (MM / YY)').fill(exp);
  await page.getByLabel('Security code (CVC)').fill(cvc);
  await page.getByLabel('Name on card').fill('Dee Buyer');
  await page.getByLabel('Country or region').selectOption('US');
  await page.getByLabel('ZIP or postal code').fill('94107');
}

const payButton = (page) => page.getByRole('button', { name: 'Pay $29.50' });

/** The element that describes a field (aria-describedby), as a screen reader announces it. */
async function descriptionOf(locator) {
  return locator.evaluate((el) =>
    (el.getAttribute('aria-describedby') ?? '')
      .split(' ')
      .filter(Boolean)
      .map((id) => document.getElementById(id)?.textContent.trim())
      .join(' '),
  );
}

test('the page is laid out like a hosted checkout, works by keyboard and passes axe at desktop and phone width', async () => {
  const cs = await createSession();
  const page = await newPage();
  await page.goto(cs.url);

  await page.getByRole('banner').waitFor();
  const back = page.getByRole('link', { name: `Back to ${MERCHANT}` });
  assert.equal(await back.getAttribute('href'), `${shop}/cancel`);
  await page.getByText('Test mode').waitFor();
  const summary = page.getByRole('complementary');
  await summary.getByRole('heading', { name: `Pay ${MERCHANT}` }).waitFor();
  assert.equal((await page.locator('#total').textContent()).trim(), '$29.50');
  const items = summary.getByRole('listitem');
  assert.equal(await items.count(), 2);
  assert.match(await items.nth(0).innerText(), /Enamel camp mug\s+Qty 2\s+\$12\.50 each\s+\$25\.00/);
  assert.match(await items.nth(1).innerText(), /Paper filters \(100\)\s+Qty 1\s+\$4\.50/);
  assert.equal(await items.nth(0).locator('img').evaluate((img) => img.complete && img.naturalWidth > 0), true, 'the product image loads');
  const totals = await summary.getByRole('definition').allTextContents();
  assert.deepEqual(totals, ['$29.50', '$0.00', '$0.00', '$0.00', '$29.50']);
  for (const term of ['Subtotal', 'Shipping', 'Discount', 'Tax', 'Total due']) await summary.getByRole('term').filter({ hasText: term }).waitFor();

  const main = page.getByRole('main');
  for (const label of ['Email', 'Card number', 'Expiration date (MM / YY)', 'Security code (CVC)', 'Name on card', 'Country or region', 'ZIP or postal code']) {
    await main.getByLabel(label).waitFor();
  }
  await payButton(page).waitFor();
  await page.getByRole('contentinfo').waitFor();
  await assertAccessible(page, 'desktop');

  // Keyboard only: each field in order, the card number grouped as typed.
  await page.getByLabel('Email').focus();
  await page.keyboard.type('dee@example.com');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'method-card');
  await page.keyboard.press('Tab');
  await page.keyboard.type('4242424242424242');
  assert.equal(await page.getByLabel('Card number').inputValue(), '4242 4242 4242 4242');
  await page.keyboard.press('Tab');
  await page.keyboard.type('1234');
  assert.equal(await page.getByLabel('Expiration date (MM / YY)').inputValue(), '12 / 34');
  await page.keyboard.press('Tab');
  await page.keyboard.type('123');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Dee Buyer');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'country');
  await page.keyboard.press('Tab');
  await page.keyboard.type('94107');
  // A visible focus ring on the pay button.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'pay');
  assert.notEqual(await page.locator('#pay').evaluate((el) => getComputedStyle(el).outlineStyle), 'none');
  await page.evaluate(() => document.activeElement.blur());
  await page.screenshot({ path: join(shotDir, 'stripesim-checkout-desktop.png'), fullPage: true });

  // A phone: one column, summary above the form, nothing wider than the screen.
  await page.setViewportSize(PHONE);
  await waitFor('the one-column layout', () =>
    page.evaluate(() => {
      const a = document.querySelector('aside').getBoundingClientRect();
      const m = document.querySelector('main').getBoundingClientRect();
      return a.bottom <= m.top && Math.abs(a.left - m.left) < 1;
    }),
  );
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth), true, 'no sideways scroll on a phone');
  await assertAccessible(page, 'phone');
  await page.screenshot({ path: join(shotDir, 'stripesim-checkout-phone.png'), fullPage: true });

  // Enter submits, and 4242 pays.
  await page.getByLabel('ZIP or postal code').press('Enter');
  await page.waitForURL(`${shop}/success?session_id=${cs.id}`);
  await page.getByRole('heading', { name: 'Thank you' }).waitFor();
  const completed = await waitFor('checkout.session.completed', () =>
    events.find((e) => e.type === 'checkout.session.completed' && e.data.object.id === cs.id),
  );
  assert.equal(completed.data.object.payment_status, 'paid');
  assert.equal(completed.data.object.customer_details.email, 'dee@example.com');
  await page.context().close();
});

test('declined cards show Stripe’s message and leave the session open for another try', async () => {
  const cs = await createSession();
  const page = await newPage();
  await page.goto(cs.url);
  for (const [number, message] of [
    ['4000 0000 0000 0002', 'Your card was declined.'],
    ['4000 0000 0000 9995', 'Your card has insufficient funds.'],
    ['4000 0000 0000 0069', 'Your card has expired.'],
    ['4000 0000 0000 0127', "Your card's security code is incorrect."],
  ]) {
    await fillCard(page, number);
    await payButton(page).click();
    const alert = page.getByRole('alert');
    await alert.filter({ hasText: message }).waitFor();
    assert.equal((await alert.textContent()).trim(), message);
    assert.equal(new URL(page.url()).pathname, `/pay/${cs.id}`);
    assert.equal(await page.getByLabel('Card number').inputValue(), number, 'the form keeps what was typed');
  }
  await assertAccessible(page, 'a declined card');
  assert.equal((await sessionStatus(cs.id)).status, 'open');

  // Another try with a good card pays.
  await fillCard(page, '4242 4242 4242 4242');
  await payButton(page).click();
  await page.waitForURL(`${shop}/success?session_id=${cs.id}`);
  assert.equal((await sessionStatus(cs.id)).payment_status, 'paid');
  await page.context().close();
});

test('a number that fails the Luhn check and a past expiry are errors beside their fields', async () => {
  const cs = await createSession();
  const page = await newPage();
  await page.goto(cs.url);
  await fillCard(page, '4242 4242 4242 4241', { exp: '01 / 20' });
  await payButton(page).click();
  const number = page.getByLabel('Card number');
  await page.getByText('Your card number is invalid.').waitFor();
  assert.equal(await number.getAttribute('aria-invalid'), 'true');
  assert.equal(await descriptionOf(number), 'Your card number is invalid.');
  const expiry = page.getByLabel('Expiration date (MM / YY)');
  assert.equal(await expiry.getAttribute('aria-invalid'), 'true');
  assert.equal(await descriptionOf(expiry), "Your card's expiration year is in the past.");
  assert.equal(await page.getByRole('alert').count(), 0, 'no decline: the card was never tried');
  await assertAccessible(page, 'inline errors');
  assert.equal((await sessionStatus(cs.id)).status, 'open');
  await page.context().close();
});

test('3-D Secure: failing the authentication returns to the form; completing it pays', async () => {
  const cs = await createSession();
  const page = await newPage();
  await page.goto(cs.url);
  await fillCard(page, '4000 0027 6000 3184');
  await payButton(page).click();
  await page.waitForURL(`${sim}/pay/${cs.id}/authenticate`);
  await page.getByRole('heading', { name: 'Confirm this payment with your bank' }).waitFor();
  await page.getByText('ending in 3184').waitFor();
  assert.equal((await page.getByTestId('auth-amount').textContent()).trim(), '$29.50');
  await assertAccessible(page, 'the 3-D Secure page');
  await page.screenshot({ path: join(shotDir, 'stripesim-3ds-desktop.png'), fullPage: true });
  await page.getByRole('button', { name: 'Fail authentication' }).click();

  await page.waitForURL(`${sim}/pay/${cs.id}`);
  await page.getByRole('alert').filter({ hasText: 'We are unable to authenticate your payment method.' }).waitFor();
  assert.equal(await page.getByLabel('Email').inputValue(), 'dee@example.com');
  assert.equal((await sessionStatus(cs.id)).status, 'open');

  await fillCard(page, '4000 0027 6000 3184');
  await payButton(page).click();
  await page.getByRole('button', { name: 'Complete authentication' }).click();
  await page.waitForURL(`${shop}/success?session_id=${cs.id}`);
  const s = await sessionStatus(cs.id);
  assert.equal(s.status, 'complete');
  assert.equal(s.payment_status, 'paid');
  await page.context().close();
});

test('a bank debit stays processing, then succeeds or fails by the test account number', async () => {
  for (const [account, outcome, piStatus] of [
    ['000123456789', 'checkout.session.async_payment_succeeded', 'succeeded'],
    ['000111111113', 'checkout.session.async_payment_failed', 'requires_payment_method'],
  ]) {
    const cs = await createSession();
    const page = await newPage();
    await page.goto(cs.url);
    await page.getByLabel('Email').fill('dee@example.com');
    await page.locator('label[for="method-bank"]').click();
    assert.equal(await page.getByRole('radio', { name: /Bank debit/ }).isChecked(), true);
    assert.equal(await page.getByLabel('Card number').isVisible(), false, 'the card fields hide');
    await page.getByLabel('Account holder name').fill('Dee Buyer');
    await page.getByLabel('Routing number').fill('110000000');
    await page.getByLabel('Account number').fill(account);
    await payButton(page).click();
    await page.waitForURL(`${shop}/success?session_id=${cs.id}`);

    const completed = events.find((e) => e.type === 'checkout.session.completed' && e.data.object.id === cs.id);
    assert.equal(completed?.data.object.payment_status, 'unpaid', 'completed unpaid while the debit processes');
    const settled = await waitFor(outcome, () => events.find((e) => e.type === outcome && e.data.object.id === cs.id));
    assert.ok(settled.created >= completed.created);
    assert.equal((await sessionStatus(cs.id)).payment_intent.status, piStatus);
    await page.context().close();
  }
});

test('the events page lists each event with its attempts, and Resend sends one again', async () => {
  const cs = await createSession();
  const page = await newPage();
  await page.goto(cs.url);
  await fillCard(page, '4242 4242 4242 4242');
  await payButton(page).click();
  await page.waitForURL(`${shop}/success?session_id=${cs.id}`);
  const completed = await waitFor('checkout.session.completed', () =>
    events.find((e) => e.type === 'checkout.session.completed' && e.data.object.id === cs.id),
  );
  assert.equal(completed.api_version, '2025-03-31.basil');
  assert.equal('shipping_details' in completed.data.object, false, 'at basil shipping_details moved');
  const pi = completed.data.object.payment_intent;
  assert.ok(events.some((e) => e.type === 'charge.succeeded' && e.data.object.payment_intent === pi), 'charge.succeeded');
  assert.ok(events.some((e) => e.type === 'payment_intent.succeeded' && e.data.object.id === pi), 'payment_intent.succeeded');

  await page.goto(`${sim}/_sim/dashboard/events?type=checkout.session.completed`);
  await page.getByRole('heading', { name: 'Events' }).waitFor();
  await page.getByRole('banner').waitFor();
  await page.getByRole('contentinfo').waitFor();
  const item = page.locator(`li[id="${completed.id}"]`);
  await item.getByRole('heading', { name: `checkout.session.completed ${completed.id}` }).waitFor();
  const attempts = item.getByRole('table', { name: 'Delivery attempts' });
  assert.equal(await attempts.locator('tbody tr').count(), 1);
  assert.match(await attempts.locator('tbody tr').innerText(), /200 OK/);
  await assertAccessible(page, 'the events page');
  await page.screenshot({ path: join(shotDir, 'stripesim-events-desktop.png'), fullPage: true });

  const before = events.filter((e) => e.id === completed.id).length;
  await item.getByRole('button', { name: `Resend checkout.session.completed ${completed.id}` }).click();
  await page.getByRole('status').filter({ hasText: `Sent ${completed.id} again: OK (200).` }).waitFor();
  assert.equal(events.filter((e) => e.id === completed.id).length, before + 1, 'the shop got the event again');
  assert.equal(await page.locator(`li[id="${completed.id}"] tbody tr`).count(), 2);
  await assertAccessible(page, 'the events page after a resend');
  await page.context().close();
});

test('a session opened before the simulator restarts can be paid after it', async () => {
  const cs = await createSession();
  await stopSim();
  await startSim();
  const page = await newPage();
  await page.goto(cs.url);
  assert.equal((await page.locator('#total').textContent()).trim(), '$29.50');
  await fillCard(page, '4242 4242 4242 4242', { email: 'after@example.com' });
  await payButton(page).click();
  await page.waitForURL(`${shop}/success?session_id=${cs.id}`);
  const completed = await waitFor('checkout.session.completed after the restart', () =>
    events.find((e) => e.type === 'checkout.session.completed' && e.data.object.id === cs.id),
  );
  assert.equal(completed.data.object.payment_status, 'paid');
  assert.equal(completed.data.object.customer_details.email, 'after@example.com');
  await page.context().close();
});

test('no browser console errors', () => {
  assert.deepEqual(consoleErrors, []);
});

// Browser test of issue 14 end to end: a three-line cart with a shipping
// rate and a promotion code, paid on the simulator's page, gives an order
// whose lines, address, discount, shipping, tax and total equal what the
// simulator charged; the customer's success page and the admin show them;
// a partial refund of one line puts its units back.
//
//   node --test web/e2e/cart.test.mjs     (environment as for flow.test.mjs)
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  assertAccessible,
  buildBinaries,
  databaseURL,
  freePort,
  launchChromium,
  openPage,
  PHONE,
  psql,
  shoot,
  start,
  stepper,
  stop,
  waitFor200,
} from './harness.mjs';

const ADMIN_EMAIL = 'admin@example.com';
const ADMIN_PASSWORD = `e2e-${randomBytes(12).toString('hex')}`;
const WEBHOOK_SECRET = 'whsec_e2e_cart';
const SIM_KEY = 'sk_test_e2e';

const tmp = mkdtempSync(join(tmpdir(), 'stripeshop-e2e-cart-'));
const dbName = `stripeshop_e2e_cart_${process.pid}_${randomBytes(3).toString('hex')}`;
const children = [];
const consoleErrors = [];
let dbCreated = false;
let browser;
let app;
let sim;

before(async () => {
  const bin = join(tmp, 'bin');
  await buildBinaries(bin);
  await psql(`CREATE DATABASE "${dbName}"`);
  dbCreated = true;
  const [appPort, simPort] = [await freePort(), await freePort()];
  app = `http://127.0.0.1:${appPort}`;
  sim = `http://127.0.0.1:${simPort}`;
  const simProc = start(tmp, 'stripesim', join(bin, 'stripesim'), [], {
    STRIPESIM_ADDR: `127.0.0.1:${simPort}`,
    STRIPESIM_PUBLIC_URL: sim,
    STRIPESIM_WEBHOOK_URL: `${app}/webhook/stripe`,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    // STRIPESIM_API_VERSION=2025-03-31.basil and the like from the environment.
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('STRIPESIM_'))),
    STRIPESIM_PROMOTION_CODES: 'SAVE10=10%',
    STRIPESIM_TAX_RATE: '8.25',
  });
  children.push(simProc);
  const appProc = start(tmp, 'stripeshop', join(bin, 'stripeshop'), ['serve'], {
    DATABASE_URL: databaseURL(dbName),
    HTTP_ADDR: `127.0.0.1:${appPort}`,
    APP_URL: app,
    STRIPE_SECRET_KEY: SIM_KEY,
    STRIPE_API_URL: sim,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    SHIPPING_COUNTRIES: 'US,CA',
    PROMOTION_CODES: 'true',
    AUTOMATIC_TAX: 'true',
    TAX_BEHAVIOR: 'exclusive',
  });
  children.push(appProc);
  await waitFor200(`${sim}/_sim/events`, simProc);
  await waitFor200(`${app}/readyz`, appProc);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close().catch(() => {});
  for (const child of children.reverse()) await stop(child);
  if (dbCreated) await psql(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch((e) => console.error(e));
  if (process.env.E2E_KEEP_TMP) console.log(`e2e logs and binaries kept in ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
});

const newPage = (who) => openPage(browser, who, consoleErrors, sim);

const step = stepper(() => browser, 'FAILED-cart');

/** "$1,234.56" or "−$5.00" in minor units. */
const cents = (text) => Math.round(Number(text.replace(/[^\d.]/g, '')) * 100);

test('a three-line cart with a shipping rate and a promotion code, paid, refunded in part', async (t) => {
  const tag = randomBytes(2).toString('hex');
  const names = [`Cart mug ${tag}`, `Cart tea ${tag}`, `Cart spoon ${tag}`];
  const admin = await newPage('admin');

  await step(t, 'the admin makes three products and a shipping rate', async () => {
    await admin.goto(`${app}/admin/login`);
    await admin.getByLabel('Email').fill(ADMIN_EMAIL);
    await admin.getByLabel('Password').fill(ADMIN_PASSWORD);
    await admin.getByRole('button', { name: 'Log in' }).click();
    await admin.getByRole('heading', { name: 'Dashboard' }).waitFor();
    for (const [i, name] of names.entries()) {
      await admin.goto(`${app}/admin/products/new`);
      await admin.getByLabel('Name').fill(name);
      await admin.getByLabel('Price').fill(['12.50', '8.00', '3.00'][i]);
      await admin.getByLabel('Stock').fill('5');
      if (i === 0) await admin.getByLabel('Tax code').fill('txcd_99999999');
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
  await step(t, 'the customer fills a cart that survives a reload', async () => {
    for (const [i, name] of names.entries()) {
      await shopper.goto(`${app}/`);
      await shopper.getByRole('link', { name: new RegExp(name) }).click();
      await shopper.getByRole('heading', { name }).waitFor();
      await shopper.getByLabel('Quantity').fill(String(i === 0 ? 2 : 1));
      await shopper.getByRole('button', { name: 'Add to cart' }).click();
      await shopper.getByRole('status').filter({ hasText: 'Added' }).waitFor();
    }
    await shopper.reload();
    await shopper.getByRole('link', { name: /^Cart\W+4 items/ }).click();
    await shopper.getByRole('heading', { name: 'Your cart' }).waitFor();
    await shopper.getByText('$36.00').first().waitFor(); // 2 × 12.50 + 8.00 + 3.00
    await shopper.getByText('Shipping and tax are calculated at checkout.').waitFor();
    await shoot(shopper, 'cart');
    await assertAccessible(shopper, 'cart page');
  });

  let sessionId;
  await step(t, 'the customer pays on the simulator with an address, a rate and a code', async () => {
    await shopper.getByRole('button', { name: 'Check out' }).click();
    await shopper.waitForURL(`${sim}/pay/**`);
    sessionId = new URL(shopper.url()).pathname.split('/').at(-1);
    await shopper.locator('#email').fill('cart@example.com');
    await shopper.locator('#shipping-name').fill('Ada Lovelace');
    await shopper.locator('#shipping-country').selectOption('US');
    await shopper.locator('#shipping-line1').fill('1 Main St');
    await shopper.locator('#shipping-city').fill('Springfield');
    await shopper.locator('#shipping-state').fill('IL');
    await shopper.locator('#shipping-postal').fill('62701');
    await shopper.getByRole('radio', { name: /Standard/ }).check();
    await shopper.locator('#add-promotion-code').click();
    await shopper.locator('#promotion-code').fill('SAVE10');
    await shopper.locator('#apply-code').click();
    await shopper.locator('#promotion-code-status').filter({ hasText: 'SAVE10 applied' }).waitFor();
    await shopper.getByTestId('summary-rate').filter({ hasText: 'Standard' }).waitFor();
    assert.equal(await shopper.locator('#shipping-line1').inputValue(), '1 Main St', 'applying a code keeps the address');
    await shoot(shopper, 'sim-cart-shipping-promo');
    await shopper.locator('#card-number').fill('4242 4242 4242 4242');
    await shopper.locator('#card-expiry').fill('12 / 34');
    await shopper.locator('#card-cvc').fill('123');
    await shopper.locator('#card-name').fill('Ada Lovelace');
    await shopper.locator('#pay').click();
    await shopper.waitForURL(`${app}/checkout/success?session_id=*`);
    await shopper.getByRole('heading', { name: 'Paid — thank you' }).waitFor();
  });

  // What the simulator charged, from its API as the shop's Stripe client reads it.
  let charged;
  await step(t, 'the simulator charged 36.00 − 10% + 5.00 shipping + 8.25% tax', async () => {
    const res = await fetch(`${sim}/v1/checkout/sessions/${sessionId}`, { headers: { Authorization: `Bearer ${SIM_KEY}` } });
    assert.equal(res.status, 200);
    const s = await res.json();
    const address = (s.collected_information?.shipping_details ?? s.shipping_details).address;
    charged = {
      subtotal: s.amount_subtotal,
      discount: s.total_details.amount_discount,
      shipping: s.total_details.amount_shipping,
      tax: s.total_details.amount_tax,
      total: s.amount_total,
      address,
    };
    assert.equal(charged.subtotal, 3600);
    assert.equal(charged.discount, 360);
    assert.equal(charged.shipping, 500);
    assert.ok(charged.tax > 0, 'tax is charged');
    assert.equal(charged.total, charged.subtotal - charged.discount + charged.shipping + charged.tax);
    assert.equal(address.city, 'Springfield');
    // The mug's tax code, set in the admin's product form, reached the session.
    const items = await fetch(`${sim}/v1/checkout/sessions/${sessionId}/line_items?expand[]=data.price.product`, {
      headers: { Authorization: `Bearer ${SIM_KEY}` },
    }).then((r) => r.json());
    assert.deepEqual(
      items.data.map((li) => [li.description, li.price.product.tax_code]),
      [[names[0], 'txcd_99999999'], [names[1], null], [names[2], null]],
    );
  });

  await step(t, 'the order is what the simulator charged', async () => {
    const res = await fetch(`${app}/api/checkout/status?session_id=${sessionId}`);
    assert.equal(res.status, 200);
    const o = await res.json();
    assert.deepEqual(
      o.lines.map((l) => [l.product_name, l.quantity, l.amount_subtotal]),
      [[names[0], 2, 2500], [names[1], 1, 800], [names[2], 1, 300]],
    );
    assert.deepEqual(
      [o.amount_subtotal, o.amount_discount, o.amount_shipping, o.amount_tax, o.amount_total],
      [charged.subtotal, charged.discount, charged.shipping, charged.tax, charged.total],
    );
    assert.equal(o.shipping.rate_name, 'Standard');
    assert.deepEqual(o.shipping.address, { ...charged.address, line2: charged.address.line2 ?? '' });
    assert.equal(o.shipping.name, 'Ada Lovelace');
  });

  await step(t, 'the success page shows what the simulator charged, and the cart is empty', async () => {
    const summary = shopper.getByRole('definition').first();
    await summary.waitFor();
    const rows = Object.fromEntries(
      await shopper.locator('dl.summary > div').evaluateAll((divs) =>
        divs.map((d) => [d.querySelector('dt').textContent, d.querySelector('dd').textContent]),
      ),
    );
    assert.equal(rows[`${names[0]} × 2`], '$25.00');
    assert.equal(cents(rows.Subtotal), charged.subtotal);
    assert.equal(cents(rows.Discount), charged.discount);
    assert.equal(cents(rows['Shipping (Standard)']), charged.shipping);
    assert.equal(cents(rows.Tax), charged.tax);
    assert.equal(cents(rows.Total), charged.total);
    await shopper.getByText('Springfield, IL, 62701').waitFor();
    await shopper.getByRole('link', { name: /^Cart\W+0 items/ }).waitFor();
    await shoot(shopper, 'cart-success');
    await assertAccessible(shopper, 'success page');
  });

  await step(t, 'the admin sees the same order and refunds the spoon, back in stock', async () => {
    await admin.goto(`${app}/admin/orders`);
    await admin.getByLabel('E-mail or order number').fill('cart@');
    await admin.getByRole('button', { name: 'Find' }).click();
    await admin.getByRole('row').filter({ hasText: `${names[0]} and 2 more` }).getByRole('link').click();
    await admin.getByRole('table', { name: 'Items in this order' }).waitFor();
    await admin.getByText('Ships to').waitFor();
    await admin.getByText('Springfield, IL, 62701').waitFor();
    const rows = Object.fromEntries(
      await admin.locator('dl.summary > div').evaluateAll((divs) =>
        divs.map((d) => [d.querySelector('dt').textContent, d.querySelector('dd').textContent]),
      ),
    );
    assert.equal(cents(rows.Subtotal), charged.subtotal);
    assert.equal(cents(rows.Discount), charged.discount);
    assert.equal(cents(rows['Shipping (Standard)']), charged.shipping);
    assert.equal(cents(rows.Tax), charged.tax);
    assert.equal(cents(rows.Total), charged.total);
    await shoot(admin, 'admin-cart-order');
    await assertAccessible(admin, 'admin order detail');

    await admin.getByRole('button', { name: /^Refund \$/ }).click();
    const dialog = admin.getByRole('dialog', { name: 'Refund this order?' });
    await dialog.getByRole('radio', { name: 'Some items' }).check();
    await dialog.getByLabel(new RegExp(`^${names[2]}`)).fill('1');
    await dialog.getByRole('checkbox', { name: 'Put the refunded units back in stock' }).check();
    await dialog.getByRole('button', { name: 'Refund' }).click();
    await admin.getByText('Partly refunded').first().waitFor();
  });

  await step(t, 'no browser console errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});

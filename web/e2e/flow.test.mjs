// Browser test of the whole shop against the real binaries: stripeshop serve
// and stripesim built from this checkout, a fresh Postgres database, and
// Debian's Chromium driven by playwright-core (no downloaded browser).
//
//   node --test web/e2e/          (from the repo root; or `npm run e2e` in web/)
//
// Environment:
//   CHROMIUM_PATH      browser binary (default /usr/bin/chromium)
//   PG_ADMIN_URL       where to create and drop the test database
//                      (default postgres://postgres@127.0.0.1:5432/postgres)
//   SCREENSHOT_DIR     where screenshots go (default web/test-results/screenshots)
//   E2E_KEEP_TMP=1     keep the build and log folder after a run
//   STRIPESIM_*        passed to the simulator, e.g. STRIPESIM_SHUFFLE=1 STRIPESIM_EVENTS='*'
//                      STRIPESIM_API_VERSION=2025-03-31.basil
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
  DESKTOP,
  freePort,
  launchChromium,
  openPage,
  psql,
  repoDir,
  run,
  shoot,
  shotDir,
  start,
  stepper,
  stop,
  waitFor200,
} from './harness.mjs';

const ADMIN_EMAIL = 'admin@example.com';
const ADMIN_PASSWORD = `e2e-${randomBytes(12).toString('hex')}`;
const WEBHOOK_SECRET = 'whsec_e2e';

const tmp = mkdtempSync(join(tmpdir(), 'stripeshop-e2e-'));
const dbName = `stripeshop_e2e_${process.pid}_${randomBytes(3).toString('hex')}`;
const children = [];
let dbCreated = false;
let browser;
let app; // http://127.0.0.1:port of stripeshop
let sim; // http://127.0.0.1:port of stripesim
let mailpit; // http://127.0.0.1:port of Mailpit's web UI and API
const consoleErrors = [];

before(async () => {
  const bin = join(tmp, 'bin');
  await buildBinaries(bin);

  await psql(`CREATE DATABASE "${dbName}"`);
  dbCreated = true;

  // Mailpit, pinned as a go tool (its first build takes about 80 s), takes the shop's e-mails.
  const { stdout: mailpitBin } = await run('go', ['tool', '-n', 'mailpit'], { cwd: repoDir, timeout: 600_000 });
  const [smtpPort, mailpitPort] = [await freePort(), await freePort()];
  mailpit = `http://127.0.0.1:${mailpitPort}`;
  const mailpitProc = start(tmp, 'mailpit', mailpitBin.trim(), [
    '--smtp', `127.0.0.1:${smtpPort}`, '--listen', `127.0.0.1:${mailpitPort}`,
    '--database', join(tmp, 'mailpit.db'), '--smtp-disable-rdns', '--quiet',
  ], {});
  children.push(mailpitProc);

  const [appPort, simPort] = [await freePort(), await freePort()];
  app = `http://127.0.0.1:${appPort}`;
  sim = `http://127.0.0.1:${simPort}`;
  const simProc = start(tmp, 'stripesim', join(bin, 'stripesim'), [], {
    STRIPESIM_ADDR: `127.0.0.1:${simPort}`,
    STRIPESIM_PUBLIC_URL: sim,
    STRIPESIM_WEBHOOK_URL: `${app}/webhook/stripe`,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    // STRIPESIM_SHUFFLE=1 STRIPESIM_EVENTS='*' STRIPESIM_API_VERSION=2025-03-31.basil
    // (and the like) from the environment run the same flow as Stripe might.
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('STRIPESIM_'))),
  });
  children.push(simProc);
  const appProc = start(tmp, 'stripeshop', join(bin, 'stripeshop'), ['serve'], {
    DATABASE_URL: databaseURL(dbName),
    HTTP_ADDR: `127.0.0.1:${appPort}`,
    APP_URL: app,
    STRIPE_SECRET_KEY: 'sk_test_e2e',
    STRIPE_API_URL: sim,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    SHOP_NAME: 'E2E Shop',
    SHOP_TAGLINE: 'Enamel mugs and camp coffee gear',
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}?starttls=none`,
    MAIL_STAFF: 'staff@example.com',
  });
  children.push(appProc);
  await waitFor200(`${mailpit}/api/v1/messages`, mailpitProc);
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
  console.log(`screenshots: ${shotDir}`);
});

const newPage = (who) => openPage(browser, who, consoleErrors, sim);

async function stockOf(admin, productName) {
  await admin.goto(`${app}/admin/products`);
  const row = admin.getByRole('row').filter({ has: admin.getByRole('rowheader', { name: productName, exact: true }) });
  return (await row.getByTestId('stock').textContent())?.trim();
}

const step = stepper(() => browser, 'FAILED');

test('admin sells a product, a customer pays, the admin refunds, another customer cancels', async (t) => {
  const productName = `E2E enamel mug ${randomBytes(2).toString('hex')}`;
  const admin = await newPage('admin');

  await step(t, 'admin logs in', async () => {
    await admin.goto(`${app}/admin`);
    await admin.waitForURL(/\/admin\/login\?next=/);
    await admin.getByRole('heading', { name: 'Admin log in' }).waitFor();
    await shoot(admin, 'admin-login');
    await admin.getByLabel('Email').fill(ADMIN_EMAIL);
    await admin.getByLabel('Password').fill(ADMIN_PASSWORD);
    await admin.getByRole('button', { name: 'Log in' }).click();
    await admin.getByRole('heading', { name: 'Dashboard' }).waitFor();
    assert.equal(new URL(admin.url()).pathname, '/admin');
  });

  let productId;
  await step(t, 'admin creates a product with stock 2', async () => {
    await admin.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Products' }).click();
    await admin.getByRole('link', { name: 'New product' }).click();
    await admin.getByLabel('Name').fill(productName);
    await admin.getByLabel('Description').fill('Speckled enamel, holds 350 ml.\nMade for camp coffee.');
    await admin.getByLabel('Price').fill('12.50');
    await admin.getByLabel('Stock').fill('2');
    // Image addresses are https only: an http one is refused beside the
    // field, and the product goes without.
    await admin.getByLabel('Image URL').fill(`${app}/images/sample-mug.svg`);
    await admin.getByRole('button', { name: 'Create product' }).click();
    await admin.getByText('Enter a full https:// address, or leave it blank.').first().waitFor();
    await shoot(admin, 'admin-product-form');
    await admin.getByLabel('Image URL').fill('');
    await admin.getByRole('button', { name: 'Create product' }).click();
    await admin.getByText(`Saved “${productName}”.`).waitFor();
    const edit = admin.getByRole('link', { name: `Edit ${productName}` });
    productId = (await edit.getAttribute('href')).split('/').at(-2);
    assert.ok(productId, 'the new product has an id');
    assert.equal(await stockOf(admin, productName), '2');
    await shoot(admin, 'admin-products');
  });

  await step(t, 'a customer buys it and pays on the simulator', async () => {
    const shopper = await newPage('customer 1');
    await shopper.goto(`${app}/`);
    const card = shopper.getByRole('link', { name: new RegExp(productName) });
    await card.waitFor();
    assert.match(await card.textContent(), /\$12\.50/);
    await shopper.getByRole('heading', { level: 1, name: 'E2E Shop' }).waitFor();
    await shopper.getByText('Enamel mugs and camp coffee gear').waitFor();
    assert.equal(await shopper.title(), 'E2E Shop');
    await shoot(shopper, 'storefront');
    await assertAccessible(shopper, 'storefront');

    // A search that finds nothing says so, in the URL; clearing it shows the product again.
    const search = shopper.getByRole('searchbox', { name: 'Search' });
    await search.fill('no such thing');
    await shopper.getByText('No products match “no such thing”.').waitFor();
    await shopper.waitForURL(/\?q=no\+such\+thing$/);
    await assertAccessible(shopper, 'storefront, a search with no match');
    await shopper.getByRole('button', { name: 'Clear search' }).click();
    await card.waitFor();
    await search.fill(productName.split(' ').at(-1));
    await shopper.getByText(/^1 product matches/).waitFor();

    await card.click();
    await shopper.getByRole('heading', { name: productName }).waitFor();
    assert.equal(await shopper.getByLabel('Quantity').inputValue(), '1');
    await shoot(shopper, 'product');
    await assertAccessible(shopper, 'product page');

    await shopper.getByRole('button', { name: 'Buy now' }).click();
    await shopper.waitForURL(`${sim}/pay/**`);
    assert.match(await shopper.locator('#total').textContent(), /12\.50/);
    await shopper.locator('#email').fill('buyer@example.com');
    await shopper.locator('#card-number').fill('4242 4242 4242 4242');
    await shopper.locator('#card-expiry').fill('12 / 34');
    await shopper.locator('#card-cvc').fill('123');
    await shopper.locator('#card-name').fill('Buyer Example');
    await shopper.locator('#postal').fill('94107');
    await shopper.locator('#pay').click();

    await shopper.waitForURL(`${app}/checkout/success?session_id=*`);
    await shopper.getByRole('heading', { name: 'Paid — thank you' }).waitFor();
    const summary = shopper.getByRole('definition');
    assert.ok((await summary.allTextContents()).includes('buyer@example.com'));
    assert.ok((await summary.allTextContents()).includes('$12.50'));
    await shoot(shopper, 'success');
    // The admin and its chart are lazy chunks: a shopper never downloads them.
    assert.deepEqual(shopper.scripts.filter((u) => /\/assets\/(AdminApp|RevenueChart)-/.test(u)), []);
    assert.ok(shopper.scripts.some((u) => u.startsWith(`${app}/assets/index-`)), 'the storefront loaded its entry chunk');
    await shopper.context().close();
  });

  await step(t, 'the customer gets exactly one confirmation, and the admin sees it sent', async () => {
    // The e-mail is sent by a job after the payment's transaction: wait for it, then for the admin to show it.
    const confirmations = async () => {
      const res = await fetch(`${mailpit}/api/v1/messages?limit=1000`);
      const { messages } = await res.json();
      return messages.filter((m) => m.To.some((to) => to.Address === 'buyer@example.com') && /confirmed/.test(m.Subject));
    };
    await admin.goto(`${app}/admin/orders`);
    const row = admin.getByRole('row').filter({ hasText: productName });
    await row.getByRole('link').click();
    await admin.getByRole('heading', { name: 'E-mails' }).waitFor();
    const sent = admin.locator('tr', { hasText: 'Order confirmation' }).getByText('Sent', { exact: true });
    for (let i = 0; !(await sent.isVisible()); i += 1) {
      assert.ok(i < 600, 'the confirmation is sent within a minute');
      await admin.reload();
      await admin.getByRole('heading', { name: 'E-mails' }).waitFor();
    }
    await admin.getByRole('heading', { name: 'E-mails' }).scrollIntoViewIfNeeded();
    await shoot(admin, 'admin-order-emails');

    const found = await confirmations();
    assert.equal(found.length, 1, 'exactly one confirmation reached Mailpit');
    const number = (await admin.getByRole('heading', { level: 1 }).textContent()).match(/#\d+/)[0];
    assert.ok(found[0].Subject.includes(number), `the subject ${found[0].Subject} names ${number}`);
    const msg = await (await fetch(`${mailpit}/api/v1/message/${found[0].ID}`)).json();
    assert.ok(msg.Text.includes(`1 × ${productName} at $12.50: $12.50`), msg.Text);
    assert.ok(msg.Text.includes('Total: $12.50'), msg.Text);
    assert.ok(msg.HTML.includes('E2E Shop'), 'the HTML names the shop');
    // The HTML e-mail as a mail client shows it.
    const mailPage = await newPage('mail');
    await mailPage.setContent(msg.HTML);
    await shoot(mailPage, 'email-confirmation');
    await mailPage.context().close();
  });

  await step(t, 'the admin sees the order paid and stock 1, then refunds it', async () => {
    assert.equal(await stockOf(admin, productName), '1');
    await admin.goto(`${app}/admin/orders`);
    const row = admin.getByRole('row').filter({ hasText: productName });
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    await row.getByText('Paid', { exact: true }).waitFor();
    await shoot(admin, 'admin-orders');

    await admin.goto(`${app}/admin`);
    await admin.getByRole('heading', { name: 'Revenue per day' }).waitFor();
    await admin.locator('.chart__canvas canvas').first().waitFor();
    await admin.getByText('$12.50').first().waitFor();
    await shoot(admin, 'admin-dashboard');
    await admin.goto(`${app}/admin/orders`);

    await admin.getByLabel('Status').selectOption('paid');
    await admin.waitForURL(/status=paid/);
    await row.first().waitFor();

    await row.getByRole('link').click();
    await admin.getByRole('heading', { name: /^Order / }).waitFor();
    await admin.getByRole('cell', { name: 'checkout.session.completed' }).first().waitFor();
    await admin.getByRole('button', { name: 'Refund $12.50' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Refund this order?' });
    await dialog.waitFor();
    await shoot(admin, 'admin-refund-dialog');
    await dialog.getByRole('button', { name: 'Refund' }).click();
    await admin.getByText('The order is refunded.').waitFor();
    await admin.locator('.page-head .badge', { hasText: 'Refunded' }).waitFor();
    await shoot(admin, 'admin-order');

    await admin.goto(`${app}/admin/orders`);
    await admin.getByRole('row').filter({ hasText: productName }).getByText('Refunded', { exact: true }).waitFor();
  });

  await step(t, 'a second customer cancels and the stock comes back', async () => {
    const shopper = await newPage('customer 2');
    await shopper.goto(`${app}/products/${productId}`);
    await shopper.getByRole('button', { name: 'Buy now' }).click();
    await shopper.waitForURL(`${sim}/pay/**`);
    await shopper.locator('#cancel').click();

    await shopper.waitForURL(`${app}/checkout/cancel?**`);
    await shopper.getByRole('heading', { name: 'Payment cancelled' }).waitFor();
    await shopper.getByText(`for ${productName}`, { exact: false }).waitFor();
    // The cancel page gives the reservation up at once: the session is
    // expired at Stripe (the simulator) and the unit returns.
    await shopper.getByText('back in stock').waitFor();
    await shoot(shopper, 'cancel');
    assert.equal(await stockOf(admin, productName), '1');

    await shopper.getByRole('link', { name: 'Try again' }).click();
    await shopper.getByRole('heading', { name: productName }).waitFor();
    await shopper.getByText('Only 1 left').waitFor();
    await shopper.context().close();
  });

  await step(t, 'a customer goes back from the payment page: the open order is offered, continued, then cancelled', async () => {
    const shopper = await newPage('customer 3');
    await shopper.goto(`${app}/products/${productId}`);
    await shopper.getByText('Only 1 left').waitFor();
    await shopper.getByRole('button', { name: 'Buy now' }).click();
    await shopper.waitForURL(`${sim}/pay/**`);
    const payment = shopper.url();

    // Back: the shop offers the open order instead of a product that looks
    // sold out, and says the last unit is the customer's own.
    await shopper.goBack();
    await shopper.waitForURL(`${app}/products/${productId}`);
    const banner = shopper.getByRole('region', { name: /^Your order #\d+ is waiting for payment$/ });
    await banner.waitFor();
    assert.match(await banner.textContent(), new RegExp(`1 × ${productName}, \\$12\\.50`));
    await shopper.getByText(/^You have 1 in an open order \(#\d+\)/).waitFor();
    await shopper.getByRole('button', { name: 'Sold out' }).waitFor();
    await shoot(shopper, 'open-order');
    await assertAccessible(shopper, 'product page with an open order');

    // Continue goes to the same payment page (the same session).
    await banner.getByRole('button', { name: 'Continue to payment' }).click();
    await shopper.waitForURL(payment);
    assert.equal(shopper.url(), payment);

    // Back again, and Cancel: the unit is back at once.
    await shopper.goBack();
    await banner.waitFor();
    await banner.getByRole('button', { name: 'Cancel order' }).click();
    await shopper.getByText(/^Order #\d+ is cancelled and you have not been charged\./).waitFor();
    await shopper.getByText('Only 1 left').waitFor();
    await shopper.getByRole('button', { name: 'Buy now' }).waitFor();
    await assertAccessible(shopper, 'product page after cancelling the open order');
    assert.equal(await stockOf(admin, productName), '1');

    // The cancelled order is forgotten: a reload offers nothing.
    await shopper.reload();
    await shopper.getByRole('heading', { name: productName }).waitFor();
    await shopper.getByText('Only 1 left').waitFor();
    assert.equal(await shopper.getByRole('region', { name: /Your order/ }).count(), 0);
    await shopper.context().close();
  });

  await step(t, 'Back that restores the page from the back/forward cache checks the open order again', async () => {
    // playwright-core turns the back/forward cache off; a browser of this
    // step's own keeps it, as a customer's does.
    const cached = await launchChromium({ ignoreDefaultArgs: ['--disable-back-forward-cache'] });
    try {
      const context = await cached.newContext({ viewport: DESKTOP, locale: 'en-US', timezoneId: 'UTC' });
      context.setDefaultTimeout(60_000);
      const shopper = await context.newPage();
      shopper.on('pageerror', (err) => consoleErrors.push(`[customer 4] uncaught: ${err.message} (${shopper.url()})`));
      await shopper.addInitScript(() =>
        addEventListener('pageshow', (e) => {
          if (e.persisted) window.restoredFromCache = true;
        }),
      );
      await shopper.goto(`${app}/products/${productId}`);
      await shopper.getByText('Only 1 left').waitFor();
      await shopper.getByRole('button', { name: 'Buy now' }).click();
      await shopper.waitForURL(`${sim}/pay/**`);
      // A page restored from the cache fires pageshow, not load.
      await shopper.goBack({ waitUntil: 'commit' });
      await shopper.waitForFunction(() => window.restoredFromCache === true);
      assert.equal(shopper.url(), `${app}/products/${productId}`);
      // The page is as it was left ("Redirecting…"), and yet it offers the order.
      const banner = shopper.getByRole('region', { name: /^Your order #\d+ is waiting for payment$/ });
      await banner.waitFor();
      await shopper.getByText(/^You have 1 in an open order/).waitFor();
      await banner.getByRole('button', { name: 'Cancel order' }).click();
      // The restored page already said "Only 1 left" (it is the page as it was
      // left): wait for the cancel's own answer before closing the browser,
      // or the request may still be in flight.
      await shopper.getByText(/^Order #\d+ is cancelled and you have not been charged\./).waitFor();
      await shopper.getByText('Only 1 left').waitFor();
      await shopper.getByRole('button', { name: 'Buy now' }).waitFor();
    } finally {
      await cached.close();
    }
    assert.equal(await stockOf(admin, productName), '1');
  });

  await step(t, 'the admin changes the password and signs out everywhere', async () => {
    const newPassword = `${ADMIN_PASSWORD}-new`;
    await admin.getByRole('link', { name: 'Account' }).click();
    await admin.getByRole('heading', { name: 'Account' }).waitFor();
    const form = admin.getByRole('form', { name: 'Change password' });
    await form.getByLabel('Current password', { exact: true }).fill(ADMIN_PASSWORD);
    await form.getByLabel('New password', { exact: true }).fill(newPassword);
    await form.getByLabel('Repeat the new password', { exact: true }).fill(newPassword);
    await shoot(admin, 'admin-account');
    await form.getByRole('button', { name: 'Change password' }).click();
    await admin.getByText('Your password has been changed.').waitFor();

    await admin.getByRole('button', { name: 'Sign out everywhere' }).click();
    await admin.getByRole('heading', { name: 'Admin log in' }).waitFor();
    assert.equal(new URL(admin.url()).search, '', 'after signing out everywhere the login page leads to the dashboard');
    await admin.getByLabel('Email').fill(ADMIN_EMAIL);
    await admin.getByLabel('Password').fill(newPassword);
    await admin.getByRole('button', { name: 'Log in' }).click();
    await admin.getByRole('heading', { name: 'Dashboard' }).waitFor();
  });

  await step(t, 'the admin dashboard counts, event log with reprocess, and log out', async () => {
    await admin.goto(`${app}/admin`);
    await admin.getByRole('heading', { name: 'Revenue per day' }).waitFor();
    await admin.locator('.chart__canvas canvas').first().waitFor();
    await admin.getByRole('link', { name: /Refunded\s*1/ }).waitFor();

    await admin.goto(`${app}/admin/events`);
    const expired = admin.getByRole('row').filter({ hasText: 'checkout.session.expired' });
    await expired.first().waitFor();
    await shoot(admin, 'admin-events');
    await expired.first().getByRole('button', { name: /^Reprocess/ }).click();
    await admin.getByText(/was reprocessed\./).waitFor();

    await admin.getByRole('button', { name: 'Log out' }).click();
    await admin.getByRole('heading', { name: 'Admin log in' }).waitFor();
    await admin.goto(`${app}/admin/orders`);
    await admin.waitForURL(/\/admin\/login\?next=%2Fadmin%2Forders/);
  });

  await step(t, 'no browser console errors on any page', async () => {
    assert.deepEqual(consoleErrors, []);
  });
});

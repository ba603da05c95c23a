// Browser test of product pictures (issue 13): an admin uploads two pictures
// (one a PNG carrying an EXIF GPS tag), puts them in order, and the
// storefront shows them with srcset; a text file named .jpg, a PNG whose
// header claims 60 megapixels and an 11 MB file are refused beside the
// field; a second replica (another stripeshop process on the same database)
// serves the same picture. axe-core checks every page it visits.
//
//   node --test web/e2e/images.test.mjs     (CHROMIUM_PATH, PG_ADMIN_URL as for flow.test.mjs)
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import {
  assertAccessible as axe,
  buildBinaries,
  databaseURL,
  DESKTOP,
  freePort,
  launchChromium,
  psql,
  repoDir,
  shoot,
  start,
  stop,
  waitFor200,
} from './harness.mjs';

const password = `img-e2e-${randomBytes(8).toString('hex')}`;
const GPS_MARKER = 'GPSSECRET';

const work = mkdtempSync(join(tmpdir(), 'stripeshop-img-e2e-'));
const db = `stripeshop_img_e2e_${process.pid}`;
const procs = [];
const problems = [];
let browser;
let replicaA;
let replicaB;

// ---- fixtures, made here: nothing binary is kept in the repository ----

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function ihdr(width, height) {
  const b = Buffer.alloc(13);
  b.writeUInt32BE(width, 0);
  b.writeUInt32BE(height, 4);
  b[8] = 8; // bit depth
  b[9] = 2; // RGB
  return chunk('IHDR', b);
}

/** A little-endian TIFF block whose only IFD points at a GPS IFD: a phone's EXIF, reduced. */
function gpsExif() {
  const t = Buffer.alloc(64);
  t.write('II', 0, 'latin1');
  t.writeUInt16LE(42, 2);
  t.writeUInt32LE(8, 4);
  t.writeUInt16LE(1, 8); // one entry: the GPS IFD pointer
  t.writeUInt16LE(0x8825, 10);
  t.writeUInt16LE(4, 12);
  t.writeUInt32LE(1, 14);
  t.writeUInt32LE(26, 18);
  t.writeUInt16LE(1, 26); // GPS IFD: GPSLatitudeRef "N"
  t.writeUInt16LE(0x0001, 28);
  t.writeUInt16LE(2, 30);
  t.writeUInt32LE(2, 32);
  t.write('N', 36, 'latin1');
  t.write(GPS_MARKER, 44, 'latin1');
  return t;
}

/** A w×h PNG of diagonal colour bands, with an eXIf chunk carrying GPS data. */
function pngWithGPS(w, h) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      const band = Math.floor((x + y) / 40) % 3;
      raw[o] = band === 0 ? 220 : 40;
      raw[o + 1] = band === 1 ? 180 : 60;
      raw[o + 2] = band === 2 ? 210 : 90;
    }
  }
  return Buffer.concat([
    Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
    ihdr(w, h),
    chunk('eXIf', gpsExif()),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A PNG that claims 10000×6000 pixels and holds none: refused from its header. */
function bombPNG() {
  return Buffer.concat([
    Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
    ihdr(10000, 6000),
    chunk('IDAT', deflateSync(Buffer.alloc(1))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---- two replicas of the shop on one database ----

async function replica(name, bin, dbURL) {
  const addr = `127.0.0.1:${await freePort()}`;
  const child = start(work, name, bin, ['serve'], {
    HOME: work,
    DATABASE_URL: dbURL,
    HTTP_ADDR: addr,
    APP_URL: `http://${addr}`,
    STRIPE_SECRET_KEY: 'sk_test_img',
    // Nothing here pays: no Stripe is reachable, and none is asked.
    STRIPE_API_URL: 'http://127.0.0.1:9',
    STRIPE_WEBHOOK_SECRET: 'whsec_img',
    ADMIN_EMAIL: 'admin@example.com',
    ADMIN_PASSWORD: password,
  });
  procs.push(child);
  const url = `http://${addr}`;
  await waitFor200(`${url}/readyz`, child, 90_000);
  return url;
}

before(async () => {
  const bin = join(work, 'bin');
  await buildBinaries(bin);
  await psql(`CREATE DATABASE "${db}"`);
  replicaA = await replica('replica-a', join(bin, 'stripeshop'), databaseURL(db)); // applies the migrations
  replicaB = await replica('replica-b', join(bin, 'stripeshop'), databaseURL(db));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close().catch(() => {});
  for (const p of procs) await stop(p);
  await psql(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`).catch((e) => console.error(e));
  if (process.env.E2E_KEEP_TMP) console.log(`logs kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
});

async function page(who) {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  context.setDefaultTimeout(60_000);
  const p = await context.newPage();
  p.on('console', (m) => {
    if (m.type() !== 'error') return;
    const where = m.location()?.url ?? '';
    // Before the login /me answers 401 by contract.
    if (/status of 401/.test(m.text()) && where.endsWith('/api/admin/me')) return;
    // The refusals this test provokes are answered 400/413 on purpose.
    if (/status of (400|413)/.test(m.text()) && /\/images$/.test(where)) return;
    problems.push(`[${who}] ${m.text()} (${where})`);
  });
  p.on('pageerror', (e) => problems.push(`[${who}] uncaught: ${e.message}`));
  return p;
}

/** Every URL of an <img>'s srcset. */
function srcsetURLs(srcset) {
  return srcset.split(',').map((part) => part.trim().split(/\s+/)[0]);
}

test('pictures: upload, order, storefront srcset, refusals, a second replica', async () => {
  const name = `Picture mug ${randomBytes(2).toString('hex')}`;
  const admin = await page('admin');

  await admin.goto(`${replicaA}/admin/login`);
  await admin.getByLabel('Email').fill('admin@example.com');
  await admin.getByLabel('Password').fill(password);
  await admin.getByRole('button', { name: 'Log in' }).click();
  await admin.getByRole('heading', { name: 'Dashboard' }).waitFor();

  await admin.goto(`${replicaA}/admin/products/new`);
  await admin.getByText('You can add pictures once the product is created.').waitFor();
  await admin.getByLabel('Name').fill(name);
  await admin.getByLabel('Price').fill('9.00');
  await admin.getByRole('button', { name: 'Create product' }).click();
  await admin.getByText(`Saved “${name}”.`).waitFor();
  await admin.getByRole('link', { name: `Edit ${name}` }).click();
  await admin.getByRole('heading', { name: 'Pictures' }).waitFor();

  // Two at once: the PNG with GPS data and a JPEG (a demo picture).
  const tote = readFileSync(join(repoDir, 'internal/demo/images/tote.jpg'));
  await admin.getByLabel('Add pictures').setInputFiles([
    { name: 'phone-photo.png', mimeType: 'image/png', buffer: pngWithGPS(900, 600) },
    { name: 'tote.jpg', mimeType: 'image/jpeg', buffer: tote },
  ]);
  const list = admin.getByRole('list', { name: 'Pictures, the main one first' });
  await list.getByRole('listitem').nth(1).waitFor();
  await admin.getByRole('list', { name: 'Uploads in progress' }).waitFor({ state: 'detached' });
  await axe(admin, 'product edit page with two pictures');

  // The served variants carry no EXIF, no GPS.
  const variants = await list.locator('img').evaluateAll((imgs) => imgs.map((i) => i.getAttribute('srcset')));
  for (const url of variants.flatMap(srcsetURLs)) {
    const res = await fetch(replicaA + url);
    assert.equal(res.status, 200, url);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const body = Buffer.from(await res.arrayBuffer());
    assert.ok(!body.includes(GPS_MARKER) && !body.includes('Exif') && !body.includes('eXIf'), `${url} carries metadata`);
  }

  // Reorder: the second becomes the first, and stays so after a reload.
  await admin.reload();
  const firstSrc = () => list.locator('img').first().getAttribute('src');
  const secondBefore = await list.locator('img').nth(1).getAttribute('src');
  await admin.getByRole('button', { name: 'Move picture 2 up' }).click();
  await admin.getByRole('status').filter({ hasText: 'Picture 2 moved up.' }).waitFor();
  await admin.reload();
  await list.locator('img').first().waitFor();
  assert.equal(await firstSrc(), secondBefore);

  // Refusals, each said beside the field.
  await admin.getByLabel('Add pictures').setInputFiles([
    { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('These are my notes, not a picture.\n') },
    { name: 'bomb.png', mimeType: 'image/png', buffer: bombPNG() },
    { name: 'huge.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(11 * 1024 * 1024, 0xff) },
  ]);
  const errors = admin.locator('#images-file-error');
  await errors.getByText('notes.jpg must be a JPEG, PNG, WebP or GIF image.').waitFor();
  await errors.getByText(/^bomb\.png is 10000×6000 pixels; at most 40 megapixels are accepted\.$/).waitFor();
  await errors.getByText('huge.jpg must be at most 10 MB.').waitFor();
  assert.equal(await admin.getByLabel('Add pictures').getAttribute('aria-invalid'), 'true');
  assert.equal(await list.getByRole('listitem').count(), 2, 'nothing refused was added');
  await axe(admin, 'product edit page with refusals');
  await shoot(admin, 'admin-product-pictures');

  // The storefront shows the main picture with srcset, width and height, lazily.
  const shopper = await page('customer');
  await shopper.goto(`${replicaA}/`);
  const card = shopper.getByRole('link', { name: new RegExp(name) });
  await card.waitFor();
  const img = card.locator('img');
  assert.equal(await img.getAttribute('src'), secondBefore);
  assert.match(await img.getAttribute('srcset'), /320w/);
  assert.equal(await img.getAttribute('loading'), 'lazy');
  assert.ok(Number(await img.getAttribute('width')) > 0 && Number(await img.getAttribute('height')) > 0);
  await shopper.waitForFunction((src) => [...document.images].some((i) => i.getAttribute('src') === src && i.complete && i.naturalWidth > 0), secondBefore);
  await axe(shopper, 'storefront');
  await shoot(shopper, 'storefront-pictures');
  await card.click();
  await shopper.getByRole('heading', { name }).waitFor();
  assert.match(await shopper.locator('img.gallery__main').getAttribute('srcset'), /640w/);
  await axe(shopper, 'product page');
  await shoot(shopper, 'product-gallery');

  // The other replica serves the same bytes at the same address, and its catalog shows them.
  const [a, b] = await Promise.all([fetch(replicaA + secondBefore), fetch(replicaB + secondBefore)]);
  assert.equal(b.status, 200);
  assert.equal(b.headers.get('etag'), a.headers.get('etag'));
  assert.deepEqual(Buffer.from(await b.arrayBuffer()), Buffer.from(await a.arrayBuffer()));
  const onB = await page('customer on replica B');
  await onB.goto(`${replicaB}/`);
  await onB.getByRole('link', { name: new RegExp(name) }).locator(`img[src="${secondBefore}"]`).waitFor();

  assert.deepEqual(problems, [], 'browser console errors');
});

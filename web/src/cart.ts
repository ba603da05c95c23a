// The shopping cart lives in this browser only: localStorage under a
// versioned key, so it survives reloads, and the storage event keeps every
// tab of the shop showing the same cart. The server sees it only at checkout.
import { useSyncExternalStore } from 'react';
import type { CheckoutItem, Order, Product } from './api';

export const CART_KEY = 'stripeshop.cart.v1';
/** The order a cart checkout started, so the success page knows which lines it paid for. */
export const CART_CHECKOUT_KEY = 'stripeshop.cart-checkout.v1';
/** The checkout takes 1 to 50 lines. */
export const MAX_LINES = 50;
/** The checkout's most units of one product. */
export const MAX_QUANTITY = 100;

export interface CartLine {
  product_id: string;
  quantity: number;
  // What the customer saw when adding it: the cart shows it before the
  // catalog answers, and a different price then is flagged.
  name: string;
  unit_amount: number;
  currency: string;
  image_url: string;
}

function isQuantity(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1;
}

/**
 * Reads a stored cart. Anything unreadable (another version, a hand-edited
 * value, a half-written one) gives the lines that can be read, or none:
 * never an error the shop cannot get past.
 */
export function parseCart(raw: string | null): CartLine[] {
  if (!raw) return [];
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!data || typeof data !== 'object' || (data as { v?: unknown }).v !== 1) return [];
  const rawLines = (data as { lines?: unknown }).lines;
  if (!Array.isArray(rawLines)) return [];
  const lines: CartLine[] = [];
  for (const l of rawLines) {
    if (!l || typeof l !== 'object') continue;
    const r = l as Record<string, unknown>;
    if (typeof r.product_id !== 'string' || r.product_id === '' || !isQuantity(r.quantity)) continue;
    const quantity = Math.min(r.quantity, MAX_QUANTITY);
    const same = lines.find((x) => x.product_id === r.product_id);
    if (same) {
      same.quantity = Math.min(same.quantity + quantity, MAX_QUANTITY);
      continue;
    }
    if (lines.length >= MAX_LINES) continue;
    lines.push({
      product_id: r.product_id,
      quantity,
      name: typeof r.name === 'string' ? r.name : '',
      unit_amount: typeof r.unit_amount === 'number' && r.unit_amount >= 0 ? r.unit_amount : 0,
      currency: typeof r.currency === 'string' ? r.currency : '',
      image_url: typeof r.image_url === 'string' ? r.image_url : '',
    });
  }
  return lines;
}

export function serializeCart(lines: readonly CartLine[]): string {
  return JSON.stringify({ v: 1, lines });
}

// When storage is off (a private window that refuses it), the cart lives in
// memory for this page only.
let memory: string | null = null;
let lastRaw: string | null | undefined;
let lastLines: CartLine[] = [];
const listeners = new Set<() => void>();

function readRaw(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return key === CART_KEY ? memory : null;
  }
}

function writeRaw(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    if (key === CART_KEY) memory = value;
  }
}

/** The cart's lines; the same array until the cart changes (useSyncExternalStore needs that). */
export function getCart(): CartLine[] {
  const raw = readRaw(CART_KEY);
  if (raw !== lastRaw) {
    lastRaw = raw;
    lastLines = parseCart(raw);
  }
  return lastLines;
}

function notify(): void {
  for (const fn of listeners) fn();
}

function write(lines: CartLine[]): void {
  writeRaw(CART_KEY, lines.length === 0 ? null : serializeCart(lines));
  notify();
}

function onStorage(e: StorageEvent): void {
  // key null: another tab cleared all of this site's storage.
  if (e.key === CART_KEY || e.key === null) notify();
}

export function subscribeCart(fn: () => void): () => void {
  if (listeners.size === 0) window.addEventListener('storage', onStorage);
  listeners.add(fn);
  return () => {
    listeners.delete(fn);
    if (listeners.size === 0) window.removeEventListener('storage', onStorage);
  };
}

const noLines: CartLine[] = [];

/** The cart, kept current in this tab and from the others. */
export function useCart(): CartLine[] {
  return useSyncExternalStore(subscribeCart, getCart, () => noLines);
}

export function cartUnits(lines: readonly CartLine[]): number {
  return lines.reduce((n, l) => n + l.quantity, 0);
}

/** The most units of a product one checkout can take now: its stock, its max_per_order, the checkout's 100. */
export function unitLimit(p: Pick<Product, 'stock' | 'max_per_order'>): number {
  const perOrder = Math.min(MAX_QUANTITY, p.max_per_order ?? MAX_QUANTITY);
  return p.stock === null ? perOrder : Math.max(0, Math.min(perOrder, p.stock));
}

function snapshot(product: Product, quantity: number): CartLine {
  return {
    product_id: product.id,
    quantity,
    name: product.name,
    unit_amount: product.unit_amount,
    currency: product.currency,
    image_url: product.image_url,
  };
}

/** Adds units of a product; false when the cart already has its 50 lines. */
export function addToCart(product: Product, quantity: number): boolean {
  const lines = getCart();
  const at = lines.findIndex((l) => l.product_id === product.id);
  if (at < 0) {
    if (lines.length >= MAX_LINES) return false;
    write([...lines, snapshot(product, Math.min(quantity, MAX_QUANTITY))]);
    return true;
  }
  const next = [...lines];
  next[at] = snapshot(product, Math.min(lines[at]!.quantity + quantity, MAX_QUANTITY));
  write(next);
  return true;
}

export function setLineQuantity(productId: string, quantity: number): void {
  if (!isQuantity(quantity)) return;
  write(getCart().map((l) => (l.product_id === productId ? { ...l, quantity: Math.min(quantity, MAX_QUANTITY) } : l)));
}

export function removeFromCart(productId: string): void {
  write(getCart().filter((l) => l.product_id !== productId));
}

/** Takes the catalog's name and price as the ones the customer has now seen. */
export function acceptPrices(products: readonly Product[]): void {
  const byId = new Map(products.map((p) => [p.id, p]));
  write(getCart().map((l) => {
    const p = byId.get(l.product_id);
    return p ? snapshot(p, l.quantity) : l;
  }));
}

export function clearCart(): void {
  write([]);
}

interface CartCheckout {
  order_id: string;
  items: CheckoutItem[];
}

/** Remembers which order a cart checkout made, for settleCartCheckout. */
export function rememberCartCheckout(orderId: string, items: CheckoutItem[]): void {
  writeRaw(CART_CHECKOUT_KEY, JSON.stringify({ order_id: orderId, items }));
}

function readCartCheckout(): CartCheckout | null {
  try {
    const data = JSON.parse(readRaw(CART_CHECKOUT_KEY) ?? 'null') as CartCheckout | null;
    if (data && typeof data.order_id === 'string' && Array.isArray(data.items)) return data;
  } catch {
    // unreadable: as if none
  }
  return null;
}

/**
 * Once the success page sees the cart's order paid, the units it bought
 * leave the cart (what was added since, in another tab say, stays).
 * Anything else (a Buy now order, an order not yet paid) leaves the cart alone.
 */
export function settleCartCheckout(order: Pick<Order, 'id' | 'status'>): void {
  const pending = readCartCheckout();
  if (!pending || pending.order_id !== order.id || order.status !== 'paid') return;
  const bought = new Map(pending.items.map((i) => [i.product_id, i.quantity]));
  const next: CartLine[] = [];
  for (const l of getCart()) {
    const left = l.quantity - (bought.get(l.product_id) ?? 0);
    if (left > 0) next.push({ ...l, quantity: left });
  }
  write(next);
  writeRaw(CART_CHECKOUT_KEY, null);
}

/** Whether this order is the one the cart's last checkout started (the cancel page leads back to the cart). */
export function isCartCheckout(orderId: string): boolean {
  return orderId !== '' && readCartCheckout()?.order_id === orderId;
}

import { act, renderHook } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Product } from './api';
import { productFixture } from './test/fixtures';
import {
  addToCart,
  CART_KEY,
  cartUnits,
  getCart,
  MAX_LINES,
  parseCart,
  rememberCartCheckout,
  removeFromCart,
  setLineQuantity,
  settleCartCheckout,
  useCart,
} from './cart';

function product(id: string, over: Partial<Product> = {}): Product {
  return productFixture(id, { name: `Product ${id}`, stock: null, ...over });
}

describe('cart storage', () => {
  it('keeps lines under a versioned key and adds to a line already there', () => {
    expect(addToCart(product('p1'), 2)).toBe(true);
    addToCart(product('p2', { unit_amount: 500 }), 1);
    addToCart(product('p1'), 3);
    const stored = JSON.parse(localStorage.getItem(CART_KEY)!);
    expect(stored.v).toBe(1);
    expect(getCart().map((l) => [l.product_id, l.quantity, l.unit_amount])).toEqual([
      ['p1', 5, 1200],
      ['p2', 1, 500],
    ]);
    expect(cartUnits(getCart())).toBe(6);
  });

  it('reads a corrupt or foreign value as an empty cart, and keeps the good lines of a damaged one', () => {
    for (const raw of ['{not json', '[]', 'null', '{"v":2,"lines":[]}', '{"v":1,"lines":"x"}']) {
      localStorage.setItem(CART_KEY, raw);
      expect(getCart()).toEqual([]);
    }
    const lines = parseCart(
      JSON.stringify({
        v: 1,
        lines: [
          { product_id: 'p1', quantity: 2, name: 'Mug', unit_amount: 1200, currency: 'usd' },
          { product_id: 'p2', quantity: -1 },
          { product_id: 'p3', quantity: 1.5 },
          { quantity: 1 },
          null,
          { product_id: 'p1', quantity: 1 },
          { product_id: 'p4', quantity: 5000 },
        ],
      }),
    );
    expect(lines.map((l) => [l.product_id, l.quantity])).toEqual([
      ['p1', 3],
      ['p4', 100],
    ]);
    expect(lines[1]!.name).toBe('');
  });

  it('holds at most 50 lines', () => {
    for (let i = 0; i < MAX_LINES; i++) expect(addToCart(product(`p${i}`), 1)).toBe(true);
    expect(addToCart(product('one-more'), 1)).toBe(false);
    expect(addToCart(product('p0'), 1)).toBe(true);
    expect(getCart()).toHaveLength(MAX_LINES);
  });

  it('changes quantities and removes lines; an empty cart leaves no key behind', () => {
    addToCart(product('p1'), 1);
    setLineQuantity('p1', 4);
    setLineQuantity('p1', 0);
    expect(getCart()[0]!.quantity).toBe(4);
    removeFromCart('p1');
    expect(localStorage.getItem(CART_KEY)).toBeNull();
  });

  it('follows another tab through the storage event', () => {
    const { result } = renderHook(() => useCart());
    expect(result.current).toEqual([]);
    act(() => {
      // Another tab writes the key; this one hears of it by the event only.
      localStorage.setItem(
        CART_KEY,
        JSON.stringify({ v: 1, lines: [{ product_id: 'p9', quantity: 3, name: 'Tea', unit_amount: 400, currency: 'usd' }] }),
      );
      window.dispatchEvent(new StorageEvent('storage', { key: CART_KEY }));
    });
    expect(result.current.map((l) => l.product_id)).toEqual(['p9']);
    act(() => addToCart(product('p1'), 1));
    expect(result.current).toHaveLength(2);
  });

  it('takes what a paid cart order bought out of the cart, and nothing for another order', () => {
    addToCart(product('p1'), 2);
    addToCart(product('p2'), 1);
    rememberCartCheckout('o1', [
      { product_id: 'p1', quantity: 2 },
      { product_id: 'p2', quantity: 1 },
    ]);
    addToCart(product('p1'), 1); // added after the checkout began
    settleCartCheckout({ id: 'o1', status: 'pending' });
    settleCartCheckout({ id: 'other', status: 'paid' });
    expect(cartUnits(getCart())).toBe(4);
    settleCartCheckout({ id: 'o1', status: 'paid' });
    expect(getCart().map((l) => [l.product_id, l.quantity])).toEqual([['p1', 1]]);
  });
});

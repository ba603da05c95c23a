import { describe, expect, it } from 'vitest';
import { formatOrderNumber, parseOrderNumber } from './orderNumber';

describe('order numbers', () => {
  it('reads what people type, with or without the #', () => {
    expect(parseOrderNumber('1001')).toBe(1001);
    expect(parseOrderNumber(' #1001 ')).toBe(1001);
    expect(parseOrderNumber('# 1001')).toBe(1001);
    for (const bad of ['', '#', 'mug', '0', '-1', '+1001', '10.5', '1e3', '1234567890123456']) {
      expect(parseOrderNumber(bad)).toBeNull();
    }
  });

  it('names an order as the shop and Stripe do', () => {
    expect(formatOrderNumber(1001)).toBe('#1001');
  });
});

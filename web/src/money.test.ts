import { describe, expect, it } from 'vitest';
import { formatMoney, minorToInput, minorUnitDigits, parseMoney } from './money';

describe('formatMoney', () => {
  it('formats usd cents as dollars', () => {
    expect(formatMoney(1250, 'usd', 'en-US')).toBe('$12.50');
    expect(formatMoney(5, 'usd', 'en-US')).toBe('$0.05');
    expect(formatMoney(123456789, 'usd', 'en-US')).toBe('$1,234,567.89');
  });

  it('formats eur in the locale given', () => {
    expect(formatMoney(1250, 'eur', 'en-US')).toBe('€12.50');
    // de-DE puts the symbol after the amount, with a (narrow) no-break space.
    expect(formatMoney(1250, 'eur', 'de-DE').replace(/\s/g, ' ')).toBe('12,50 €');
  });

  it('treats jpy as a zero-decimal currency', () => {
    expect(minorUnitDigits('jpy')).toBe(0);
    expect(formatMoney(500, 'jpy', 'en-US')).toBe('¥500');
    expect(formatMoney(1200000, 'jpy', 'en-US')).toBe('¥1,200,000');
  });

  it('accepts upper- or lowercase codes and survives an unknown one', () => {
    expect(formatMoney(1250, 'USD', 'en-US')).toBe('$12.50');
    expect(formatMoney(1250, 'zz', 'en-US')).toBe('1250 ZZ');
  });
});

describe('parseMoney', () => {
  it.each([
    ['12.50', 'usd', 1250],
    ['12.5', 'usd', 1250],
    ['12', 'usd', 1200],
    ['0.29', 'usd', 29],
    ['.5', 'usd', 50],
    [' $1,234.56 ', 'usd', 123456],
    ['12,50', 'eur', 1250],
    ['1.234,56', 'eur', 123456],
    ['1,234', 'usd', 123400],
    ['500', 'jpy', 500],
    ['1,200', 'jpy', 1200],
    ['500.00', 'jpy', 500],
  ])('parses %j in %s as %d', (input, currency, minor) => {
    expect(parseMoney(input, currency)).toBe(minor);
  });

  it.each([
    ['', 'usd'],
    ['abc', 'usd'],
    ['-5', 'usd'],
    ['12.345', 'usd'],
    ['1.2.3', 'usd'],
    ['12.5', 'jpy'],
    ['12,34,5', 'usd'],
  ])('rejects %j in %s', (input, currency) => {
    expect(parseMoney(input, currency)).toBeNull();
  });

  it('round-trips through the input format', () => {
    expect(minorToInput(1250, 'usd')).toBe('12.50');
    expect(minorToInput(5, 'usd')).toBe('0.05');
    expect(minorToInput(500, 'jpy')).toBe('500');
    expect(parseMoney(minorToInput(99999999, 'usd'), 'usd')).toBe(99999999);
  });
});

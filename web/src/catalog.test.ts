import { describe, expect, it } from 'vitest';
import type { Product } from './api';
import { aProduct } from './test/product';
import { fold, indexCatalog, pageOf, parsePage, parseSort, searchCatalog, stockBadge } from './catalog';

function product(id: string, name: string, unit_amount: number, description = ''): Product {
  return aProduct({ id, name, unit_amount, description });
}

// The server's order: newest first.
const catalog = indexCatalog([
  product('a', 'Crème mug', 1250, 'Enamel, 350 ml.'),
  product('b', 'Poster 10', 800, 'A print of a mug.'),
  product('c', 'poster 9', 2000),
  product('d', 'Tea', 800),
]);
const ids = (ps: Product[]) => ps.map((p) => p.id);

describe('searchCatalog', () => {
  it('finds every word in the name or the description, ignoring case and accents', () => {
    expect(ids(searchCatalog(catalog, 'MUG', 'newest'))).toEqual(['a', 'b']);
    expect(ids(searchCatalog(catalog, 'creme', 'newest'))).toEqual(['a']);
    expect(ids(searchCatalog(catalog, ' mug  enamel ', 'newest'))).toEqual(['a']);
    expect(ids(searchCatalog(catalog, 'mug kettle', 'newest'))).toEqual([]);
    expect(ids(searchCatalog(catalog, '   ', 'newest'))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('sorts newest first, by price either way (ties newest first), and by name as people read numbers', () => {
    expect(ids(searchCatalog(catalog, '', 'price-asc'))).toEqual(['b', 'd', 'a', 'c']);
    expect(ids(searchCatalog(catalog, '', 'price-desc'))).toEqual(['c', 'a', 'b', 'd']);
    expect(ids(searchCatalog(catalog, '', 'name'))).toEqual(['a', 'c', 'b', 'd']);
    expect(ids(searchCatalog(catalog, 'poster', 'name'))).toEqual(['c', 'b']);
  });
});

describe('URL values', () => {
  it.each([
    ['price-asc', 'price-asc'],
    ['name', 'name'],
    [null, 'newest'],
    ['cheapest', 'newest'],
  ])('sort=%s is %s', (v, want) => expect(parseSort(v)).toBe(want));

  it.each([
    ['3', 3],
    [null, 1],
    ['0', 1],
    ['-2', 1],
    ['1.5', 1],
    ['x', 1],
  ])('page=%s is %s', (v, want) => expect(parsePage(v)).toBe(want));
});

describe('pageOf', () => {
  const items = Array.from({ length: 1000 }, (_, i) => i);
  it('cuts 24 a page and clamps the page', () => {
    expect(pageOf(items, 1)).toMatchObject({ page: 1, pages: 42, first: 1 });
    expect(pageOf(items, 1).items).toHaveLength(24);
    expect(pageOf(items, 42).items).toEqual(items.slice(984));
    expect(pageOf(items, 99).page).toBe(42);
    expect(pageOf([], 3)).toMatchObject({ page: 1, pages: 1, items: [] });
  });
});

describe('stockBadge', () => {
  it.each([
    [null, null],
    [6, null],
    [5, 'Only 5 left'],
    [1, 'Only 1 left'],
    [0, 'Sold out'],
  ])('stock %s: %s', (stock, text) => expect(stockBadge(stock)?.text ?? null).toBe(text));
});

it('fold drops accents and case', () => {
  expect(fold('Ünïcode CRÈME')).toBe('unicode creme');
});

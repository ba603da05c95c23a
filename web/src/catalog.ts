// Search, sort and pages over the whole public catalog, in the browser.
//
// Why here and not on the server: GET /api/products is one pre-encoded
// answer the catalog cache (internal/httpapi/cache.go) serves with an ETag,
// so a visit costs one request and every later one a 304. 1,000 products
// with descriptions of 20–50 words are about 540 KB of JSON and 130 KB
// gzipped (TestThousandProductsAreServedFromCache holds it under 256 KB), a
// couple of product photos' worth. In Chromium on a busy two-core machine
// the first page of cards is on screen 50–90 ms after that JSON arrives
// (parsing, indexing and rendering included) and a search redraws in about
// 20 ms: only one page of cards (PAGE_SIZE) is ever rendered. Query parameters on the server
// would make every search, sort and page its own answer that the cache could
// not pre-encode, and a round trip per keystroke. Past ~10,000 products this
// should move to the server (a q/sort/page query on Postgres).
import type { Product } from './api';

export const PAGE_SIZE = 24;

export type SortKey = 'newest' | 'price-asc' | 'price-desc' | 'name';

export const SORTS: readonly { key: SortKey; label: string }[] = [
  { key: 'newest', label: 'Newest' },
  { key: 'price-asc', label: 'Price: low to high' },
  { key: 'price-desc', label: 'Price: high to low' },
  { key: 'name', label: 'Name' },
];

/** The sort a URL's ?sort= names; newest for anything else. */
export function parseSort(value: string | null): SortKey {
  return SORTS.find((s) => s.key === value)?.key ?? 'newest';
}

/** A page number from ?page=: a whole number from 1, else 1. */
export function parsePage(value: string | null): number {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/** Lower case without accents, so "creme" finds "Crème". */
export function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLocaleLowerCase();
}

export interface IndexedProduct {
  product: Product;
  /** Name and description, folded. */
  text: string;
  /** Its place in the server's order (newest first). */
  order: number;
}

export function indexCatalog(products: readonly Product[]): IndexedProduct[] {
  return products.map((product, order) => ({
    product,
    text: fold(`${product.name}\n${product.description}`),
    order,
  }));
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

const compare: Record<SortKey, (a: IndexedProduct, b: IndexedProduct) => number> = {
  newest: (a, b) => a.order - b.order,
  'price-asc': (a, b) => a.product.unit_amount - b.product.unit_amount || a.order - b.order,
  'price-desc': (a, b) => b.product.unit_amount - a.product.unit_amount || a.order - b.order,
  name: (a, b) => collator.compare(a.product.name, b.product.name) || a.order - b.order,
};

/** The products whose name or description holds every word of query, in the sort's order. */
export function searchCatalog(index: readonly IndexedProduct[], query: string, sort: SortKey): Product[] {
  const words = fold(query).split(/\s+/).filter(Boolean);
  const found = words.length ? index.filter((p) => words.every((w) => p.text.includes(w))) : [...index];
  return found.sort(compare[sort]).map((p) => p.product);
}

/** How many pages items fill (at least one), and the slice of page n (clamped). */
export function pageOf<T>(items: readonly T[], n: number, size = PAGE_SIZE) {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const page = Math.min(Math.max(1, n), pages);
  return { page, pages, items: items.slice((page - 1) * size, page * size), first: (page - 1) * size + 1 };
}

/** Units left at or under which a card says how few: "Only 3 left". */
export const LOW_STOCK = 5;

/** The card's stock badge: none for unlimited or plenty. */
export function stockBadge(stock: number | null): { text: string; kind: 'sold-out' | 'low' } | null {
  if (stock === null || stock > LOW_STOCK) return null;
  if (stock <= 0) return { text: 'Sold out', kind: 'sold-out' };
  return { text: `Only ${stock} left`, kind: 'low' };
}

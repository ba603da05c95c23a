import type { Product } from '../api';

/** A product as the catalog sends it: $12.00, 10 in stock, unless told otherwise. */
export function productFixture(id: string, over: Partial<Product> = {}): Product {
  return {
    id,
    name: `Thing ${id}`,
    description: '',
    unit_amount: 1200,
    currency: 'usd',
    image_url: '',
    stock: 10,
    active: true,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    ...over,
  };
}

import type { Product } from '../api';

/** A product as GET /api/products answers it, with what a test needs changed. */
export function aProduct(over: Partial<Product> & Pick<Product, 'id' | 'name'>): Product {
  return {
    description: '',
    unit_amount: 1250,
    currency: 'usd',
    image_url: '',
    stock: null,
    active: true,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    ...over,
  };
}

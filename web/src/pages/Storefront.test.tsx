import { render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';
import { stubFetch } from '../test/fetch';
import Storefront from './Storefront';

const base = {
  description: '',
  currency: 'usd',
  image_url: '',
  active: true,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

describe('Storefront', () => {
  it('lists products with prices and marks sold-out ones', async () => {
    stubFetch({
      'GET /api/products': {
        body: {
          products: [
            { ...base, id: 'a', name: 'Mug', unit_amount: 1250, stock: null },
            { ...base, id: 'b', name: 'Poster', unit_amount: 800, currency: 'eur', stock: 0 },
            { ...base, id: 'c', name: 'Tea', unit_amount: 500, currency: 'jpy', stock: 4 },
          ],
        },
      },
    });
    render(
      <MemoryRouter>
        <Storefront />
      </MemoryRouter>,
    );
    expect(screen.getByRole('status')).toHaveTextContent(/loading/i);
    const links = await screen.findAllByRole('link');
    expect(links.map((l) => l.getAttribute('href'))).toEqual(['/products/a', '/products/b', '/products/c']);
    expect(links[0]).toHaveTextContent('Mug$12.50');
    expect(links[1]).toHaveTextContent('Sold out');
    expect(links[2]).toHaveTextContent('¥500');
    expect(screen.getAllByText('Sold out')).toHaveLength(1);
  });

  it('has an empty state', async () => {
    stubFetch({ 'GET /api/products': { body: { products: [] } } });
    render(
      <MemoryRouter>
        <Storefront />
      </MemoryRouter>,
    );
    expect(await screen.findByText(/nothing for sale yet/i)).toBeInTheDocument();
  });
});

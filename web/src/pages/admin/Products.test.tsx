import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it } from 'vitest';
import { setCsrfToken, type Product } from '../../api';
import { stubFetch } from '../../test/fetch';
import Products from './Products';

const mug: Product = {
  id: 'p1',
  name: 'Mug',
  description: '',
  unit_amount: 1250,
  currency: 'usd',
  image_url: '',
  stock: null,
  active: true,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  images: [],
};

describe('Products', () => {
  afterEach(() => setCsrfToken(null));

  it('lists stock (blank = unlimited) and archives a product after confirming', async () => {
    setCsrfToken('tok');
    let products = [mug, { ...mug, id: 'p2', name: 'Tote', stock: 0 }];
    const fetch = stubFetch({
      'GET /api/admin/products': () => ({ body: { products } }),
      'DELETE /api/admin/products/p1': () => {
        products = products.map((p) => (p.id === 'p1' ? { ...p, active: false } : p));
        return { status: 204 };
      },
    });
    const user = userEvent.setup();
    render(
      <MemoryRouter>
        <Products />
      </MemoryRouter>,
    );
    const mugRow = (await screen.findByRole('rowheader', { name: 'Mug' })).closest('tr')!;
    expect(within(mugRow).getByTestId('stock')).toHaveTextContent('Unlimited');
    const toteRow = screen.getByRole('rowheader', { name: 'Tote' }).closest('tr')!;
    expect(within(toteRow).getByTestId('stock')).toHaveTextContent('0');

    await user.click(within(mugRow).getByRole('button', { name: 'Archive Mug' }));
    const dialog = screen.getByRole('dialog', { name: 'Archive “Mug”?' });
    await user.click(within(dialog).getByRole('button', { name: 'Archive' }));

    expect(await screen.findByText(/“Mug” is archived/)).toBeInTheDocument();
    const del = fetch.mock.calls.find(([, init]) => init?.method === 'DELETE')!;
    expect((del[1]!.headers as Record<string, string>)['X-CSRF-Token']).toBe('tok');
    const row = screen.getByRole('rowheader', { name: 'Mug' }).closest('tr')!;
    expect(within(row).getByText('Archived')).toBeInTheDocument();
    expect(within(row).getByRole('button', { name: 'Restore Mug' })).toBeInTheDocument();
  });
});

import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import { stubFetch } from '../../test/fetch';
import Orders from './Orders';

function order(n: number, status = 'paid') {
  return {
    id: `o${n}`,
    number: 1000 + n,
    status,
    product_id: 'p1',
    product_name: `Mug ${n}`,
    quantity: 1,
    amount_total: 1250,
    currency: 'usd',
    customer_email: `c${n}@example.com`,
    session_id: `cs_${n}`,
    created_at: '2026-01-01T00:00:00Z',
    paid_at: null,
  };
}

describe('Orders', () => {
  it('filters by status and loads the next page with next_cursor', async () => {
    const fetch = stubFetch({
      'GET /api/admin/orders': ({ url }) => {
        const status = url.searchParams.get('status');
        if (status === 'failed') return { body: { orders: [], next_cursor: null } };
        if (url.searchParams.get('cursor') === 'c2') {
          return { body: { orders: [order(3)], next_cursor: null } };
        }
        return { body: { orders: [order(1), order(2, 'refunded')], next_cursor: 'c2' } };
      },
    });
    const user = userEvent.setup();
    render(
      <MemoryRouter initialEntries={['/admin/orders']}>
        <Routes>
          <Route path="/admin/orders" element={<Orders />} />
        </Routes>
      </MemoryRouter>,
    );
    const table = await screen.findByRole('table');
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(within(table).getByText('Refunded')).toBeInTheDocument();
    expect(within(table).getByRole('link', { name: '#1001' })).toHaveAttribute('href', '/admin/orders/o1');

    await user.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(4));
    expect(screen.getByText('Mug 3')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
    expect(String(fetch.mock.calls[1]![0])).toContain('cursor=c2');

    await user.selectOptions(screen.getByLabelText('Status'), 'failed');
    expect(await screen.findByText('No failed orders.')).toBeInTheDocument();
    expect(String(fetch.mock.calls.at(-1)![0])).toContain('status=failed');
  });

  it('finds an order by the number typed, and says when none has it', async () => {
    const fetch = stubFetch({
      'GET /api/admin/orders': ({ url }) => {
        const number = url.searchParams.get('number');
        if (number === '1002') return { body: { orders: [order(2)], next_cursor: null } };
        if (number) return { body: { orders: [], next_cursor: null } };
        return { body: { orders: [order(1), order(2), order(3)], next_cursor: null } };
      },
    });
    const user = userEvent.setup();
    render(
      <MemoryRouter initialEntries={['/admin/orders']}>
        <Routes>
          <Route path="/admin/orders" element={<Orders />} />
        </Routes>
      </MemoryRouter>,
    );
    const table = await screen.findByRole('table');
    expect(within(table).getAllByRole('row')).toHaveLength(4);

    const box = screen.getByLabelText('Order number');
    await user.type(box, 'mug');
    await user.click(screen.getByRole('button', { name: 'Find' }));
    expect(screen.getByText('Enter an order number, like 1001.')).toBeInTheDocument();
    expect(box).toHaveAttribute('aria-invalid', 'true');
    expect(fetch).toHaveBeenCalledTimes(1);

    await user.clear(box);
    await user.type(box, '#1002{Enter}');
    await waitFor(() => expect(within(screen.getByRole('table')).getAllByRole('row')).toHaveLength(2));
    expect(screen.getByText('Mug 2')).toBeInTheDocument();
    expect(String(fetch.mock.calls.at(-1)![0])).toContain('number=1002');
    expect(screen.queryByText('Enter an order number, like 1001.')).toBeNull();

    await user.clear(box);
    await user.type(box, '4040{Enter}');
    expect(await screen.findByText('No order #4040.')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Show all' }));
    await waitFor(() => expect(within(screen.getByRole('table')).getAllByRole('row')).toHaveLength(4));
    expect(box).toHaveValue('');
  });

  it('names every cell after its column, for the stacked layout on a phone', async () => {
    stubFetch({ 'GET /api/admin/orders': { body: { orders: [order(1)], next_cursor: null } } });
    render(
      <MemoryRouter initialEntries={['/admin/orders']}>
        <Routes>
          <Route path="/admin/orders" element={<Orders />} />
        </Routes>
      </MemoryRouter>,
    );
    const table = await screen.findByRole('table');
    expect(table).toHaveClass('table--stack');
    const headers = within(table).getAllByRole('columnheader').map((th) => th.textContent?.trim());
    const row = within(table).getAllByRole('row')[1]!;
    const labels = within(row).getAllByRole('cell').map((td) => td.getAttribute('data-label'));
    expect(labels).toEqual(headers);
  });
});

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

function renderOrders() {
  render(
    <MemoryRouter initialEntries={['/admin/orders']}>
      <Routes>
        <Route path="/admin/orders" element={<Orders />} />
      </Routes>
    </MemoryRouter>,
  );
}

/** The list's requests, not the product filter's. */
function orderCalls(fetch: ReturnType<typeof stubFetch>) {
  return fetch.mock.calls.filter(([u]) => String(u).startsWith('/api/admin/orders'));
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
    renderOrders();
    const table = await screen.findByRole('table');
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(within(table).getByText('Refunded')).toBeInTheDocument();
    expect(within(table).getByRole('link', { name: '#1001' })).toHaveAttribute('href', '/admin/orders/o1');

    await user.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(4));
    expect(screen.getByText('Mug 3')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
    expect(String(orderCalls(fetch)[1]![0])).toContain('cursor=c2');

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
    renderOrders();
    const table = await screen.findByRole('table');
    expect(within(table).getAllByRole('row')).toHaveLength(4);

    const box = screen.getByLabelText('E-mail or order number');
    await user.type(box, '#10x');
    await user.click(screen.getByRole('button', { name: 'Find' }));
    expect(screen.getByText('Enter an order number, like 1001, or part of an e-mail address.')).toBeInTheDocument();
    expect(box).toHaveAttribute('aria-invalid', 'true');
    expect(orderCalls(fetch)).toHaveLength(1);

    await user.clear(box);
    await user.type(box, '#1002{Enter}');
    await waitFor(() => expect(within(screen.getByRole('table')).getAllByRole('row')).toHaveLength(2));
    expect(screen.getByText('Mug 2')).toBeInTheDocument();
    expect(String(fetch.mock.calls.at(-1)![0])).toContain('number=1002');
    expect(screen.queryByText(/Enter an order number/)).toBeNull();

    await user.clear(box);
    await user.type(box, '4040{Enter}');
    expect(await screen.findByText('No order #4040.')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Show all' }));
    await waitFor(() => expect(within(screen.getByRole('table')).getAllByRole('row')).toHaveLength(4));
    expect(box).toHaveValue('');
  });

  it('names every cell after its column, for the stacked layout on a phone', async () => {
    stubFetch({ 'GET /api/admin/orders': { body: { orders: [order(1)], next_cursor: null } } });
    renderOrders();
    const table = await screen.findByRole('table');
    expect(table).toHaveClass('table--stack');
    const headers = within(table).getAllByRole('columnheader').map((th) => th.textContent?.trim());
    const row = within(table).getAllByRole('row')[1]!;
    const labels = within(row).getAllByRole('cell').map((td) => td.getAttribute('data-label'));
    expect(labels).toEqual(headers);
  });

  it('searches by e-mail, filters by product and offers the CSV of a date range', async () => {
    const fetch = stubFetch({
      'GET /api/admin/products': {
        body: {
          products: [
            { id: 'p1', name: 'Mug', active: true },
            { id: 'p2', name: 'Tea', active: false },
          ],
        },
      },
      'GET /api/admin/orders': ({ url }) => {
        if (url.searchParams.get('product_id') === 'p2') return { body: { orders: [], next_cursor: null } };
        if (url.searchParams.get('q') === 'c2@') return { body: { orders: [order(2)], next_cursor: null } };
        const cart = { ...order(1), lines: [{}, {}, {}].map((_, i) => ({ product_id: `p${i}`, product_name: `X${i}`, unit_amount: 100, quantity: 2, amount_subtotal: 200 })), amount_refunded: 300 };
        return { body: { orders: [cart, order(2)], next_cursor: null } };
      },
    });
    const user = userEvent.setup();
    renderOrders();
    const table = await screen.findByRole('table');
    expect(within(table).getByText('Mug 1 and 2 more')).toBeInTheDocument();
    expect(within(table).getByText('6')).toBeInTheDocument();
    expect(within(table).getByText('−$3.00 refunded')).toBeInTheDocument();

    await user.type(screen.getByLabelText('E-mail or order number'), 'c2@{Enter}');
    await waitFor(() => expect(within(screen.getByRole('table')).getAllByRole('row')).toHaveLength(2));
    expect(String(fetch.mock.calls.at(-1)![0])).toContain('q=c2%40');
    await user.click(screen.getByRole('button', { name: 'Show all' }));

    const select = screen.getByLabelText('Product');
    await screen.findByRole('option', { name: 'Tea (archived)' });
    await user.selectOptions(select, 'p2');
    expect(await screen.findByText('No orders of this product.')).toBeInTheDocument();
    expect(String(fetch.mock.calls.at(-1)![0])).toContain('product_id=p2');

    await user.click(screen.getByText('Export orders to CSV'));
    const from = screen.getByLabelText('From');
    await user.clear(from);
    await user.type(from, '2026-11-01');
    const to = screen.getByLabelText('To (included)');
    await user.clear(to);
    await user.type(to, '2026-11-30');
    expect(screen.getByRole('link', { name: 'Download CSV' })).toHaveAttribute(
      'href',
      '/api/admin/orders/export.csv?from=2026-11-01&to=2026-11-30',
    );
    await user.clear(from);
    await user.type(from, '2026-12-01');
    expect(screen.getByText('The end date comes before the start date.')).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Download CSV' })).toBeNull();
  });
});

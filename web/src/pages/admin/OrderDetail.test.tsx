import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, describe, expect, it } from 'vitest';
import { setCsrfToken } from '../../api';
import { stubFetch } from '../../test/fetch';
import OrderDetail from './OrderDetail';

const paid = {
  id: 'o1',
  number: 1042,
  status: 'paid',
  product_id: 'p1',
  product_name: 'Mug',
  quantity: 2,
  amount_total: 2500,
  currency: 'usd',
  customer_email: 'a@example.com',
  session_id: 'cs_1',
  created_at: '2026-01-01T00:00:00Z',
  paid_at: '2026-01-01T00:01:00Z',
  events: [{ id: 'evt_1', type: 'checkout.session.completed', received_at: '2026-01-01T00:01:00Z' }],
};

function renderPage() {
  render(
    <MemoryRouter initialEntries={['/admin/orders/o1']}>
      <Routes>
        <Route path="/admin/orders/:id" element={<OrderDetail />} />
      </Routes>
    </MemoryRouter>,
  );
}

describe('OrderDetail', () => {
  afterEach(() => setCsrfToken(null));

  it('refunds only after confirming, with the CSRF token', async () => {
    setCsrfToken('tok');
    let order = { ...paid };
    const fetch = stubFetch({
      'GET /api/admin/orders/o1': () => ({ body: order }),
      'POST /api/admin/orders/o1/refund': () => {
        order = { ...order, status: 'refunded' };
        return { body: order };
      },
    });
    const user = userEvent.setup();
    renderPage();
    expect(await screen.findByText('checkout.session.completed')).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Order #1042');

    await user.click(screen.getByRole('button', { name: 'Refund $25.00' }));
    const dialog = screen.getByRole('dialog', { name: 'Refund this order?' });
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(dialog).not.toHaveAttribute('open');
    expect(fetch).toHaveBeenCalledTimes(1);

    await user.click(screen.getByRole('button', { name: 'Refund $25.00' }));
    await user.click(screen.getByRole('button', { name: 'Refund' }));
    expect(await screen.findByText('The order is refunded.')).toBeInTheDocument();
    const refund = fetch.mock.calls.find(([u]) => String(u).endsWith('/refund'))!;
    expect((refund[1]!.headers as Record<string, string>)['X-CSRF-Token']).toBe('tok');
    await waitFor(() => expect(screen.queryByRole('button', { name: /Refund \$/ })).toBeNull());
  });

  it('warns about a flagged amount and shows a refused refund in words', async () => {
    stubFetch({
      'GET /api/admin/orders/o1': {
        body: { ...paid, flagged: true, flag_reason: 'Stripe charged 2000, the order is 2500' },
      },
      'POST /api/admin/orders/o1/refund': {
        status: 409,
        body: { error: { code: 'conflict', message: 'only a paid order can be refunded' } },
      },
    });
    const user = userEvent.setup();
    renderPage();
    expect(await screen.findByText('Amount mismatch: check this order')).toBeInTheDocument();
    expect(screen.getByText('Stripe charged 2000, the order is 2500')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Refund $25.00' }));
    await user.click(screen.getByRole('button', { name: 'Refund' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'This order cannot be refunded: only a paid order can be refunded.',
    );
  });

  it('offers to put the units back in stock, and asks the server to', async () => {
    setCsrfToken('tok');
    let order = { ...paid };
    const fetch = stubFetch({
      'GET /api/admin/orders/o1': () => ({ body: order }),
      'POST /api/admin/orders/o1/refund': () => {
        order = { ...order, status: 'refunded' };
        return { body: order };
      },
    });
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByRole('button', { name: 'Refund $25.00' }));
    const box = screen.getByRole('checkbox', { name: new RegExp(`Put the (unit|${paid.quantity} units) back in stock`) });
    expect(box).not.toBeChecked();
    await user.click(box);
    await user.click(screen.getByRole('button', { name: 'Refund' }));
    expect(await screen.findByText('The order is refunded and its units are back in stock.')).toBeInTheDocument();
    const refund = fetch.mock.calls.find(([u]) => String(u).endsWith('/refund'))!;
    expect(JSON.parse(String(refund[1]!.body))).toEqual({ restock: true });
  });

  it('refunds without a body (no restock) by default', async () => {
    setCsrfToken('tok');
    const fetch = stubFetch({
      'GET /api/admin/orders/o1': () => ({ body: paid }),
      'POST /api/admin/orders/o1/refund': () => ({ body: { ...paid, status: 'refunded' } }),
    });
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByRole('button', { name: 'Refund $25.00' }));
    await user.click(screen.getByRole('button', { name: 'Refund' }));
    await screen.findByText('The order is refunded.');
    const refund = fetch.mock.calls.find(([u]) => String(u).endsWith('/refund'))!;
    expect(refund[1]!.body).toBeUndefined();
  });
});

import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setCsrfToken } from '../../api';
import { stubFetch } from '../../test/fetch';
import OrderDetail from './OrderDetail';

// A cart order as the plan's Order view has it: three lines, shipping, a code, tax, $3.00 refunded.
const cartOrder = {
  id: 'o7',
  number: 1007,
  status: 'paid',
  product_id: 'p1',
  product_name: 'Mug',
  quantity: 2,
  currency: 'usd',
  customer_email: 'ada@example.com',
  session_id: 'cs_7',
  created_at: '2026-11-01T00:00:00Z',
  paid_at: '2026-11-01T00:01:00Z',
  lines: [
    { product_id: 'p1', product_name: 'Mug', unit_amount: 1250, quantity: 2, amount_subtotal: 2500, refunded_quantity: 0 },
    { product_id: 'p2', product_name: 'Tea', unit_amount: 800, quantity: 1, amount_subtotal: 800, refunded_quantity: 0 },
    { product_id: 'p3', product_name: 'Spoon', unit_amount: 300, quantity: 1, amount_subtotal: 300, refunded_quantity: 1 },
  ],
  amount_subtotal: 3600,
  amount_discount: 360,
  amount_shipping: 500,
  amount_tax: 300,
  amount_total: 4040,
  amount_refunded: 300,
  promotion_code: 'SAVE10',
  shipping: {
    name: 'Ada Lovelace',
    address: { line1: '12 St James Sq', line2: '', city: 'London', state: '', postal_code: 'SW1Y 4JH', country: 'GB' },
    rate_name: 'Express',
    rate_id: 'shr_2',
  },
  events: [],
};

function renderPage() {
  render(
    <MemoryRouter initialEntries={['/admin/orders/o7']}>
      <Routes>
        <Route path="/admin/orders/:id" element={<OrderDetail />} />
      </Routes>
    </MemoryRouter>,
  );
}

function stubOrder(refund: (body: unknown) => object = () => ({})) {
  let order: Record<string, unknown> = { ...cartOrder };
  const fetch = stubFetch({
    'GET /api/admin/orders/o7': () => ({ body: order }),
    'POST /api/admin/orders/o7/refund': ({ body }) => {
      order = { ...order, ...refund(body) };
      return { body: order };
    },
  });
  return fetch;
}

function refundBodies(fetch: ReturnType<typeof stubFetch>) {
  return fetch.mock.calls.filter(([u]) => String(u).endsWith('/refund')).map(([, init]) => JSON.parse(String(init!.body)));
}

describe('admin order detail of a cart order', () => {
  beforeEach(() => setCsrfToken('tok'));
  afterEach(() => setCsrfToken(null));

  it('shows the lines, address, rate, promotion code, totals and what was refunded', async () => {
    stubOrder();
    renderPage();
    const table = await screen.findByRole('table', { name: 'Items in this order' });
    const rows = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((r) => [...r.children].map((c) => c.textContent));
    expect(rows).toEqual([
      ['Mug', '$12.50', '2', '0', '$25.00'],
      ['Tea', '$8.00', '1', '0', '$8.00'],
      ['Spoon', '$3.00', '1', '1', '$3.00'],
    ]);
    expect(screen.getByText('Partly refunded')).toBeInTheDocument();
    const summary = [...document.querySelectorAll('dl.summary > div')].map((d) => d.textContent);
    expect(summary.slice(0, 6)).toEqual([
      'Subtotal$36.00',
      'Discount (SAVE10)−$3.60',
      'Shipping (Express)$5.00',
      'Tax$3.00',
      'Total$40.40',
      'Refunded−$3.00',
    ]);
    expect(screen.getByRole('heading', { name: 'Ships to' })).toBeInTheDocument();
    expect(document.querySelector('address')).toHaveTextContent('London, SW1Y 4JH');
    expect(screen.getByRole('button', { name: 'Refund $37.40' })).toBeInTheDocument();
  });

  it('refunds chosen units of chosen lines and can put them back in stock', async () => {
    const fetch = stubOrder(() => ({ amount_refunded: 300 + 1250 }));
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByRole('button', { name: 'Refund $37.40' }));
    const dialog = screen.getByRole('dialog', { name: 'Refund this order?' });
    expect(within(dialog).getByRole('radio', { name: 'The rest of the order, $37.40' })).toBeChecked();
    await user.click(within(dialog).getByRole('radio', { name: 'Some items' }));
    // Spoon's only unit is refunded already: nothing of it to choose.
    expect(within(dialog).queryByLabelText(/^Spoon/)).toBeNull();

    await user.click(within(dialog).getByRole('button', { name: 'Refund' }));
    expect(within(dialog).getByRole('alert')).toHaveTextContent('Choose at least one unit to refund.');
    await user.type(within(dialog).getByLabelText(/^Mug/), '3');
    await user.click(within(dialog).getByRole('button', { name: 'Refund' }));
    expect(within(dialog).getByRole('alert')).toHaveTextContent('Refund 0 to 2 of Mug.');
    expect(refundBodies(fetch)).toEqual([]);

    const mug = within(dialog).getByLabelText(/^Mug/);
    await user.clear(mug);
    await user.type(mug, '1');
    expect(within(dialog).getByText(/\$12\.50 at the prices sold/)).toBeInTheDocument();
    await user.click(within(dialog).getByRole('checkbox', { name: 'Put the refunded units back in stock' }));
    await user.click(within(dialog).getByRole('button', { name: 'Refund' }));
    expect(await screen.findByText('Refunded $12.50. The units are back in stock.')).toBeInTheDocument();
    expect(refundBodies(fetch)).toEqual([{ lines: [{ product_id: 'p1', quantity: 1 }], restock: true }]);
  });

  it('refunds an amount, no more than is left', async () => {
    const fetch = stubOrder(() => ({ amount_refunded: 800 }));
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByRole('button', { name: 'Refund $37.40' }));
    const dialog = screen.getByRole('dialog', { name: 'Refund this order?' });
    await user.click(within(dialog).getByRole('radio', { name: 'An amount' }));
    expect(within(dialog).queryByRole('checkbox')).toBeNull();
    const amount = within(dialog).getByLabelText('Amount (USD)');
    await user.type(amount, '40');
    await user.click(within(dialog).getByRole('button', { name: 'Refund' }));
    expect(within(dialog).getByRole('alert')).toHaveTextContent('At most $37.40 is left to refund.');
    await user.clear(amount);
    await user.type(amount, '5');
    await user.click(within(dialog).getByRole('button', { name: 'Refund' }));
    expect(await screen.findByText('Refunded $5.00.')).toBeInTheDocument();
    expect(refundBodies(fetch)).toEqual([{ amount: 500 }]);
  });
});

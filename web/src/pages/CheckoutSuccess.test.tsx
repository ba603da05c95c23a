import { act, render, screen } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { addToCart, getCart, rememberCartCheckout } from '../cart';
import { stubFetch } from '../test/fetch';
import { productFixture } from '../test/fixtures';
import CheckoutSuccess, { POLL_INTERVAL_MS, POLL_TIMEOUT_MS } from './CheckoutSuccess';

const order = {
  id: 'o1',
  number: 1001,
  status: 'pending',
  product_id: 'p1',
  product_name: 'Mug',
  quantity: 2,
  amount_total: 2500,
  currency: 'usd',
  customer_email: 'a@example.com',
  session_id: 'cs_1',
  created_at: '2026-01-01T00:00:00Z',
};

function renderPage() {
  render(
    <MemoryRouter initialEntries={['/checkout/success?session_id=cs_1']}>
      <Routes>
        <Route path="/checkout/success" element={<CheckoutSuccess />} />
      </Routes>
    </MemoryRouter>,
  );
}

/** Lets pending promises and the next poll timer run. */
async function advance(ms: number) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

describe('CheckoutSuccess', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('polls until the order is paid, then shows the summary and stops', async () => {
    const statuses = ['pending', 'processing', 'paid'];
    const fetch = stubFetch({
      'GET /api/checkout/status': ({ url }) => {
        expect(url.searchParams.get('session_id')).toBe('cs_1');
        return { body: { ...order, status: statuses.shift() ?? 'paid' } };
      },
    });
    renderPage();
    await advance(0);
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Payment processing…');
    await advance(POLL_INTERVAL_MS);
    expect(screen.getByText(/your bank is confirming/i)).toBeInTheDocument();
    await advance(POLL_INTERVAL_MS);
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Paid — thank you');
    expect(screen.getByText('$25.00')).toBeInTheDocument();
    expect(screen.getByText('a@example.com')).toBeInTheDocument();
    expect(screen.getByText('Mug')).toBeInTheDocument();
    expect(screen.getByText('#1001')).toBeInTheDocument();

    await advance(POLL_INTERVAL_MS * 5);
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it('shows a failed payment and offers to try again', async () => {
    stubFetch({ 'GET /api/checkout/status': { body: { ...order, status: 'failed' } } });
    renderPage();
    await advance(0);
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Payment failed');
    expect(screen.getByRole('link', { name: 'Try again' })).toHaveAttribute('href', '/products/p1');
  });

  it('gives up after about two minutes and offers to check again', async () => {
    const fetch = stubFetch({ 'GET /api/checkout/status': { body: order } });
    renderPage();
    await advance(POLL_TIMEOUT_MS + POLL_INTERVAL_MS);
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Payment still processing');
    const calls = fetch.mock.calls.length;
    expect(calls).toBeGreaterThan(60);
    expect(calls).toBeLessThanOrEqual(Math.ceil(POLL_TIMEOUT_MS / POLL_INTERVAL_MS) + 1);
    await advance(POLL_INTERVAL_MS * 3);
    expect(fetch.mock.calls.length).toBe(calls);
    expect(screen.getByRole('button', { name: 'Check again' })).toBeInTheDocument();
  });

  it('shows a cart order’s lines, address, discount, shipping, tax and total, and empties the cart of them', async () => {
    addToCart(productFixture('p1', { name: 'Mug', unit_amount: 1250 }), 2);
    addToCart(productFixture('p2', { name: 'Tea', unit_amount: 800 }), 1);
    addToCart(productFixture('p3', { name: 'Spoon', unit_amount: 300 }), 1);
    rememberCartCheckout('o1', [
      { product_id: 'p1', quantity: 2 },
      { product_id: 'p2', quantity: 1 },
    ]);
    stubFetch({
      'GET /api/checkout/status': {
        body: {
          ...order,
          status: 'paid',
          lines: [
            { product_id: 'p1', product_name: 'Mug', unit_amount: 1250, quantity: 2, amount_subtotal: 2500, refunded_quantity: 0 },
            { product_id: 'p2', product_name: 'Tea', unit_amount: 800, quantity: 1, amount_subtotal: 800, refunded_quantity: 0 },
          ],
          amount_subtotal: 3300,
          amount_discount: 330,
          amount_shipping: 500,
          amount_tax: 286,
          amount_total: 3756,
          amount_refunded: 0,
          // Stripe's id of the code: not shown to the customer.
          promotion_code: 'promo_1QxSAVE10',
          shipping: {
            name: 'Ada Lovelace',
            address: { line1: '1 Main St', line2: '', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' },
            rate_name: 'Standard',
            rate_id: 'shr_1',
          },
        },
      },
    });
    renderPage();
    await advance(0);
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Paid — thank you');
    const summary = screen.getByLabelText('Order summary');
    const rows = [...summary.querySelectorAll('div')].map((d) => d.textContent);
    expect(rows).toEqual([
      'Mug × 2$25.00',
      'Tea × 1$8.00',
      'Subtotal$33.00',
      'Discount−$3.30',
      'Shipping (Standard)$5.00',
      'Tax$2.86',
      'Total$37.56',
      'Emaila@example.com',
      'Order#1001',
    ]);
    expect(screen.getByRole('heading', { name: 'Shipping to' })).toBeInTheDocument();
    const address = document.querySelector('address')!;
    expect(address).toHaveTextContent('Ada Lovelace');
    expect(address).toHaveTextContent('1 Main St');
    expect(address).toHaveTextContent('Springfield, IL, 62701');
    expect(address).toHaveTextContent('United States');
    // Paid: what the order bought leaves the cart; the spoon added apart stays.
    expect(getCart().map((l) => l.product_id)).toEqual(['p3']);
  });

  it('says tax is included when the other amounts already add up to the total', async () => {
    stubFetch({
      'GET /api/checkout/status': {
        body: { ...order, status: 'paid', amount_subtotal: 2500, amount_discount: 0, amount_shipping: 0, amount_tax: 417, amount_total: 2500 },
      },
    });
    renderPage();
    await advance(0);
    expect(screen.getByText('Tax included')).toBeInTheDocument();
    expect(screen.getByText('$4.17')).toBeInTheDocument();
    // No address was asked, so no shipping row.
    expect(screen.queryByText(/^Shipping/)).toBeNull();
  });
});

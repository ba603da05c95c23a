import { render, screen } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import { rememberCartCheckout } from '../cart';
import { pendingCheckout, rememberCheckout } from '../pendingCheckout';
import { stubFetch } from '../test/fetch';
import CheckoutCancel from './CheckoutCancel';

// All the cancel route answers (docs/api.md).
const order = {
  order_id: 'o1',
  status: 'expired',
  product_id: 'p1',
  product_name: 'Mug',
};
const product = { id: 'p1', name: 'Mug', description: '', unit_amount: 1250, currency: 'usd', image_url: '', stock: 1, active: true };

function renderPage(url: string) {
  render(
    <MemoryRouter initialEntries={[url]}>
      <Routes>
        <Route path="/checkout/cancel" element={<CheckoutCancel />} />
      </Routes>
    </MemoryRouter>,
  );
}

describe('CheckoutCancel', () => {
  it('gives the reservation back and offers to try again', async () => {
    const calls: unknown[] = [];
    stubFetch({
      'POST /api/checkout/cancel': ({ body }) => {
        calls.push(body);
        return { body: order };
      },
      'GET /api/products/p1': () => ({ body: product }),
    });
    renderPage('/checkout/cancel?product_id=p1&order_id=o1');
    expect(await screen.findByText(/back in stock/)).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Payment cancelled');
    // The server records the customer's own cancel as "expired" (it cannot
    // tell the two apart); this page knows better and never says "expired".
    expect(screen.queryByText(/expired/i)).toBeNull();
    expect(screen.getByRole('link', { name: 'Try again' })).toHaveAttribute('href', '/products/p1');
    expect(calls[0]).toEqual({ order_id: 'o1' });
  });

  it('forgets the checkout it cancels, so no banner offers it again', async () => {
    rememberCheckout({ order_id: 'o1', session_id: 'cs_1', checkout_url: 'http://sim.test/pay/cs_1' });
    stubFetch({ 'POST /api/checkout/cancel': { body: order }, 'GET /api/products/p1': { body: product } });
    renderPage('/checkout/cancel?product_id=p1&order_id=o1');
    expect(await screen.findByText(/back in stock/)).toBeInTheDocument();
    expect(pendingCheckout()).toBeNull();
  });

  it('says so when the payment went through after all', async () => {
    stubFetch({
      'POST /api/checkout/cancel': () => ({ body: { ...order, status: 'paid' } }),
      'GET /api/products/p1': () => ({ body: product }),
    });
    renderPage('/checkout/cancel?product_id=p1&order_id=o1');
    expect(await screen.findByRole('heading', { name: 'Your payment went through' })).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Try again' })).toBeNull();
  });

  it('leads a cart’s checkout back to the cart', async () => {
    rememberCartCheckout('o1', [{ product_id: 'p1', quantity: 1 }]);
    stubFetch({
      'POST /api/checkout/cancel': () => ({ body: order }),
      'GET /api/products/p1': () => ({ body: product }),
    });
    renderPage('/checkout/cancel?product_id=p1&order_id=o1');
    expect(await screen.findByText(/back in stock/)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Back to your cart' })).toHaveAttribute('href', '/cart');
    expect(screen.queryByRole('link', { name: 'Try again' })).toBeNull();
  });
});

import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { redirectTo } from '../navigation';
import { pendingCheckout, rememberCheckout, resetOpenOrder } from '../pendingCheckout';
import ProductPage from '../pages/ProductPage';
import Storefront from '../pages/Storefront';
import { stubFetch } from '../test/fetch';
import { aProduct } from '../test/product';
import { OpenOrderBanner } from './OpenOrderBanner';

vi.mock('../navigation', () => ({ redirectTo: vi.fn() }));

const checkout = {
  order_id: 'o1',
  session_id: 'cs_1',
  checkout_url: 'http://sim.test/pay/cs_1',
  number: 1001,
};

const mug = aProduct({ id: 'p1', name: 'Enamel mug', stock: 0 });

function order(status: string) {
  return {
    id: 'o1',
    number: 1001,
    status,
    product_id: 'p1',
    product_name: 'Enamel mug',
    quantity: 1,
    amount_total: 1250,
    currency: 'usd',
    session_id: 'cs_1',
    created_at: '2026-01-01T00:00:00Z',
  };
}

function renderAt(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <OpenOrderBanner />
      <Routes>
        <Route path="/products/:id" element={<ProductPage />} />
        <Route path="/shop" element={<Storefront />} />
        <Route path="*" element={<p>elsewhere</p>} />
      </Routes>
    </MemoryRouter>,
  );
}

beforeEach(() => vi.mocked(redirectTo).mockReset());
afterEach(() => resetOpenOrder());

describe('OpenOrderBanner', () => {
  it('shows nothing and asks nothing when no checkout was left open', async () => {
    const fetch = stubFetch({});
    renderAt('/');
    await screen.findByText('elsewhere');
    expect(screen.queryByRole('region')).toBeNull();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('offers to continue to the same payment page while the order is open', async () => {
    rememberCheckout(checkout);
    const fetch = stubFetch({ 'GET /api/checkout/status': { body: order('pending') } });
    const user = userEvent.setup();
    renderAt('/');
    const banner = await screen.findByRole('region', { name: 'Your order #1001 is waiting for payment' });
    expect(banner).toHaveTextContent('1 × Enamel mug, $12.50');
    expect(String(fetch.mock.calls[0]![0])).toBe('/api/checkout/status?session_id=cs_1');
    await user.click(screen.getByRole('button', { name: 'Continue to payment' }));
    expect(redirectTo).toHaveBeenCalledWith('http://sim.test/pay/cs_1');
    // Still remembered: Back from the payment page offers it again.
    expect(pendingCheckout()).toEqual(checkout);
  });

  it.each(['paid', 'processing', 'expired', 'failed'])('forgets a %s order without a word', async (status) => {
    rememberCheckout(checkout);
    const fetch = stubFetch({ 'GET /api/checkout/status': { body: order(status) } });
    renderAt('/');
    await waitFor(() => expect(fetch).toHaveBeenCalled());
    await waitFor(() => expect(pendingCheckout()).toBeNull());
    expect(screen.queryByRole('region')).toBeNull();
  });

  it('keeps the checkout, showing nothing, when the shop cannot answer', async () => {
    rememberCheckout(checkout);
    const fetch = stubFetch({ 'GET /api/checkout/status': { status: 503, body: { error: { code: 'unavailable', message: 'down' } } } });
    renderAt('/');
    await waitFor(() => expect(fetch).toHaveBeenCalled());
    expect(screen.queryByRole('region')).toBeNull();
    expect(pendingCheckout()).toEqual(checkout);
  });

  it('checks again when Back restores the page from the back/forward cache', async () => {
    rememberCheckout(checkout);
    let status = 'expired';
    const fetch = stubFetch({ 'GET /api/checkout/status': () => ({ body: order(status) }) });
    renderAt('/');
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    // The customer went to pay again (a new checkout), then pressed Back:
    // the page comes back as it was, without the app starting again.
    rememberCheckout(checkout);
    status = 'pending';
    act(() => {
      window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: false }));
    });
    expect(fetch).toHaveBeenCalledTimes(1);
    act(() => {
      window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    });
    expect(await screen.findByRole('button', { name: 'Continue to payment' })).toBeInTheDocument();
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('stays off the checkout result pages, which say what became of the order', async () => {
    rememberCheckout(checkout);
    const fetch = stubFetch({ 'GET /api/checkout/status': { body: order('pending') } });
    renderAt('/checkout/success?session_id=cs_1');
    await screen.findByText('elsewhere');
    expect(fetch).not.toHaveBeenCalled();
    expect(screen.queryByRole('region')).toBeNull();
  });

  it('explains on the product page that the customer’s own order holds the last unit, and cancelling gives it back', async () => {
    rememberCheckout(checkout);
    let stock = 0;
    const fetch = stubFetch({
      'GET /api/checkout/status': { body: order('pending') },
      'GET /api/products/p1': () => ({ body: { ...mug, stock } }),
      'POST /api/checkout/cancel': ({ body }) => {
        stock = 1;
        return { body: { order_id: (body as { order_id: string }).order_id, status: 'expired', product_id: 'p1', product_name: 'Enamel mug' } };
      },
    });
    const user = userEvent.setup();
    renderAt('/products/p1');
    await screen.findByRole('heading', { name: 'Enamel mug' });
    expect(await screen.findByText('You have 1 in an open order (#1001), held for you until you pay or cancel it above.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Sold out' })).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Cancel order' }));
    const done = await screen.findByText(/Order #1001 is cancelled and you have not been charged\. Enamel mug is back in stock\./);
    expect(done).toHaveFocus();
    expect(fetch.mock.calls.find(([u]) => u === '/api/checkout/cancel')![1]!.body).toBe('{"order_id":"o1"}');
    expect(pendingCheckout()).toBeNull();
    // The product page shows the unit back at once.
    expect(await screen.findByRole('button', { name: 'Buy now' })).toBeEnabled();
    expect(screen.getByText('Only 1 left')).toBeInTheDocument();
    expect(screen.queryByText(/You have 1 in an open order/)).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByRole('region')).toBeNull();
  });

  it('marks the product’s card in the list with the units the open order holds', async () => {
    rememberCheckout(checkout);
    stubFetch({
      'GET /api/checkout/status': { body: order('pending') },
      'GET /api/shop': { body: { name: 'stripeshop', tagline: '' } },
      'GET /api/products': { body: { products: [mug, aProduct({ id: 'p2', name: 'Tea' })] } },
    });
    renderAt('/shop');
    await screen.findByRole('button', { name: 'Continue to payment' });
    const card = (await screen.findByText('Enamel mug')).closest('a')!;
    expect(card).toHaveTextContent('Sold out1 in your open order');
    expect(screen.getByText('Tea').closest('a')).not.toHaveTextContent('open order');
    await screen.findByRole('heading', { level: 1 });
  });

  it('says so beside the buttons when the cancel fails, and lets the customer try again', async () => {
    rememberCheckout(checkout);
    stubFetch({
      'GET /api/checkout/status': { body: order('pending') },
      'POST /api/checkout/cancel': { status: 502, body: { error: { code: 'payment_provider', message: 'stripe timed out' } } },
    });
    const user = userEvent.setup();
    renderAt('/');
    await user.click(await screen.findByRole('button', { name: 'Cancel order' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The payment provider did not answer. Nothing was charged');
    expect(screen.getByRole('button', { name: 'Cancel order' })).toBeEnabled();
    expect(pendingCheckout()).toEqual(checkout);
  });
});

describe('rememberCheckout', () => {
  it('is what the Buy button does before leaving for the payment page', async () => {
    stubFetch({
      'GET /api/products/p1': { body: { ...mug, stock: 3 } },
      'POST /api/checkout': { status: 201, body: { ...checkout } },
    });
    const user = userEvent.setup();
    render(
      <MemoryRouter initialEntries={['/products/p1']}>
        <Routes>
          <Route path="/products/:id" element={<ProductPage />} />
        </Routes>
      </MemoryRouter>,
    );
    await user.click(await screen.findByRole('button', { name: 'Buy now' }));
    await waitFor(() => expect(redirectTo).toHaveBeenCalledWith(checkout.checkout_url));
    expect(pendingCheckout()).toEqual(checkout);
    // Back restores the page from the cache: it is not "Redirecting" any more.
    expect(screen.getByRole('button', { name: /redirecting/i })).toBeDisabled();
    act(() => {
      window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    });
    expect(screen.getByRole('button', { name: 'Buy now' })).toBeEnabled();
  });

  it('ignores what it cannot read', () => {
    sessionStorage.setItem('stripeshop.pendingCheckout', '{"order_id": 5}');
    expect(pendingCheckout()).toBeNull();
    sessionStorage.setItem('stripeshop.pendingCheckout', 'not json');
    expect(pendingCheckout()).toBeNull();
  });
});

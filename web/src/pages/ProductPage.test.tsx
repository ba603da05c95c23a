import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { redirectTo } from '../navigation';
import { deferred, stubFetch, type Reply } from '../test/fetch';
import ProductPage from './ProductPage';

vi.mock('../navigation', () => ({ redirectTo: vi.fn() }));

const mug = {
  id: 'p1',
  name: 'Mug <b>bold</b>',
  description: 'A mug.\nHolds coffee.',
  unit_amount: 1250,
  currency: 'usd',
  image_url: '',
  stock: 3,
  active: true,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

function renderAt(path = '/products/p1') {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <Routes>
        <Route path="/products/:id" element={<ProductPage />} />
      </Routes>
    </MemoryRouter>,
  );
}

describe('ProductPage', () => {
  beforeEach(() => vi.mocked(redirectTo).mockReset());

  it('renders the product name as text, never as HTML', async () => {
    stubFetch({ 'GET /api/products/p1': { body: mug } });
    renderAt();
    expect(await screen.findByRole('heading', { name: 'Mug <b>bold</b>' })).toBeInTheDocument();
    expect(document.querySelector('b')).toBeNull();
    expect(screen.getByText('$12.50')).toBeInTheDocument();
    expect(screen.getByText('Only 3 left')).toBeInTheDocument();
  });

  it('disables Buy now while the request runs, then redirects to Stripe', async () => {
    const pending = deferred<Reply>();
    const fetch = stubFetch({
      'GET /api/products/p1': { body: mug },
      'POST /api/checkout': () => pending.promise,
    });
    const user = userEvent.setup();
    renderAt();
    const quantity = await screen.findByLabelText('Quantity');
    await user.clear(quantity);
    await user.type(quantity, '2');
    await user.click(screen.getByRole('button', { name: 'Buy now' }));

    const busy = await screen.findByRole('button', { name: /starting checkout/i });
    expect(busy).toBeDisabled();
    // A second click while pending sends nothing more.
    await user.click(busy);
    expect(fetch.mock.calls.filter(([u]) => u === '/api/checkout')).toHaveLength(1);
    expect(JSON.parse(String(fetch.mock.calls[1]![1]!.body))).toEqual({ product_id: 'p1', quantity: 2 });

    pending.resolve({ status: 201, body: { order_id: 'o1', session_id: 'cs_1', checkout_url: 'http://sim.test/pay/cs_1' } });
    await waitFor(() => expect(redirectTo).toHaveBeenCalledWith('http://sim.test/pay/cs_1'));
    expect(screen.getByRole('button', { name: /redirecting/i })).toBeDisabled();
  });

  it('says in words when the product is out of stock (409) and re-enables the button', async () => {
    let stock = 3;
    stubFetch({
      'GET /api/products/p1': () => ({ body: { ...mug, stock } }),
      'POST /api/checkout': () => {
        stock = 1;
        return { status: 409, body: { error: { code: 'conflict', message: 'out of stock' } } };
      },
    });
    const user = userEvent.setup();
    renderAt();
    const quantity = await screen.findByLabelText('Quantity');
    await user.clear(quantity);
    await user.type(quantity, '3');
    await user.click(screen.getByRole('button', { name: 'Buy now' }));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(/not enough stock left/i);
    await waitFor(() => expect(alert).toHaveFocus());
    expect(screen.getByRole('button', { name: 'Buy now' })).toBeEnabled();
    // The page fetched the product again and shows the new stock.
    expect(await screen.findByText('Only 1 left')).toBeInTheDocument();
    expect(redirectTo).not.toHaveBeenCalled();
  });

  it('says how many units the customer holds when over the cap (409)', async () => {
    const message =
      'you already hold 18 units in checkouts not yet paid, and one customer may hold at most 20 at once; finish or cancel a checkout, or wait for it to expire';
    stubFetch({
      'GET /api/products/p1': { body: mug },
      'POST /api/checkout': { status: 409, body: { error: { code: 'conflict', message } } },
    });
    const user = userEvent.setup();
    renderAt();
    const quantity = await screen.findByLabelText('Quantity');
    await user.clear(quantity);
    await user.type(quantity, '3');
    await user.click(screen.getByRole('button', { name: 'Buy now' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(/hold 18 units.*at most 20 at once/);
    expect(alert).not.toHaveTextContent(/not enough stock/);
  });

  it('keeps the quantity within the product’s most per order', async () => {
    const fetch = stubFetch({ 'GET /api/products/p1': { body: { ...mug, stock: null, max_per_order: 2 } } });
    const user = userEvent.setup();
    renderAt();
    const quantity = await screen.findByLabelText('Quantity');
    expect(quantity).toHaveAttribute('max', '2');
    await user.clear(quantity);
    await user.type(quantity, '3');
    await user.click(screen.getByRole('button', { name: 'Buy now' }));
    expect(await screen.findByText(/at most 2 at once/)).toBeInTheDocument();
    expect(fetch.mock.calls.filter(([url]) => String(url).includes('/api/checkout'))).toHaveLength(0);
  });

  it('checks the quantity against the stock before asking the server', async () => {
    const fetch = stubFetch({ 'GET /api/products/p1': { body: mug } });
    const user = userEvent.setup();
    renderAt();
    const quantity = await screen.findByLabelText('Quantity');
    await user.clear(quantity);
    await user.type(quantity, '5');
    await user.click(screen.getByRole('button', { name: 'Buy now' }));
    expect(await screen.findByText(/only 3 left: choose 3 or fewer/i)).toBeInTheDocument();
    expect(quantity).toHaveAttribute('aria-invalid', 'true');
    expect(quantity).toHaveFocus();
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('shows Sold out with no button to press when stock is 0', async () => {
    stubFetch({ 'GET /api/products/p1': { body: { ...mug, stock: 0 } } });
    renderAt();
    expect(await screen.findByRole('button', { name: 'Sold out' })).toBeDisabled();
    expect(screen.queryByLabelText('Quantity')).toBeNull();
  });

  it('shows a cancelled notice when Stripe sends the customer back here', async () => {
    stubFetch({ 'GET /api/products/p1': { body: mug } });
    renderAt('/products/p1?checkout=cancelled');
    expect(await screen.findByText('Payment cancelled')).toBeInTheDocument();
  });
});

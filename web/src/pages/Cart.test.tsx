import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CART_KEY, CART_CHECKOUT_KEY, getCart, serializeCart, type CartLine } from '../cart';
import { CartLink } from '../components/CartLink';
import { redirectTo } from '../navigation';
import { stubFetch } from '../test/fetch';
import { productFixture } from '../test/fixtures';
import CartPage from './Cart';

vi.mock('../navigation', () => ({ redirectTo: vi.fn() }));

const product = productFixture;

function line(id: string, quantity: number, over: Partial<CartLine> = {}): CartLine {
  return { product_id: id, quantity, name: `Thing ${id}`, unit_amount: 1200, currency: 'usd', image_url: '', ...over };
}

function renderCart(lines: CartLine[]) {
  localStorage.setItem(CART_KEY, serializeCart(lines));
  render(
    <MemoryRouter initialEntries={['/cart']}>
      <CartLink />
      <Routes>
        <Route path="/cart" element={<CartPage />} />
      </Routes>
    </MemoryRouter>,
  );
}

const checkoutButton = () => screen.getByRole('button', { name: /^(Check out|Checking prices)/ });

describe('CartPage', () => {
  beforeEach(() => vi.mocked(redirectTo).mockReset());

  it('refreshes prices from the catalog and flags a changed one; the subtotal is the new price', async () => {
    stubFetch({
      'GET /api/products/p1': { body: product('p1', { unit_amount: 1400 }) },
      'GET /api/products/p2': { body: product('p2', { unit_amount: 500 }) },
    });
    renderCart([line('p1', 2), line('p2', 1, { unit_amount: 500 })]);
    expect(screen.getByRole('link', { name: 'Cart, 3 items' })).toBeInTheDocument();
    expect(await screen.findByText('Price changed from $12.00 to $14.00')).toBeInTheDocument();
    const first = screen.getAllByRole('listitem')[0]!;
    expect(within(first).getByText('$28.00')).toBeInTheDocument();
    expect(screen.getByText('$33.00')).toBeInTheDocument();
    expect(screen.getByText('Shipping and tax are calculated at checkout.')).toBeInTheDocument();
    await waitFor(() => expect(checkoutButton()).toHaveTextContent('Check out'));
    expect(checkoutButton()).toBeEnabled();
  });

  it('flags a sold-out line and a short one, and checks out once they are fixed', async () => {
    const fetch = stubFetch({
      'GET /api/products/p1': { body: product('p1', { stock: 2 }) },
      'GET /api/products/p2': { body: product('p2', { stock: 0 }) },
      'GET /api/products/p3': { status: 404, body: { error: { code: 'not_found', message: 'not found' } } },
      'POST /api/checkout': {
        status: 201,
        body: { order_id: 'o1', session_id: 'cs_1', checkout_url: 'http://sim.test/pay/cs_1', number: 1001 },
      },
    });
    const user = userEvent.setup();
    renderCart([line('p1', 3), line('p2', 1), line('p3', 1)]);
    expect(await screen.findByText('Only 2 left. You have 3 in your cart.')).toBeInTheDocument();
    expect(await screen.findByText('Sold out.')).toBeInTheDocument();
    expect(await screen.findByText('No longer for sale.')).toBeInTheDocument();
    expect(screen.getByText('2 items need your attention before checkout.')).toBeInTheDocument();
    expect(checkoutButton()).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Update quantity to 2' }));
    const quantity = screen.getByRole('spinbutton', { name: 'Quantity of Thing p1' });
    expect(quantity).toHaveValue(2);
    await waitFor(() => expect(quantity).toHaveFocus());
    expect(screen.getByRole('button', { name: 'One more Thing p1' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Remove Thing p2' }));
    await user.click(screen.getByRole('button', { name: 'Remove Thing p3' }));
    expect(screen.getByRole('link', { name: 'Cart, 2 items' })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Your cart' })).toHaveFocus());

    await user.click(screen.getByRole('button', { name: 'Check out' }));
    await waitFor(() => expect(redirectTo).toHaveBeenCalledWith('http://sim.test/pay/cs_1'));
    const post = fetch.mock.calls.find(([, init]) => init?.method === 'POST')!;
    expect(JSON.parse(String(post[1]!.body))).toEqual({ items: [{ product_id: 'p1', quantity: 2 }] });
    expect(JSON.parse(localStorage.getItem(CART_CHECKOUT_KEY)!)).toEqual({
      order_id: 'o1',
      items: [{ product_id: 'p1', quantity: 2 }],
    });
  });

  it('marks the lines a 409 names with their available units and offers to update them', async () => {
    let answer = 0;
    const fetch = stubFetch({
      'GET /api/products/p1': { body: product('p1') },
      'GET /api/products/p2': { body: product('p2') },
      'POST /api/checkout': () =>
        answer++ === 0
          ? {
              status: 409,
              body: {
                error: {
                  code: 'conflict',
                  message: 'not enough stock',
                  lines: [{ product_id: 'p2', available: 1, reason: 'stock' }],
                },
              },
            }
          : { status: 201, body: { order_id: 'o2', session_id: 'cs_2', checkout_url: 'http://sim.test/pay/cs_2' } },
    });
    const user = userEvent.setup();
    renderCart([line('p1', 1), line('p2', 4)]);
    await waitFor(() => expect(checkoutButton()).toHaveTextContent('Check out'));
    await user.click(checkoutButton());

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Some items are short');
    await waitFor(() => expect(alert).toHaveFocus());
    expect(screen.getByText('Only 1 left. You have 4 in your cart.')).toBeInTheDocument();
    expect(checkoutButton()).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Update quantity to 1' }));
    expect(getCart().find((l) => l.product_id === 'p2')!.quantity).toBe(1);
    await user.click(screen.getByRole('button', { name: 'Check out' }));
    await waitFor(() => expect(redirectTo).toHaveBeenCalledWith('http://sim.test/pay/cs_2'));
    const posts = fetch.mock.calls.filter(([, init]) => init?.method === 'POST');
    expect(JSON.parse(String(posts[1]![1]!.body)).items).toEqual([
      { product_id: 'p1', quantity: 1 },
      { product_id: 'p2', quantity: 1 },
    ]);
  });

  it('marks a product the checkout answers 404 for as no longer for sale', async () => {
    stubFetch({
      'GET /api/products/p1': { body: product('p1') },
      'POST /api/checkout': {
        status: 404,
        body: {
          error: {
            code: 'not_found',
            message: 'product not found',
            lines: [{ product_id: 'p1', available: 0, reason: 'unavailable' }],
          },
        },
      },
    });
    const user = userEvent.setup();
    renderCart([line('p1', 1)]);
    await waitFor(() => expect(checkoutButton()).toHaveTextContent('Check out'));
    await user.click(checkoutButton());
    expect(await screen.findByRole('alert')).toHaveTextContent('Some items are no longer for sale');
    expect(screen.getByText('No longer for sale.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Remove Thing p1' }));
    expect(screen.getByText(/Your cart is empty/)).toBeInTheDocument();
  });

  it('checks out one currency at a time', async () => {
    const fetch = stubFetch({
      'GET /api/products/p1': { body: product('p1') },
      'GET /api/products/p2': { body: product('p2', { currency: 'eur', unit_amount: 900 }) },
      'POST /api/checkout': {
        status: 201,
        body: { order_id: 'o3', session_id: 'cs_3', checkout_url: 'http://sim.test/pay/cs_3' },
      },
    });
    const user = userEvent.setup();
    renderCart([line('p1', 1), line('p2', 2, { currency: 'eur', unit_amount: 900 })]);
    expect(screen.getByText('Your cart holds more than one currency')).toBeInTheDocument();
    expect(screen.getAllByText('€18.00')).toHaveLength(2); // the line and the EUR subtotal
    const eur = await screen.findByRole('button', { name: 'Check out the EUR items' });
    await user.click(eur);
    await waitFor(() => expect(redirectTo).toHaveBeenCalled());
    const post = fetch.mock.calls.find(([, init]) => init?.method === 'POST')!;
    expect(JSON.parse(String(post[1]!.body))).toEqual({ items: [{ product_id: 'p2', quantity: 2 }] });
  });

  it('steps quantities within the product limit', async () => {
    stubFetch({ 'GET /api/products/p1': { body: product('p1', { stock: 50, max_per_order: 3 }) } });
    const user = userEvent.setup();
    renderCart([line('p1', 1)]);
    const more = screen.getByRole('button', { name: 'One more Thing p1' });
    await user.click(more);
    await waitFor(() => expect(screen.getByRole('button', { name: 'One more Thing p1' })).toBeEnabled());
    await user.click(screen.getByRole('button', { name: 'One more Thing p1' }));
    expect(screen.getByRole('link', { name: 'Cart, 3 items' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'One more Thing p1' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'One fewer Thing p1' }));
    expect(getCart()[0]!.quantity).toBe(2);
    const input = screen.getByRole('spinbutton', { name: 'Quantity of Thing p1' });
    await user.clear(input);
    await user.type(input, '5');
    expect(await screen.findByText('At most 3 per order. You have 5 in your cart.')).toBeInTheDocument();
  });

  it('still checks out when the catalog cannot be asked, and can ask again', async () => {
    let up = false;
    stubFetch({
      'GET /api/products/p1': () =>
        up ? { body: product('p1', { stock: 0 }) } : { status: 503, body: { error: { code: 'unavailable', message: 'down' } } },
    });
    const user = userEvent.setup();
    renderCart([line('p1', 1)]);
    expect(await screen.findByText(/Some prices could not be checked just now/)).toBeInTheDocument();
    expect(checkoutButton()).toBeEnabled();
    up = true;
    await user.click(screen.getByRole('button', { name: 'Check again' }));
    expect(await screen.findByText('Sold out.')).toBeInTheDocument();
    expect(checkoutButton()).toBeDisabled();
  });
});

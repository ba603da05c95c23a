import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import type { Product } from '../api';
import { getCart } from '../cart';
import ProductPage from '../pages/ProductPage';
import { stubFetch } from '../test/fetch';
import { productFixture } from '../test/fixtures';
import { CartLink } from './CartLink';

const mug = productFixture('p1', { name: 'Mug', unit_amount: 1250, stock: 3 });

function renderPage(product: Product = mug) {
  const fetch = stubFetch({ 'GET /api/products/p1': { body: product } });
  render(
    <MemoryRouter initialEntries={['/products/p1']}>
      <CartLink />
      <Routes>
        <Route path="/products/:id" element={<ProductPage />} />
      </Routes>
    </MemoryRouter>,
  );
  return fetch;
}

describe('AddToCart', () => {
  it('adds the chosen quantity to the cart and counts it in the header, asking the server nothing', async () => {
    const fetch = renderPage();
    const user = userEvent.setup();
    const quantity = await screen.findByLabelText('Quantity');
    expect(screen.getByRole('link', { name: 'Cart, 0 items' })).toBeInTheDocument();
    await user.clear(quantity);
    await user.type(quantity, '2');
    await user.click(screen.getByRole('button', { name: 'Add to cart' }));
    expect(screen.getByRole('status')).toHaveTextContent('Added 2 to your cart.');
    expect(screen.getByRole('link', { name: 'View cart (2 items)' })).toHaveAttribute('href', '/cart');
    expect(screen.getByRole('link', { name: 'Cart, 2 items' })).toBeInTheDocument();
    expect(getCart()).toMatchObject([{ product_id: 'p1', quantity: 2, unit_amount: 1250, name: 'Mug' }]);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('keeps the cart within the stock, counting what it already holds', async () => {
    renderPage();
    const user = userEvent.setup();
    const quantity = await screen.findByLabelText('Quantity');
    await user.clear(quantity);
    await user.type(quantity, '2');
    await user.click(screen.getByRole('button', { name: 'Add to cart' }));
    await user.click(screen.getByRole('button', { name: 'Add to cart' }));
    expect(screen.getByText('Only 3 left and your cart holds 2: add 1 or fewer.')).toBeInTheDocument();
    expect(quantity).toHaveFocus();
    expect(quantity).toHaveAttribute('aria-invalid', 'true');
    expect(getCart()[0]!.quantity).toBe(2);
  });

  it('keeps to the product’s most per order', async () => {
    renderPage({ ...mug, stock: null, max_per_order: 2 });
    const user = userEvent.setup();
    const quantity = await screen.findByLabelText('Quantity');
    await user.clear(quantity);
    await user.type(quantity, '3');
    await user.click(screen.getByRole('button', { name: 'Add to cart' }));
    expect(screen.getByText('You can buy at most 2 at once: choose 2 or fewer.')).toBeInTheDocument();
    expect(getCart()).toEqual([]);
  });

  it('is not offered for a sold-out product', async () => {
    renderPage({ ...mug, stock: 0 });
    await screen.findByRole('button', { name: 'Sold out' });
    expect(screen.queryByRole('button', { name: 'Add to cart' })).toBeNull();
  });
});

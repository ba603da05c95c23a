import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, MemoryRouter, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it } from 'vitest';
import type { Product } from '../api';
import { resetShop } from '../shop';
import { stubFetch } from '../test/fetch';
import Storefront from './Storefront';

const base = {
  description: '',
  currency: 'usd',
  image_url: '',
  active: true,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

afterEach(() => resetShop());

/** n products, newest first: "Product 1" is the newest; every tenth is a mug. */
function catalog(n: number): Product[] {
  return Array.from({ length: n }, (_, i) => ({
    ...base,
    id: `p${i + 1}`,
    name: `Product ${i + 1}`,
    description: i % 10 === 0 ? 'An enamel mug.' : 'Something else.',
    unit_amount: 100 + ((i * 37) % 1000),
    stock: null,
  }));
}

function renderAt(path = '/') {
  const router = createMemoryRouter([{ path: '/', element: <Storefront /> }], { initialEntries: [path] });
  render(<RouterProvider router={router} />);
  return router;
}

const grid = () => document.querySelector('.product-grid');
const cardNames = () => [...document.querySelectorAll('.product-card__name')].map((e) => e.textContent);

describe('Storefront', () => {
  it('lists products with prices and marks sold-out and low-stock ones', async () => {
    stubFetch({
      'GET /api/shop': { body: { name: 'stripeshop', tagline: '' } },
      'GET /api/products': {
        body: {
          products: [
            { ...base, id: 'a', name: 'Mug', unit_amount: 1250, stock: null },
            { ...base, id: 'b', name: 'Poster', unit_amount: 800, currency: 'eur', stock: 0 },
            { ...base, id: 'c', name: 'Tea', unit_amount: 500, currency: 'jpy', stock: 4 },
            { ...base, id: 'd', name: 'Pen', unit_amount: 300, stock: 6 },
          ],
        },
      },
    });
    render(
      <MemoryRouter>
        <Storefront />
      </MemoryRouter>,
    );
    expect(screen.getByRole('status')).toHaveTextContent(/loading/i);
    await screen.findByText('Mug');
    await screen.findByRole('heading', { level: 1 });
    const links = screen.getAllByRole('link');
    expect(links.map((l) => l.getAttribute('href'))).toEqual(['/products/a', '/products/b', '/products/c', '/products/d']);
    expect(links[0]).toHaveTextContent('Mug$12.50');
    expect(links[1]).toHaveTextContent('Sold out');
    expect(links[2]).toHaveTextContent('¥500');
    expect(links[2]).toHaveTextContent('Only 4 left');
    // Unlimited stock, and plenty, say nothing.
    expect(links[0]).not.toHaveTextContent(/left|sold out/i);
    expect(links[3]).not.toHaveTextContent(/left|sold out/i);
    expect(screen.getAllByText('Sold out')).toHaveLength(1);
    // One page: no page links.
    expect(screen.queryByRole('navigation', { name: 'Pages' })).toBeNull();
  });

  it('has an empty state', async () => {
    stubFetch({ 'GET /api/shop': { body: { name: 'stripeshop', tagline: '' } }, 'GET /api/products': { body: { products: [] } } });
    render(
      <MemoryRouter>
        <Storefront />
      </MemoryRouter>,
    );
    expect(await screen.findByText(/nothing for sale yet/i)).toBeInTheDocument();
  });

  it('is headed by the shop’s name and tagline, which the title names too', async () => {
    stubFetch({
      'GET /api/shop': { body: { name: 'Kettle & Co', tagline: 'Tea, slowly.' } },
      'GET /api/products': { body: { products: catalog(2) } },
    });
    renderAt();
    expect(await screen.findByRole('heading', { level: 1, name: 'Kettle & Co' })).toBeInTheDocument();
    expect(screen.getByText('Tea, slowly.')).toBeInTheDocument();
    await waitFor(() => expect(document.title).toBe('Kettle & Co'));
  });

  it('renders one page of 24 cards out of 1,000 products, with numbered pages in the URL', async () => {
    stubFetch({ 'GET /api/shop': { body: { name: 'stripeshop', tagline: '' } }, 'GET /api/products': { body: { products: catalog(1000) } } });
    const user = userEvent.setup();
    const router = renderAt();
    await screen.findByText('Product 1');
    await screen.findByRole('heading', { level: 1 });
    // Only one page of cards is in the DOM, whatever the catalog's size.
    expect(grid()!.children).toHaveLength(24);
    expect(cardNames()[23]).toBe('Product 24');
    expect(screen.getByText('1–24 of 1,000 products')).toBeInTheDocument();
    const pages = screen.getByRole('navigation', { name: 'Pages' });
    expect(within(pages).getByRole('link', { name: 'Page 1' })).toHaveAttribute('aria-current', 'page');
    expect(within(pages).getByRole('link', { name: 'Page 42' })).toBeInTheDocument();

    await user.click(within(pages).getByRole('link', { name: 'Next page' }));
    await screen.findByText('Product 25');
    expect(router.state.location.search).toBe('?page=2');
    expect(grid()!.children).toHaveLength(24);
    expect(screen.getByText('25–48 of 1,000 products')).toBeInTheDocument();
    // The new page starts at its top, for the keyboard too.
    expect(screen.getByRole('heading', { name: 'Products' })).toHaveFocus();

    await user.click(screen.getByRole('link', { name: 'Page 42' }));
    await screen.findByText('Product 1000');
    expect(grid()!.children).toHaveLength(16);
    expect(screen.getByRole('link', { name: 'Page 42' })).toHaveAttribute('aria-current', 'page');

    // Back returns to the page before.
    await act(() => router.navigate(-1));
    await screen.findByText('Product 25');
  });

  it('searches as the customer types (debounced, in the URL), with a message when nothing matches', async () => {
    const fetch = stubFetch({
      'GET /api/shop': { body: { name: 'stripeshop', tagline: '' } },
      'GET /api/products': { body: { products: catalog(1000) } },
    });
    const user = userEvent.setup();
    const router = renderAt('/?page=3');
    await screen.findByText('Product 49');
    await screen.findByRole('heading', { level: 1 });
    const box = screen.getByRole('searchbox', { name: 'Search' });
    await user.type(box, 'enamel mug');
    await waitFor(() => expect(router.state.location.search).toBe('?q=enamel+mug'));
    // 100 mugs: the first page of them, from page 1; the typing goes on in the box.
    expect(await screen.findByText('100 products match “enamel mug”, 1–24 shown')).toBeInTheDocument();
    expect(box).toHaveFocus();
    expect(cardNames().slice(0, 3)).toEqual(['Product 1', 'Product 11', 'Product 21']);
    // The catalog was fetched once: searching is done over it, not by asking again.
    expect(fetch.mock.calls.filter(([u]) => String(u) === '/api/products')).toHaveLength(1);

    await user.clear(screen.getByRole('searchbox', { name: 'Search' }));
    await user.type(screen.getByRole('searchbox', { name: 'Search' }), 'kettle');
    await waitFor(() => expect(router.state.location.search).toBe('?q=kettle'));
    expect(screen.getByRole('status')).toHaveTextContent('No products match “kettle”.');
    expect(grid()).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Clear search' }));
    await screen.findByText('Product 1');
    await waitFor(() => expect(router.state.location.search).toBe(''));

    // Back goes to the search, and the box follows.
    await act(() => router.navigate(-1));
    await waitFor(() => expect(screen.getByRole('searchbox', { name: 'Search' })).toHaveValue('kettle'));
    expect(screen.getByRole('status')).toHaveTextContent('No products match “kettle”.');
  });

  it('sorts by price either way and by name, back to page 1', async () => {
    stubFetch({
      'GET /api/shop': { body: { name: 'stripeshop', tagline: '' } },
      'GET /api/products': {
        body: {
          products: [
            { ...base, id: 'a', name: 'Bowl', unit_amount: 1250, stock: null },
            { ...base, id: 'b', name: 'Cup', unit_amount: 800, stock: null },
            { ...base, id: 'c', name: 'Apron', unit_amount: 2000, stock: null },
          ],
        },
      },
    });
    const user = userEvent.setup();
    const router = renderAt();
    await screen.findByText('Bowl');
    await screen.findByRole('heading', { level: 1 });
    expect(cardNames()).toEqual(['Bowl', 'Cup', 'Apron']);
    const sortBy = screen.getByRole('combobox', { name: 'Sort by' });
    await user.selectOptions(sortBy, 'Price: low to high');
    expect(cardNames()).toEqual(['Cup', 'Bowl', 'Apron']);
    expect(router.state.location.search).toBe('?sort=price-asc');
    await user.selectOptions(sortBy, 'Price: high to low');
    expect(cardNames()).toEqual(['Apron', 'Bowl', 'Cup']);
    await user.selectOptions(sortBy, 'Name');
    expect(cardNames()).toEqual(['Apron', 'Bowl', 'Cup']);
    await user.selectOptions(sortBy, 'Newest');
    expect(router.state.location.search).toBe('');
  });
});

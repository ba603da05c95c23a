import { render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, expect, it } from 'vitest';
import { resetShop } from '../shop';
import { deferred, stubFetch, type Reply } from '../test/fetch';
import { ShopBrand } from './ShopBrand';

afterEach(() => resetShop());

it('links home under the shop’s name, and never flashes another name first', async () => {
  const answer = deferred<Reply>();
  stubFetch({ 'GET /api/shop': () => answer.promise });
  render(
    <MemoryRouter>
      <ShopBrand />
    </MemoryRouter>,
  );
  expect(screen.getByRole('link', { name: 'Home' })).toHaveAttribute('href', '/');
  expect(screen.queryByText('stripeshop')).toBeNull();
  answer.resolve({ body: { name: 'Kettle & Co', tagline: '' } });
  expect(await screen.findByRole('link', { name: 'Kettle & Co' })).toHaveAttribute('href', '/');
});

it('falls back to the default name when the shop cannot be asked', async () => {
  stubFetch({ 'GET /api/shop': { status: 503, body: { error: { code: 'unavailable', message: 'down' } } } });
  render(
    <MemoryRouter>
      <ShopBrand />
    </MemoryRouter>,
  );
  expect(await screen.findByRole('link', { name: 'stripeshop' })).toBeInTheDocument();
});

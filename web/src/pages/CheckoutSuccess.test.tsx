import { act, render, screen } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { stubFetch } from '../test/fetch';
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
});

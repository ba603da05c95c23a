import { render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';
import { stubFetch } from '../../test/fetch';
import Dashboard from './Dashboard';
import { legendDate, legendRevenue } from './chartLegend';

// uPlot needs a canvas jsdom lacks; the legend's wording is tested below.
vi.mock('./RevenueChart', () => ({ default: () => <p>chart</p> }));

describe('Dashboard', () => {
  it('names its counts so they agree: paid orders in the period, all orders by status', async () => {
    stubFetch({
      'GET /api/admin/stats': {
        body: {
          days: [{ date: '2026-01-02', orders: 2, revenue: { usd: 2500 } }],
          by_status: { pending: 1, processing: 0, paid: 2, failed: 0, expired: 3, refunded: 0 },
        },
      },
    });
    render(<MemoryRouter><Dashboard /></MemoryRouter>);
    expect(await screen.findByText('Orders paid, last 30 days')).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'All orders by status' })).toBeInTheDocument();
    expect(screen.getByText(/paid or not/)).toBeInTheDocument();
    // Partial refunds keep an order paid; the revenue the server sends is net of them.
    expect(screen.getByText('Revenue (USD), last 30 days').parentElement).toHaveTextContent('$25.00Net of refunds.');
  });
});

describe('the revenue chart legend', () => {
  it('shows the span and its total away from the cursor, the day under it', () => {
    expect(legendDate(null, 30)).toBe('Last 30 days');
    expect(legendRevenue(null, 123_456, 'usd')).toBe('$1,234.56 in total');
    expect(legendDate(Date.UTC(2026, 0, 2) / 1000, 30)).toBe('2026-01-02');
    expect(legendRevenue(2500, 123_456, 'usd')).toBe('$25.00');
  });
});

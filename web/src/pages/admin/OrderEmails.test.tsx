import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, describe, expect, it } from 'vitest';
import { setCsrfToken } from '../../api';
import { stubFetch } from '../../test/fetch';
import Jobs from './Jobs';
import OrderDetail from './OrderDetail';

const email = {
  id: 7,
  order_id: 'o1',
  kind: 'order_confirmation',
  recipient: 'a@example.com',
  status: 'failed',
  attempts: 12,
  last_error: 'dial tcp 10.0.0.1:587: connection refused',
  message_id: 'order-o1-order_confirmation@shop.test',
  created_at: '2026-01-01T00:01:00Z',
  updated_at: '2026-01-01T02:31:00Z',
  sent_at: null,
};

const order = {
  id: 'o1',
  number: 1042,
  status: 'paid',
  product_id: 'p1',
  product_name: 'Mug',
  quantity: 2,
  amount_total: 2500,
  currency: 'usd',
  customer_email: 'a@example.com',
  session_id: 'cs_1',
  created_at: '2026-01-01T00:00:00Z',
  paid_at: '2026-01-01T00:01:00Z',
  events: [],
  emails: [email],
  email_failed: true,
  dispute: null,
};

describe('OrderEmails', () => {
  afterEach(() => setCsrfToken(null));

  it('shows a failed e-mail with its error and resends it', async () => {
    setCsrfToken('tok');
    let current = { ...order };
    const fetch = stubFetch({
      'GET /api/admin/orders/o1': () => ({ body: current }),
      'POST /api/admin/orders/o1/emails/7/resend': () => {
        current = { ...current, email_failed: false, emails: [{ ...email, status: 'queued', attempts: 0 }] };
        return { status: 202, body: current.emails[0] };
      },
    });
    const user = userEvent.setup();
    render(
      <MemoryRouter initialEntries={['/admin/orders/o1']}>
        <Routes>
          <Route path="/admin/orders/:id" element={<OrderDetail />} />
        </Routes>
      </MemoryRouter>,
    );
    expect(await screen.findByRole('heading', { name: 'E-mails' })).toBeInTheDocument();
    expect(screen.getByText('E-mail failed')).toBeInTheDocument();
    expect(screen.getByText('Order confirmation')).toBeInTheDocument();
    expect(screen.getByText('dial tcp 10.0.0.1:587: connection refused')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Resend' }));
    expect(await screen.findByText('Order confirmation is queued again.')).toBeInTheDocument();
    const resend = fetch.mock.calls.find(([u]) => String(u).endsWith('/resend'))!;
    expect((resend[1]!.headers as Record<string, string>)['X-CSRF-Token']).toBe('tok');
    expect(await screen.findByText('Queued')).toBeInTheDocument();
    expect(screen.queryByText('E-mail failed')).toBeNull();
  });

  it('titles a disputed order as disputed', async () => {
    stubFetch({
      'GET /api/admin/orders/o1': {
        body: {
          ...order,
          flagged: true,
          flag_reason: 'disputed (fraudulent): 2500 usd',
          dispute: { reason: 'fraudulent', amount: 2500 },
        },
      },
    });
    render(
      <MemoryRouter initialEntries={['/admin/orders/o1']}>
        <Routes>
          <Route path="/admin/orders/:id" element={<OrderDetail />} />
        </Routes>
      </MemoryRouter>,
    );
    expect(await screen.findByText('Disputed: respond in Stripe')).toBeInTheDocument();
  });
});

describe('Jobs', () => {
  it('lists the queue with counts and links e-mail jobs to their order', async () => {
    stubFetch({
      'GET /api/admin/jobs': {
        body: {
          counts: { available: 0, running: 1, retryable: 2, completed: 5 },
          jobs: [
            {
              id: 3,
              kind: 'send_email',
              state: 'retryable',
              attempt: 2,
              max_attempts: 12,
              args: { order_id: 'o1', kind: 'order_confirmation', email_id: 7 },
              last_error: '421 try again later',
              created_at: '2026-01-01T00:00:00Z',
              scheduled_at: '2026-01-01T00:01:00Z',
              finalized_at: null,
            },
          ],
        },
      },
    });
    render(
      <MemoryRouter initialEntries={['/admin/jobs']}>
        <Routes>
          <Route path="/admin/jobs" element={<Jobs />} />
        </Routes>
      </MemoryRouter>,
    );
    expect(await screen.findByText('421 try again later')).toBeInTheDocument();
    expect(screen.getByText('2 / 12')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Order' })).toHaveAttribute('href', '/admin/orders/o1');
    expect(screen.getByRole('option', { name: 'retryable (2)' })).toBeInTheDocument();
  });
});

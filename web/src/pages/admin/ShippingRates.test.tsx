import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setCsrfToken } from '../../api';
import { headersOf, stubFetch } from '../../test/fetch';
import ShippingRates, { deliveryEstimate } from './ShippingRates';

const standard = { id: 'shr_1', name: 'Standard', amount: 500, currency: 'usd', min_days: 3, max_days: 5, active: true };
const pickup = { id: 'shr_2', name: 'Pickup', amount: 0, currency: 'usd', min_days: null, max_days: null, active: false };

function renderPage() {
  render(
    <MemoryRouter>
      <ShippingRates />
    </MemoryRouter>,
  );
}

function bodyOf(fetch: ReturnType<typeof stubFetch>, method: string) {
  const call = fetch.mock.calls.filter(([, init]) => init?.method === method).at(-1)!;
  return JSON.parse(String(call[1]!.body));
}

describe('ShippingRates', () => {
  beforeEach(() => setCsrfToken('tok'));
  afterEach(() => setCsrfToken(null));

  it('lists the rates with their amount, delivery estimate and status', async () => {
    stubFetch({ 'GET /api/admin/shipping-rates': { body: { shipping_rates: [standard, pickup] } } });
    renderPage();
    const table = await screen.findByRole('table');
    const rows = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((r) => [...r.children].slice(0, 4).map((c) => c.textContent));
    expect(rows).toEqual([
      ['Standard', '$5.00', '3–5 business days', 'Active'],
      ['Pickup', 'Free (USD)', '—', 'Archived'],
    ]);
    expect(deliveryEstimate({ min_days: 1, max_days: 1 })).toBe('1 business day');
  });

  it('creates a rate from an amount typed as money, and shows the server’s field errors beside the fields', async () => {
    let attempt = 0;
    const fetch = stubFetch({
      'GET /api/admin/shipping-rates': { body: { shipping_rates: [] } },
      'POST /api/admin/shipping-rates': ({ body }) =>
        attempt++ === 0
          ? { status: 400, body: { error: { code: 'invalid', message: 'invalid', fields: { name: 'is taken' } } } }
          : { status: 201, body: { id: 'shr_9', ...(body as object) } },
    });
    const user = userEvent.setup();
    renderPage();
    await screen.findByText('No shipping rates yet.');
    await user.click(screen.getByRole('button', { name: 'New shipping rate' }));
    const form = screen.getByRole('form', { name: 'New shipping rate' });

    await user.click(within(form).getByRole('button', { name: 'Create shipping rate' }));
    expect(within(form).getByLabelText('Name')).toHaveFocus();
    expect(within(form).getByText('Enter an amount (0 for free shipping).')).toBeInTheDocument();

    await user.type(within(form).getByLabelText('Name'), 'Express');
    await user.type(within(form).getByLabelText('Amount'), '12,5');
    await user.type(within(form).getByLabelText('Delivery from (days)'), '3');
    await user.type(within(form).getByLabelText('Delivery to (days)'), '2');
    await user.click(within(form).getByRole('button', { name: 'Create shipping rate' }));
    expect(within(form).getByText('Must be at least the “from” days.')).toBeInTheDocument();
    await user.clear(within(form).getByLabelText('Delivery to (days)'));
    await user.type(within(form).getByLabelText('Delivery to (days)'), '5');

    await user.click(within(form).getByRole('button', { name: 'Create shipping rate' }));
    expect(await within(form).findByText('Name is taken')).toBeInTheDocument();
    expect(within(form).getByLabelText('Name')).toHaveAttribute('aria-invalid', 'true');

    await user.click(within(form).getByRole('button', { name: 'Create shipping rate' }));
    expect(await screen.findByText('“Express” is created.')).toBeInTheDocument();
    expect(bodyOf(fetch, 'POST')).toEqual({
      name: 'Express',
      amount: 1250,
      currency: 'usd',
      min_days: 3,
      max_days: 5,
      active: true,
    });
    expect(headersOf(fetch, fetch.mock.calls.length - 1)['X-CSRF-Token']).toBe('tok');
    expect(within(screen.getByRole('table')).getByText('$12.50')).toBeInTheDocument();
  });

  it('edits only what changed, and archives and activates', async () => {
    const fetch = stubFetch({
      'GET /api/admin/shipping-rates': { body: { shipping_rates: [standard, pickup] } },
      'PATCH /api/admin/shipping-rates/shr_1': ({ body }) => ({ body: { ...standard, ...(body as object) } }),
      'PATCH /api/admin/shipping-rates/shr_2': ({ body }) => ({ body: { ...pickup, ...(body as object) } }),
    });
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByRole('button', { name: 'Edit Standard' }));
    const form = screen.getByRole('form', { name: 'Edit “Standard”' });
    expect(within(form).getByLabelText('Amount')).toHaveValue('5.00');
    await user.clear(within(form).getByLabelText('Amount'));
    await user.type(within(form).getByLabelText('Amount'), '6');
    await user.click(within(form).getByRole('button', { name: 'Save changes' }));
    expect(await screen.findByText('“Standard” is saved.')).toBeInTheDocument();
    expect(bodyOf(fetch, 'PATCH')).toEqual({ amount: 600 });

    await user.click(screen.getByRole('button', { name: 'Archive Standard' }));
    await waitFor(() => expect(bodyOf(fetch, 'PATCH')).toEqual({ active: false }));
    expect(await screen.findByRole('button', { name: 'Activate Standard' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Activate Pickup' }));
    expect(await screen.findByText('“Pickup” is offered at checkout again.')).toBeInTheDocument();
    expect(bodyOf(fetch, 'PATCH')).toEqual({ active: true });
  });
});

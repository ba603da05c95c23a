import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import { getCsrfToken, type AdminSession } from '../../api';
import { stubFetch } from '../../test/fetch';
import Login from './Login';
import { SessionContext } from './session';

function Harness() {
  const [session, setSession] = useState<AdminSession | null | undefined>(null);
  return (
    <SessionContext.Provider value={{ session, setSession }}>
      <MemoryRouter initialEntries={['/admin/login?next=%2Fadmin%2Forders']}>
        <Routes>
          <Route path="/admin/login" element={<Login />} />
          <Route path="/admin/orders" element={<h1>Orders page</h1>} />
        </Routes>
      </MemoryRouter>
    </SessionContext.Provider>
  );
}

async function fillAndSubmit(email = 'admin@example.com', password = 'a long password') {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText('Email'), email);
  await user.type(screen.getByLabelText('Password'), password);
  await user.click(screen.getByRole('button', { name: 'Log in' }));
}

describe('Login', () => {
  it('says so when the email or password is wrong', async () => {
    stubFetch({
      'POST /api/admin/login': { status: 401, body: { error: { code: 'unauthorized', message: 'invalid credentials' } } },
    });
    render(<Harness />);
    await fillAndSubmit();
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Wrong email or password.');
    await waitFor(() => expect(alert).toHaveFocus());
    expect(screen.getByLabelText('Password')).toHaveValue('');
  });

  it('tells how long to wait when rate limited, from Retry-After', async () => {
    stubFetch({
      'POST /api/admin/login': {
        status: 429,
        headers: { 'Retry-After': '90' },
        body: { error: { code: 'rate_limited', message: 'too many login attempts' } },
      },
    });
    render(<Harness />);
    await fillAndSubmit();
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Too many login attempts. Try again in 2 minutes.',
    );
  });

  it('uses seconds for a short wait', async () => {
    stubFetch({
      'POST /api/admin/login': { status: 429, headers: { 'Retry-After': '30' }, body: { error: { code: 'rate_limited', message: 'slow down' } } },
    });
    render(<Harness />);
    await fillAndSubmit();
    expect(await screen.findByRole('alert')).toHaveTextContent('Try again in 30 seconds.');
  });

  it('marks empty fields and focuses the first one without calling the server', async () => {
    const fetch = stubFetch({});
    const user = userEvent.setup();
    render(<Harness />);
    await user.click(screen.getByRole('button', { name: 'Log in' }));
    const email = screen.getByLabelText('Email');
    expect(email).toHaveAccessibleDescription('Enter your email address.');
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('Enter your password.');
    expect(email).toHaveFocus();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('shows the server’s field errors beside the fields', async () => {
    stubFetch({
      'POST /api/admin/login': {
        status: 400,
        body: { error: { code: 'invalid', message: 'invalid login', fields: { email: 'is required', password: 'Too short.' } } },
      },
    });
    render(<Harness />);
    await fillAndSubmit('not-an-email');
    const email = screen.getByLabelText('Email');
    await waitFor(() => expect(email).toHaveAccessibleDescription('Email is required'));
    expect(email).toHaveFocus();
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('Too short.');
  });

  it('logs in, keeps the CSRF token and goes where it was sent from', async () => {
    stubFetch({ 'POST /api/admin/login': { body: { email: 'admin@example.com', csrf_token: 'tok-9' } } });
    render(<Harness />);
    await fillAndSubmit();
    expect(await screen.findByRole('heading', { name: 'Orders page' })).toBeInTheDocument();
    expect(getCsrfToken()).toBe('tok-9');
  });
});

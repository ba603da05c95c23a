import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import { getCsrfToken, setCsrfToken, type AdminSession } from '../../api';
import { headersOf, stubFetch } from '../../test/fetch';
import Account from './Account';
import { SessionContext } from './session';

function Harness() {
  const [session, setSession] = useState<AdminSession | null | undefined>({
    email: 'admin@example.com',
    csrf_token: 'tok',
  });
  return (
    <SessionContext.Provider value={{ session, setSession }}>
      <MemoryRouter initialEntries={['/admin/account']}>
        <Routes>
          <Route path="/admin/account" element={<Account />} />
          <Route
            path="/admin/login"
            element={<h1>Login page{session === null ? ' (signed out)' : ''}</h1>}
          />
        </Routes>
      </MemoryRouter>
    </SessionContext.Provider>
  );
}

function renderAccount() {
  setCsrfToken('tok');
  render(<Harness />);
  return within(screen.getByRole('form', { name: 'Change password' }));
}

async function fill(form: ReturnType<typeof renderAccount>, current: string, next: string, repeat = next) {
  const user = userEvent.setup();
  if (current) await user.type(form.getByLabelText('Current password'), current);
  if (next) await user.type(form.getByLabelText('New password'), next);
  if (repeat) await user.type(form.getByLabelText('Repeat the new password'), repeat);
  await user.click(form.getByRole('button', { name: 'Change password' }));
}

describe('Account: change password', () => {
  it('sends both passwords with the CSRF token and says it worked', async () => {
    const fetch = stubFetch({ 'POST /api/admin/password': { status: 204 } });
    const form = renderAccount();
    await fill(form, 'the old password', 'a brand new passphrase');
    expect(await screen.findByRole('status')).toHaveTextContent('Your password has been changed.');
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(JSON.parse(String(fetch.mock.calls[0]![1]!.body))).toEqual({
      current_password: 'the old password',
      new_password: 'a brand new passphrase',
    });
    expect(headersOf(fetch, 0)['X-CSRF-Token']).toBe('tok');
    expect(form.getByLabelText('Current password')).toHaveValue('');
  });

  it("shows the server's field errors beside the fields", async () => {
    stubFetch({
      'POST /api/admin/password': {
        status: 400,
        body: {
          error: {
            code: 'invalid',
            message: 'current_password is not your current password',
            fields: { current_password: 'is not your current password' },
          },
        },
      },
    });
    const form = renderAccount();
    await fill(form, 'a wrong password', 'a brand new passphrase');
    const current = form.getByLabelText('Current password');
    await waitFor(() =>
      expect(current).toHaveAccessibleDescription('Current password is not your current password'),
    );
    expect(current).toHaveAttribute('aria-invalid', 'true');
    expect(current).toHaveFocus();
  });

  it('shows a new-password rule the server names', async () => {
    stubFetch({
      'POST /api/admin/password': {
        status: 400,
        body: {
          error: {
            code: 'invalid',
            message: 'new_password must be at least 12 characters',
            fields: { new_password: 'must be at least 12 characters' },
          },
        },
      },
    });
    const form = renderAccount();
    await fill(form, 'the old password', 'short');
    await waitFor(() =>
      expect(form.getByLabelText('New password')).toHaveAccessibleDescription(
        'At least 12 characters. New password must be at least 12 characters',
      ),
    );
  });

  it('catches a mistyped repeat without asking the server', async () => {
    const fetch = stubFetch({});
    const form = renderAccount();
    await fill(form, 'the old password', 'a brand new passphrase', 'a brand new passphrasf');
    expect(form.getByLabelText('Repeat the new password')).toHaveAccessibleDescription(
      'The two new passwords differ.',
    );
    expect(fetch).not.toHaveBeenCalled();
  });

  it('tells how long to wait after too many wrong current passwords', async () => {
    stubFetch({
      'POST /api/admin/password': {
        status: 429,
        headers: { 'Retry-After': '60' },
        body: { error: { code: 'rate_limited', message: 'too many login attempts' } },
      },
    });
    const form = renderAccount();
    await fill(form, 'a wrong password', 'a brand new passphrase');
    expect(await screen.findByRole('alert')).toHaveTextContent('Try again in 1 minute.');
  });
});

describe('Account: sign out everywhere', () => {
  it('ends every session and goes to the login page', async () => {
    const fetch = stubFetch({ 'POST /api/admin/logout-everywhere': { status: 204 } });
    renderAccount();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Sign out everywhere' }));
    expect(await screen.findByRole('heading', { name: 'Login page (signed out)' })).toBeInTheDocument();
    expect(headersOf(fetch, 0)['X-CSRF-Token']).toBe('tok');
    expect(getCsrfToken()).toBeNull();
  });

  it('stays and says so when the server cannot be reached', async () => {
    stubFetch({
      'POST /api/admin/logout-everywhere': {
        status: 503,
        body: { error: { code: 'unavailable', message: 'database down' } },
      },
    });
    renderAccount();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Sign out everywhere' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('temporarily unavailable');
    expect(screen.getByRole('heading', { name: 'Account' })).toBeInTheDocument();
  });
});

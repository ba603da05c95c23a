import { render, screen } from '@testing-library/react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { beforeEach, describe, expect, it } from 'vitest';
import { adminLogin } from '../../api';
import { stubFetch } from '../../test/fetch';
import AdminApp from './AdminApp';

function Where() {
  const loc = useLocation();
  return <output data-testid="where">{loc.pathname + loc.search}</output>;
}

function renderAt(path: string) {
  render(
    <MemoryRouter initialEntries={[path]}>
      <Routes>
        <Route path="/admin/*" element={<AdminApp />} />
      </Routes>
      <Where />
    </MemoryRouter>,
  );
}

const unauthorized = { status: 401, body: { error: { code: 'unauthorized', message: 'sign in' } } };

describe('AdminApp', () => {
  // A browser that has logged in before (the hint the api module keeps).
  beforeEach(() => localStorage.setItem('stripeshop.admin', '1'));

  it('does not ask /me (a 401 in the console) in a browser that never logged in; after a login it does', async () => {
    localStorage.clear();
    const fetch = stubFetch({
      'POST /api/admin/login': { body: { email: 'admin@example.com', csrf_token: 't' } },
      'GET /api/admin/me': { body: { email: 'admin@example.com', csrf_token: 't' } },
    });
    renderAt('/admin');
    expect(await screen.findByRole('heading', { name: 'Admin log in' })).toBeInTheDocument();
    expect(fetch).not.toHaveBeenCalled();
    await adminLogin('admin@example.com', 'pw');
    expect(localStorage.getItem('stripeshop.admin')).toBe('1');
  });

  it('sends a visitor with no session to the login page, remembering where they were going', async () => {
    stubFetch({ 'GET /api/admin/me': unauthorized });
    renderAt('/admin/orders?status=paid');
    expect(await screen.findByRole('heading', { name: 'Admin log in' })).toBeInTheDocument();
    // The session it remembered has ended: the next visit does not ask again.
    expect(localStorage.getItem('stripeshop.admin')).toBeNull();
    expect(screen.getByTestId('where')).toHaveTextContent('/admin/login?next=%2Fadmin%2Forders%3Fstatus%3Dpaid');
  });

  it('goes back to the login page when the session ends mid-visit (401 on an admin call)', async () => {
    stubFetch({
      'GET /api/admin/me': { body: { email: 'admin@example.com', csrf_token: 't' } },
      'GET /api/admin/products': unauthorized,
    });
    renderAt('/admin/products');
    expect(await screen.findByRole('heading', { name: 'Admin log in' })).toBeInTheDocument();
    expect(screen.getByTestId('where')).toHaveTextContent('/admin/login?next=%2Fadmin%2Fproducts');
  });

  it('has an account page, linked from the header, to change the password and sign out everywhere', async () => {
    stubFetch({ 'GET /api/admin/me': { body: { email: 'admin@example.com', csrf_token: 't' } } });
    renderAt('/admin/account');
    expect(await screen.findByRole('heading', { level: 1, name: 'Account' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Account' })).toHaveAttribute('href', '/admin/account');
    expect(screen.getByRole('form', { name: 'Change password' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Sign out everywhere' })).toBeInTheDocument();
  });
});

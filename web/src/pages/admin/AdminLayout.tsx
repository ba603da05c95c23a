import { useState } from 'react';
import { Link, NavLink, Outlet, useNavigate } from 'react-router';
import { adminLogout } from '../../api';
import { useSession } from './session';

export function AdminLayout() {
  const { session, setSession } = useSession();
  const navigate = useNavigate();
  const [leaving, setLeaving] = useState(false);

  async function logout() {
    setLeaving(true);
    try {
      await adminLogout();
    } catch {
      // The session is gone from memory either way; the server's expires on its own.
    }
    setSession(null);
    navigate('/admin/login', { replace: true });
  }

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header site-header--admin">
        <div className="container site-header__inner">
          <Link to="/admin" className="brand">
            stripeshop <span className="brand__tag">admin</span>
          </Link>
          <nav aria-label="Admin" className="admin-nav">
            <NavLink to="/admin" end>
              Dashboard
            </NavLink>
            <NavLink to="/admin/products">Products</NavLink>
            <NavLink to="/admin/orders">Orders</NavLink>
            <NavLink to="/admin/shipping-rates">Shipping</NavLink>
            <NavLink to="/admin/events">Webhook events</NavLink>
            <NavLink to="/admin/jobs">Queue</NavLink>
          </nav>
          <div className="admin-user">
            <span className="admin-user__email">{session?.email}</span>
            <NavLink to="/admin/account" className="admin-user__account">
              Account
            </NavLink>
            <button type="button" className="button button--small" onClick={logout} disabled={leaving}>
              Log out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="container admin-main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}

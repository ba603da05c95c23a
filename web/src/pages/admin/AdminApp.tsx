import { useEffect, useMemo, useState } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { adminMe, ApiError, mayHaveAdminSession, setUnauthorizedHandler, type AdminSession } from '../../api';
import { Alert, Loading } from '../../components/Alert';
import { describeError } from '../../errors';
import Account from './Account';
import { AdminLayout } from './AdminLayout';
import Dashboard from './Dashboard';
import Events from './Events';
import Jobs from './Jobs';
import Login from './Login';
import OrderDetail from './OrderDetail';
import Orders from './Orders';
import ProductEdit from './ProductEdit';
import Products from './Products';
import { SessionContext } from './session';
import ShippingRates from './ShippingRates';
import './admin.css';


export default function AdminApp() {
  const [session, setSession] = useState<AdminSession | null | undefined>(undefined);
  const [meError, setMeError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const location = useLocation();

  useEffect(() => {
    let current = true;
    setMeError(null);
    if (!mayHaveAdminSession()) {
      // Surely logged out: straight to the login page, without a 401 in the console.
      setSession(null);
      return;
    }
    adminMe().then(
      (s) => current && setSession(s),
      (err: unknown) => {
        if (!current) return;
        if (err instanceof ApiError && err.status === 401) setSession(null);
        else setMeError(err);
      },
    );
    return () => {
      current = false;
    };
  }, [attempt]);

  // Any admin call answering 401 means the session ended: dropping it makes
  // the route guard below send the user to the login page, with `next` set.
  useEffect(() => {
    setUnauthorizedHandler(() => setSession(null));
    return () => setUnauthorizedHandler(null);
  }, []);

  const value = useMemo(() => ({ session, setSession }), [session]);

  if (meError != null) {
    return (
      <main className="container admin-standalone">
        <Alert kind="error" title="The admin could not be loaded">
          <p>{describeError(meError)}</p>
          <button type="button" className="button" onClick={() => setAttempt((a) => a + 1)}>
            Try again
          </button>
        </Alert>
      </main>
    );
  }
  if (session === undefined) return <Loading label="Loading admin…" />;

  const next = encodeURIComponent(location.pathname + location.search);
  return (
    <SessionContext.Provider value={value}>
      <Routes>
        <Route path="login" element={<Login />} />
        <Route
          element={session ? <AdminLayout /> : <Navigate to={`/admin/login?next=${next}`} replace />}
        >
          <Route index element={<Dashboard />} />
          <Route path="products" element={<Products />} />
          <Route path="products/new" element={<ProductEdit />} />
          <Route path="products/:id/edit" element={<ProductEdit />} />
          <Route path="orders" element={<Orders />} />
          <Route path="orders/:id" element={<OrderDetail />} />
          <Route path="shipping-rates" element={<ShippingRates />} />
          <Route path="events" element={<Events />} />
          <Route path="jobs" element={<Jobs />} />
          <Route path="account" element={<Account />} />
          <Route path="*" element={<p>There is no admin page at this address.</p>} />
        </Route>
      </Routes>
    </SessionContext.Provider>
  );
}

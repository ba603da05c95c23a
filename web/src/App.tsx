import { lazy, Suspense } from 'react';
import { NavLink, Route, Routes } from 'react-router';
import { Loading } from './components/Alert';
import { CartLink } from './components/CartLink';
import { OpenOrderBanner } from './components/OpenOrderBanner';
import { ShopBrand } from './components/ShopBrand';
import { useFocusHeadingOnNavigate } from './hooks';
import CartPage from './pages/Cart';
import CheckoutCancel from './pages/CheckoutCancel';
import CheckoutSuccess from './pages/CheckoutSuccess';
import NotFound from './pages/NotFound';
import ProductPage from './pages/ProductPage';
import Storefront from './pages/Storefront';

// The admin (and its chart library) is a separate chunk so shoppers never download it.
const AdminApp = lazy(() => import('./pages/admin/AdminApp'));

export default function App() {
  useFocusHeadingOnNavigate();
  return (
    <Routes>
      <Route
        path="/admin/*"
        element={
          <Suspense fallback={<Loading label="Loading admin…" />}>
            <AdminApp />
          </Suspense>
        }
      />
      <Route path="*" element={<ShopLayout />} />
    </Routes>
  );
}

function ShopLayout() {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <div className="container site-header__inner">
          <ShopBrand />
          <nav aria-label="Main">
            <NavLink to="/" end>
              Products
            </NavLink>
          </nav>
          <CartLink />
        </div>
      </header>
      <main id="main" className="container" tabIndex={-1}>
        <OpenOrderBanner />
        <Routes>
          <Route index element={<Storefront />} />
          <Route path="products/:id" element={<ProductPage />} />
          <Route path="cart" element={<CartPage />} />
          <Route path="checkout/success" element={<CheckoutSuccess />} />
          <Route path="checkout/cancel" element={<CheckoutCancel />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </main>
      <footer className="site-footer container">
        <p>Payments are handled by Stripe. Card details never touch this site.</p>
      </footer>
    </>
  );
}

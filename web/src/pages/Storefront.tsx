import { Link } from 'react-router';
import { listProducts, type Product } from '../api';
import { Alert, Loading } from '../components/Alert';
import { ProductImage } from '../components/ProductImage';
import { describeError } from '../errors';
import { useLoad, useTitle } from '../hooks';
import { formatMoney } from '../money';

export default function Storefront() {
  useTitle('Shop');
  const { data: products, error, loading, reload } = useLoad(listProducts, []);

  return (
    <section aria-labelledby="shop-heading">
      <h1 id="shop-heading">Shop</h1>
      {loading && !products && <Loading label="Loading products…" />}
      {error != null && (
        <Alert kind="error" title="The products could not be loaded">
          <p>{describeError(error)}</p>
          <button type="button" onClick={reload}>
            Try again
          </button>
        </Alert>
      )}
      {products && products.length === 0 && (
        <p className="empty">Nothing for sale yet. Please come back soon.</p>
      )}
      {products && products.length > 0 && (
        <ul className="product-grid">
          {products.map((p) => (
            <ProductCard key={p.id} product={p} />
          ))}
        </ul>
      )}
    </section>
  );
}

function ProductCard({ product }: { product: Product }) {
  const soldOut = product.stock === 0;
  return (
    <li className={`product-card${soldOut ? ' product-card--sold-out' : ''}`}>
      <Link to={`/products/${encodeURIComponent(product.id)}`} className="product-card__link">
        <ProductImage
          src={product.image_url}
          alt=""
          name={product.name}
          image={product.images?.[0]}
          sizes="(min-width: 60rem) 18rem, (min-width: 40rem) 45vw, 90vw"
        />
        <span className="product-card__name">{product.name}</span>
        <span className="product-card__price">
          {formatMoney(product.unit_amount, product.currency)}
        </span>
        {soldOut && <span className="badge badge--sold-out">Sold out</span>}
      </Link>
    </li>
  );
}

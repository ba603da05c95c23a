import { Link, useSearchParams } from 'react-router';
import { getProduct } from '../api';
import { useLoad, useTitle } from '../hooks';

export default function CheckoutCancel() {
  useTitle('Payment cancelled');
  const [search] = useSearchParams();
  const productId = search.get('product_id') ?? '';
  // The name is a nicety: the page works without it.
  const { data: product } = useLoad(
    () => (productId ? getProduct(productId) : Promise.resolve(null)),
    [productId],
  );

  return (
    <section className="checkout-result" aria-labelledby="cancel-heading">
      <div className="result result--bad">
        <h1 id="cancel-heading">Payment cancelled</h1>
        <p>
          Your payment was cancelled and you have not been charged
          {product ? ` for ${product.name}` : ''}.
        </p>
      </div>
      <p className="actions">
        {productId && (
          <Link className="button button--primary" to={`/products/${encodeURIComponent(productId)}`}>
            Try again
          </Link>
        )}
        <Link className="button" to="/">
          Back to the shop
        </Link>
      </p>
    </section>
  );
}

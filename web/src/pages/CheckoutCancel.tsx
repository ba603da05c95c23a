import { Link, useSearchParams } from 'react-router';
import { cancelCheckout, getProduct } from '../api';
import { isCartCheckout } from '../cart';
import { useLoad, useTitle } from '../hooks';
import { forgetCheckout } from '../pendingCheckout';

export default function CheckoutCancel() {
  useTitle('Payment cancelled');
  const [search] = useSearchParams();
  const productId = search.get('product_id') ?? '';
  const orderId = search.get('order_id') ?? '';
  // A cart's checkout goes back to the cart (still full), not to one of its products.
  const fromCart = isCartCheckout(orderId);
  // Give the reserved units back now rather than when Stripe expires the
  // session. If the payment went through after all, say so.
  const { data: order } = useLoad(
    () =>
      orderId
        ? cancelCheckout(orderId).then(
            (o) => {
              forgetCheckout(orderId);
              return o;
            },
            () => null,
          )
        : Promise.resolve(null),
    [orderId],
  );
  // The name is a nicety: the page works without it.
  const { data: product } = useLoad(
    () => (productId ? getProduct(productId) : Promise.resolve(null)),
    [productId],
  );

  if (order?.status === 'paid' || order?.status === 'processing') {
    return (
      <section className="checkout-result" aria-labelledby="cancel-heading">
        <div className="result result--good">
          <h1 id="cancel-heading">Your payment went through</h1>
          <p>Your order for {order.product_name} is {order.status === 'paid' ? 'paid' : 'being processed'}.</p>
        </div>
        <p className="actions">
          <Link className="button" to="/">
            Back to the shop
          </Link>
        </p>
      </section>
    );
  }

  return (
    <section className="checkout-result" aria-labelledby="cancel-heading">
      <div className="result result--bad">
        <h1 id="cancel-heading">Payment cancelled</h1>
        <p>
          Your payment was cancelled and you have not been charged
          {product && !fromCart ? ` for ${product.name}` : ''}.
        </p>
        {/* The server records this cancel as "expired"; here it is the customer's own. */}
        {order?.status === 'expired' && <p>The items you had reserved are back in stock.</p>}
      </div>
      <p className="actions">
        {fromCart ? (
          <Link className="button button--primary" to="/cart">
            Back to your cart
          </Link>
        ) : (
          productId && (
            <Link className="button button--primary" to={`/products/${encodeURIComponent(productId)}`}>
              Try again
            </Link>
          )
        )}
        <Link className="button" to="/">
          Back to the shop
        </Link>
      </p>
    </section>
  );
}

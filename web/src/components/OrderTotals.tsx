import type { Order, OrderShipping } from '../api';
import { formatMoney } from '../money';

/**
 * The money rows of an order, inside a <dl>: subtotal, discount, shipping and
 * tax when the order has them (a cart order does; an older one-product order
 * has only its total), the total and what has been refunded.
 */
export function OrderTotals({ order }: { order: Order }) {
  const cur = order.currency;
  const discount = order.amount_discount ?? 0;
  const shipping = order.amount_shipping;
  const tax = order.amount_tax ?? 0;
  const subtotal = order.amount_subtotal;
  // Stripe's events name the code by its id (promo_…), which means nothing
  // to a customer; only a code as typed is shown beside the discount.
  const code = order.promotion_code && !order.promotion_code.startsWith('promo_') ? order.promotion_code : '';
  const detailed = subtotal != null && (discount > 0 || tax > 0 || shipping != null || (order.lines?.length ?? 0) > 1);
  // Inclusive tax is part of the prices: the other amounts add up to the total without it.
  const taxIncluded = subtotal != null && tax > 0 && subtotal - discount + (shipping ?? 0) === order.amount_total;
  return (
    <>
      {detailed && (
        <div>
          <dt>Subtotal</dt>
          <dd>{formatMoney(subtotal, cur)}</dd>
        </div>
      )}
      {discount > 0 && (
        <div>
          <dt>Discount{code ? ` (${code})` : ''}</dt>
          <dd>−{formatMoney(discount, cur)}</dd>
        </div>
      )}
      {shipping != null && (order.shipping || shipping > 0) && (
        <div>
          <dt>Shipping{order.shipping?.rate_name ? ` (${order.shipping.rate_name})` : ''}</dt>
          <dd>{shipping === 0 ? 'Free' : formatMoney(shipping, cur)}</dd>
        </div>
      )}
      {tax > 0 && (
        <div>
          <dt>{taxIncluded ? 'Tax included' : 'Tax'}</dt>
          <dd>{formatMoney(tax, cur)}</dd>
        </div>
      )}
      <div>
        <dt>Total</dt>
        <dd>{formatMoney(order.amount_total, cur)}</dd>
      </div>
      {(order.amount_refunded ?? 0) > 0 && (
        <div>
          <dt>Refunded</dt>
          <dd>−{formatMoney(order.amount_refunded ?? 0, cur)}</dd>
        </div>
      )}
    </>
  );
}

const countryNames = typeof Intl.DisplayNames === 'function' ? new Intl.DisplayNames(undefined, { type: 'region' }) : null;

function countryName(code: string): string {
  try {
    return countryNames?.of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

/** The address an order ships to, and how. */
export function ShippingAddressCard({ shipping, title = 'Shipping to' }: { shipping: OrderShipping; title?: string }) {
  const a = shipping.address;
  const cityLine = [a.city, a.state, a.postal_code].filter(Boolean).join(', ');
  return (
    <div className="card shipping-card">
      <h2>{title}</h2>
      <address>
        {[shipping.name, a.line1, a.line2, cityLine, a.country ? countryName(a.country) : '']
          .filter(Boolean)
          .map((text, i) => (
            <span key={i}>
              {text}
              <br />
            </span>
          ))}
      </address>
      {shipping.rate_name && <p className="muted">{shipping.rate_name}</p>}
    </div>
  );
}

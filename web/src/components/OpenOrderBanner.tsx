import { useEffect, useRef } from 'react';
import { useLocation } from 'react-router';
import { formatMoney } from '../money';
import { formatOrderNumber } from '../orderNumber';
import {
  cancelOpenOrder,
  checkOpenOrder,
  continueToPayment,
  dismissCancelled,
  linesOf,
  unitsHeld,
  useOpenOrder,
} from '../pendingCheckout';

/**
 * The shop layout's banner for an order this tab left open on the payment
 * page: shown when the customer comes back without paying, by a reload or
 * by Back (from the back/forward cache too, which restores the page as it
 * was without running the app again: hence pageshow). The checkout result
 * pages say what became of the order themselves.
 */
export function OpenOrderBanner() {
  const open = useOpenOrder();
  const onResultPage = useLocation().pathname.startsWith('/checkout/');
  const doneRef = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    if (onResultPage) return;
    void checkOpenOrder();
    const onShow = (e: PageTransitionEvent) => {
      if (e.persisted) void checkOpenOrder();
    };
    window.addEventListener('pageshow', onShow);
    return () => window.removeEventListener('pageshow', onShow);
  }, [onResultPage]);

  // The Cancel button is gone: focus goes to what became of the order.
  useEffect(() => {
    if (open.kind === 'cancelled') doneRef.current?.focus();
  }, [open.kind]);

  if (onResultPage) return null;
  if (open.kind === 'cancelled') {
    return (
      <section className="open-order open-order--cancelled" aria-label="Your order">
        <p ref={doneRef} tabIndex={-1} role="status">
          {open.number ? `Order ${formatOrderNumber(open.number)}` : 'Your order'} is cancelled and you have not been
          charged. {open.productName ? `${open.productName} is` : 'The items are'} back in stock.
        </p>
        <button type="button" className="button" onClick={dismissCancelled}>
          Dismiss
        </button>
      </section>
    );
  }
  if (open.kind !== 'open') return null;

  const { order, checkout } = open;
  const number = order.number ?? checkout.number;
  const lines = linesOf(order);
  return (
    <section className="open-order" aria-labelledby="open-order-title">
      <p id="open-order-title" className="open-order__title">
        {number ? `Your order ${formatOrderNumber(number)}` : 'Your order'} is waiting for payment
      </p>
      <p>
        {order.quantity} × {order.product_name}
        {lines.length > 1 ? ` and ${lines.length - 1} more` : ''}, {formatMoney(order.amount_total, order.currency)}. We
        hold {lines.length > 1 || order.quantity > 1 ? 'them' : 'it'} for you until you pay or cancel.
      </p>
      {open.error && (
        <p className="open-order__error" role="alert">
          {open.error}
        </p>
      )}
      <p className="open-order__actions">
        <button type="button" className="button button--primary" onClick={continueToPayment} disabled={open.busy}>
          Continue to payment
        </button>
        <button type="button" className="button" onClick={() => void cancelOpenOrder()} disabled={open.busy}>
          {open.busy ? 'Cancelling…' : 'Cancel order'}
        </button>
      </p>
    </section>
  );
}

/** On a product page: the units of it this customer's own open order holds, which its stock no longer counts. */
export function OpenOrderNote({ productId }: { productId: string }) {
  const open = useOpenOrder();
  const held = unitsHeld(open, productId);
  if (open.kind !== 'open' || held === 0) return null;
  const number = open.order.number ?? open.checkout.number;
  return (
    <p className="open-order-note">
      You have {held} in an open order{number ? ` (${formatOrderNumber(number)})` : ''}, held for you until you pay or
      cancel it above.
    </p>
  );
}

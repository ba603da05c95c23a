import { useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ApiError, getCheckoutStatus, TERMINAL_STATUSES, type Order } from '../api';
import { Alert } from '../components/Alert';
import { describeError } from '../errors';
import { useTitle } from '../hooks';
import { formatMoney } from '../money';
import { formatOrderNumber } from '../orderNumber';
import { OrderTotals, ShippingAddressCard } from '../components/OrderTotals';
import { isCartCheckout, settleCartCheckout } from '../cart';

export const POLL_INTERVAL_MS = 1500;
export const POLL_TIMEOUT_MS = 2 * 60 * 1000;

type Phase = 'polling' | 'done' | 'timed-out' | 'error';

export default function CheckoutSuccess() {
  const [search] = useSearchParams();
  const sessionId = search.get('session_id') ?? '';
  const [order, setOrder] = useState<Order | null>(null);
  const [phase, setPhase] = useState<Phase>('polling');
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (!sessionId) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = Date.now() + POLL_TIMEOUT_MS;
    setPhase('polling');
    setError(null);

    async function poll() {
      try {
        const o = await getCheckoutStatus(sessionId);
        if (stopped) return;
        setOrder(o);
        setError(null);
        settleCartCheckout(o);
        if (TERMINAL_STATUSES.includes(o.status)) {
          setPhase('done');
          return;
        }
      } catch (err) {
        if (stopped) return;
        // A missing session will not appear by waiting; other errors may pass.
        if (err instanceof ApiError && (err.code === 'not_found' || err.code === 'invalid')) {
          setError(err);
          setPhase('error');
          return;
        }
        setError(err);
      }
      if (Date.now() + POLL_INTERVAL_MS > deadline) {
        setPhase('timed-out');
        return;
      }
      timer = setTimeout(poll, POLL_INTERVAL_MS);
    }
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [sessionId, attempt]);

  const view = describe(order, phase, sessionId);
  useTitle(view.title);

  useEffect(() => {
    if (phase !== 'polling') headingRef.current?.focus();
  }, [phase]);

  return (
    <section className="checkout-result" aria-labelledby="result-heading">
      <div className={`result result--${view.tone}`} aria-live="polite">
        <h1 id="result-heading" ref={headingRef} tabIndex={-1}>
          {phase === 'polling' && <span className="spinner" aria-hidden="true" />}
          {view.title}
        </h1>
        <p>{view.text}</p>
      </div>
      {phase === 'error' && error != null && (
        <Alert kind="error">
          <p>
            {error instanceof ApiError && error.code === 'not_found'
              ? 'We could not find this checkout. If you paid, the shop will still record it; contact us with your receipt.'
              : describeError(error)}
          </p>
        </Alert>
      )}
      {phase === 'polling' && error != null && (
        <p className="muted">Still trying to reach the shop…</p>
      )}
      {order && <OrderSummary order={order} />}
      <p className="actions">
        {phase === 'timed-out' && (
          <button type="button" className="button" onClick={() => setAttempt((a) => a + 1)}>
            Check again
          </button>
        )}
        {order && (order.status === 'failed' || order.status === 'expired') && (
          <Link
            className="button button--primary"
            to={isCartCheckout(order.id) ? '/cart' : `/products/${encodeURIComponent(order.product_id)}`}
          >
            Try again
          </Link>
        )}
        <Link className="button" to="/">
          Continue shopping
        </Link>
      </p>
    </section>
  );
}

function describe(
  order: Order | null,
  phase: Phase,
  sessionId: string,
): { title: string; text: string; tone: 'wait' | 'good' | 'bad' } {
  if (!sessionId) {
    return { title: 'No checkout to show', text: 'This link is missing its checkout session.', tone: 'bad' };
  }
  switch (order?.status) {
    case 'paid':
      return { title: 'Paid — thank you', text: 'Your payment went through and your order is confirmed.', tone: 'good' };
    case 'refunded':
      return { title: 'Refunded', text: 'This order was paid and has since been refunded.', tone: 'good' };
    case 'failed':
      return { title: 'Payment failed', text: 'Your bank declined the payment. You have not been charged.', tone: 'bad' };
    case 'expired':
      return { title: 'Checkout expired', text: 'This checkout expired before it was paid. You have not been charged.', tone: 'bad' };
  }
  if (phase === 'error') {
    return { title: 'Checkout not found', text: 'We could not load this checkout.', tone: 'bad' };
  }
  if (phase === 'timed-out') {
    return {
      title: 'Payment still processing',
      text: 'Your payment is taking longer than usual to confirm. You can check again, or come back to this page later.',
      tone: 'wait',
    };
  }
  return {
    title: 'Payment processing…',
    text:
      order?.status === 'processing'
        ? 'Your bank is confirming the payment. This page updates by itself.'
        : 'We are confirming your payment. This page updates by itself.',
    tone: 'wait',
  };
}

function OrderSummary({ order }: { order: Order }) {
  const lines = order.lines ?? [];
  const cur = order.currency;
  return (
    <>
      <dl className="summary" aria-label="Order summary">
        {lines.length > 0 ? (
          lines.map((l) => (
            <div key={l.product_id}>
              <dt>
                {l.product_name} × {l.quantity}
              </dt>
              <dd>{formatMoney(l.amount_subtotal, cur)}</dd>
            </div>
          ))
        ) : (
          <>
            <div>
              <dt>Product</dt>
              <dd>{order.product_name}</dd>
            </div>
            <div>
              <dt>Quantity</dt>
              <dd>{order.quantity}</dd>
            </div>
          </>
        )}
        <OrderTotals order={order} />
        {order.customer_email && (
          <div>
            <dt>Email</dt>
            <dd>{order.customer_email}</dd>
          </div>
        )}
        <div>
          <dt>Order</dt>
          <dd>{formatOrderNumber(order.number)}</dd>
        </div>
      </dl>
      {order.shipping && <ShippingAddressCard shipping={order.shipping} />}
    </>
  );
}

import { useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { adminGetOrder, adminRefundOrder, ApiError } from '../../api';
import { Alert, Loading } from '../../components/Alert';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { StatusBadge } from '../../components/StatusBadge';
import { describeError } from '../../errors';
import { useLoad, useTitle } from '../../hooks';
import { formatMoney } from '../../money';
import { formatOrderNumber } from '../../orderNumber';
import { formatDateTime } from './dates';
import { OrderEmails } from './OrderEmails';

export default function OrderDetail() {
  const { id = '' } = useParams();
  useTitle('Order');
  const { data: order, error, loading, reload } = useLoad(() => adminGetOrder(id), [id]);
  const [confirming, setConfirming] = useState(false);
  const [refunding, setRefunding] = useState(false);
  const [restock, setRestock] = useState(false);
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const messageRef = useRef<HTMLDivElement>(null);

  async function refund() {
    setRefunding(true);
    setMessage(null);
    try {
      await adminRefundOrder(id, { restock });
      setMessage({
        kind: 'success',
        text: restock ? 'The order is refunded and its units are back in stock.' : 'The order is refunded.',
      });
      reload();
    } catch (err) {
      const text =
        err instanceof ApiError && err.code === 'conflict'
          ? `This order cannot be refunded: ${err.message}.`
          : describeError(err);
      setMessage({ kind: 'error', text });
    } finally {
      setRefunding(false);
      setConfirming(false);
      setTimeout(() => messageRef.current?.focus(), 0);
    }
  }

  if (loading && !order) return <Loading label="Loading order…" />;
  if (!order) {
    return (
      <section>
        <h1>Order</h1>
        <Alert kind="error">
          <p>{describeError(error)}</p>
        </Alert>
        <p>
          <Link to="/admin/orders">Back to orders</Link>
        </p>
      </section>
    );
  }

  return (
    <section aria-labelledby="order-heading">
      <p className="breadcrumb">
        <Link to="/admin/orders">← Orders</Link>
      </p>
      <div className="page-head">
        <h1 id="order-heading">Order {formatOrderNumber(order.number)}</h1>
        <StatusBadge status={order.status} />
      </div>
      {order.flagged && (
        <Alert kind="warning" title={order.dispute ? 'Disputed: respond in Stripe' : 'Amount mismatch: check this order'}>
          <p>
            {order.flag_reason ||
              'Stripe reported an amount that differs from this order. It was not marked paid automatically.'}
          </p>
        </Alert>
      )}
      {message && (
        <Alert kind={message.kind} ref={messageRef}>
          {message.text}
        </Alert>
      )}
      <dl className="summary card">
        <div>
          <dt>Product</dt>
          <dd>
            <Link to={`/admin/products/${encodeURIComponent(order.product_id)}/edit`}>{order.product_name}</Link>
          </dd>
        </div>
        <div>
          <dt>Quantity</dt>
          <dd>{order.quantity}</dd>
        </div>
        <div>
          <dt>Total</dt>
          <dd>{formatMoney(order.amount_total, order.currency)}</dd>
        </div>
        <div>
          <dt>Customer</dt>
          <dd>{order.customer_email || '—'}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatDateTime(order.created_at)}</dd>
        </div>
        <div>
          <dt>Paid</dt>
          <dd>{formatDateTime(order.paid_at)}</dd>
        </div>
        <div>
          <dt>Checkout session</dt>
          <dd className="mono">{order.session_id || '—'}</dd>
        </div>
        <div>
          <dt>Order id</dt>
          <dd className="mono">{order.id}</dd>
        </div>
      </dl>

      {order.status === 'paid' && (
        <p>
          <button type="button" className="button button--danger" onClick={() => setConfirming(true)}>
            Refund {formatMoney(order.amount_total, order.currency)}
          </button>
        </p>
      )}

      <h2>Webhook events</h2>
      {order.events.length === 0 ? (
        <p className="empty">No webhook events for this order yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">Type</th>
                <th scope="col">Event id</th>
              </tr>
            </thead>
            <tbody>
              {order.events.map((e) => (
                <tr key={e.id}>
                  <td>{formatDateTime(e.received_at)}</td>
                  <td className="mono nowrap">{e.type}</td>
                  <td className="mono truncate">{e.id}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <OrderEmails order={order} onChange={reload} />

      <ConfirmDialog
        open={confirming}
        title="Refund this order?"
        confirmLabel={refunding ? 'Refunding…' : 'Refund'}
        danger
        busy={refunding}
        onConfirm={refund}
        onCancel={() => setConfirming(false)}
      >
        <p>
          {formatMoney(order.amount_total, order.currency)} goes back to {order.customer_email || 'the customer'}.
          This cannot be undone.
        </p>
        <div className="field field--checkbox">
          <input
            id="refund-restock"
            type="checkbox"
            checked={restock}
            onChange={(e) => setRestock(e.target.checked)}
            disabled={refunding}
          />
          <label htmlFor="refund-restock">
            Put the {order.quantity === 1 ? 'unit' : `${order.quantity} units`} back in stock
          </label>
        </div>
      </ConfirmDialog>
    </section>
  );
}

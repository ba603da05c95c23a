import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { adminGetOrder, adminRefundOrder, ApiError, type RefundRequest } from '../../api';
import { Alert, Loading } from '../../components/Alert';
import { OrderTotals, ShippingAddressCard } from '../../components/OrderTotals';
import { StatusBadge } from '../../components/StatusBadge';
import { describeError } from '../../errors';
import { useLoad, useStatusMessage, useTitle } from '../../hooks';
import { formatMoney } from '../../money';
import { formatOrderNumber } from '../../orderNumber';
import { formatDateTime } from './dates';
import { refundable, RefundDialog } from './RefundDialog';
import { OrderEmails } from './OrderEmails';

export default function OrderDetail() {
  const { id = '' } = useParams();
  useTitle('Order');
  const { data: order, error, loading, reload } = useLoad(() => adminGetOrder(id), [id]);
  const [confirming, setConfirming] = useState(false);
  const [refunding, setRefunding] = useState(false);
  const { message, setMessage, messageRef, show } = useStatusMessage();

  async function refund(request: RefundRequest, mode: 'all' | 'lines' | 'amount') {
    setRefunding(true);
    setMessage(null);
    const before = order?.amount_refunded ?? 0;
    try {
      const after = await adminRefundOrder(id, request);
      const restocked = request.restock ? ' The units are back in stock.' : '';
      const text =
        mode === 'all'
          ? request.restock
            ? 'The order is refunded and its units are back in stock.'
            : 'The order is refunded.'
          : after.amount_refunded != null
            ? `Refunded ${formatMoney(after.amount_refunded - before, after.currency)}.${restocked}`
            : `The refund is made.${restocked}`;
      show('success', text);
      reload();
    } catch (err) {
      const text =
        err instanceof ApiError && err.code === 'conflict'
          ? `This order cannot be refunded: ${err.message}.`
          : describeError(err);
      show('error', text);
    } finally {
      setRefunding(false);
      setConfirming(false);
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

  const lines = order.lines ?? [];
  return (
    <section aria-labelledby="order-heading">
      <p className="breadcrumb">
        <Link to="/admin/orders">← Orders</Link>
      </p>
      <div className="page-head">
        <h1 id="order-heading">Order {formatOrderNumber(order.number)}</h1>
        <StatusBadge status={order.status} cancelled={Boolean(order.cancelled_at)} />
        {order.status === 'paid' && (order.amount_refunded ?? 0) > 0 && (
          <span className="badge badge--refunded">Partly refunded</span>
        )}
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
      {lines.length > 0 && (
        <div className="table-wrap">
          <table className="table table--stack">
            <caption className="visually-hidden">Items in this order</caption>
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col" className="num">
                  Price
                </th>
                <th scope="col" className="num">
                  Qty
                </th>
                <th scope="col" className="num">
                  Refunded
                </th>
                <th scope="col" className="num">
                  Amount
                </th>
              </tr>
            </thead>
            <tbody>
              {lines.map((l) => (
                <tr key={l.product_id}>
                  <th scope="row">
                    <Link to={`/admin/products/${encodeURIComponent(l.product_id)}/edit`}>{l.product_name}</Link>
                  </th>
                  <td className="num" data-label="Price">{formatMoney(l.unit_amount, order.currency)}</td>
                  <td className="num" data-label="Qty">{l.quantity}</td>
                  <td className="num" data-label="Refunded">{l.refunded_quantity ?? 0}</td>
                  <td className="num" data-label="Amount">{formatMoney(l.amount_subtotal, order.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <dl className="summary card">
        {lines.length === 0 && (
          <>
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
          </>
        )}
        <OrderTotals order={order} />
        {order.promotion_code && (
          <div>
            <dt>Promotion code</dt>
            <dd>{order.promotion_code}</dd>
          </div>
        )}
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

      {order.shipping && <ShippingAddressCard shipping={order.shipping} title="Ships to" />}

      {order.status === 'paid' && refundable(order) > 0 && (
        <p>
          <button type="button" className="button button--danger" onClick={() => setConfirming(true)}>
            Refund {formatMoney(refundable(order), order.currency)}
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

      <RefundDialog
        order={order}
        open={confirming}
        busy={refunding}
        onConfirm={refund}
        onCancel={() => setConfirming(false)}
      />
    </section>
  );
}

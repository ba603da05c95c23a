import { Link, useSearchParams } from 'react-router';
import { adminListOrders, ORDER_STATUSES, type Order, type OrderStatus } from '../../api';
import { Alert } from '../../components/Alert';
import { Pager } from '../../components/Pager';
import { StatusBadge, statusLabel } from '../../components/StatusBadge';
import { describeError } from '../../errors';
import { usePages, useTitle } from '../../hooks';
import { formatMoney } from '../../money';
import { formatDateTime } from './dates';

const PAGE_SIZE = 25;

export default function Orders() {
  useTitle('Orders');
  const [search, setSearch] = useSearchParams();
  const status = (search.get('status') ?? '') as OrderStatus | '';
  const {
    items: orders,
    cursor,
    error,
    loading,
    loadMore,
    reload,
  } = usePages<Order>(
    (cursor) => adminListOrders({ status, limit: PAGE_SIZE, cursor }).then((p) => ({ items: p.orders, next_cursor: p.next_cursor })),
    [status],
  );

  return (
    <section aria-labelledby="orders-heading">
      <div className="page-head">
        <h1 id="orders-heading">Orders</h1>
        <div className="filter">
          <label htmlFor="status-filter">Status</label>
          <select
            id="status-filter"
            value={status}
            onChange={(e) => {
              const next = new URLSearchParams(search);
              if (e.target.value) next.set('status', e.target.value);
              else next.delete('status');
              setSearch(next);
            }}
          >
            <option value="">All</option>
            {ORDER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </div>
      </div>
      {error != null && (
        <Alert kind="error" title="The orders could not be loaded">
          <p>{describeError(error)}</p>
          <button type="button" className="button" onClick={() => (orders.length ? loadMore() : reload())}>
            Try again
          </button>
        </Alert>
      )}
      {!loading && error == null && orders.length === 0 && (
        <p className="empty">{status ? `No ${statusLabel(status).toLowerCase()} orders.` : 'No orders yet.'}</p>
      )}
      {orders.length > 0 && (
        <div className="table-wrap">
          <table className="table table--stack">
            <caption className="visually-hidden">Orders, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Product</th>
                <th scope="col" className="num">
                  Qty
                </th>
                <th scope="col" className="num">
                  Total
                </th>
                <th scope="col">Customer</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {orders.map((o) => (
                <tr key={o.id}>
                  <td data-label="Created">
                    <Link to={`/admin/orders/${encodeURIComponent(o.id)}`}>{formatDateTime(o.created_at)}</Link>
                  </td>
                  <td data-label="Product">{o.product_name}</td>
                  <td className="num" data-label="Qty">{o.quantity}</td>
                  <td className="num" data-label="Total">{formatMoney(o.amount_total, o.currency)}</td>
                  <td className="truncate" data-label="Customer">{o.customer_email || '—'}</td>
                  <td data-label="Status">
                    <StatusBadge status={o.status} />
                    {o.flagged && (
                      <span className="badge badge--flagged" title={o.flag_reason ?? undefined}>
                        Flagged
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager loading={loading} cursor={cursor} onMore={loadMore} label="Loading orders…" />
    </section>
  );
}

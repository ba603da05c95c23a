import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { adminListOrders, adminListProducts, ApiError, ORDER_STATUSES, type Order, type OrderStatus } from '../../api';
import { Alert } from '../../components/Alert';
import { Pager } from '../../components/Pager';
import { StatusBadge, statusLabel } from '../../components/StatusBadge';
import { describeError } from '../../errors';
import { useLoad, usePages, useTitle } from '../../hooks';
import { formatMoney } from '../../money';
import { formatOrderNumber, parseOrderNumber } from '../../orderNumber';
import { formatDateTime } from './dates';
import { OrdersExport } from './OrdersExport';

const PAGE_SIZE = 25;

export default function Orders() {
  useTitle('Orders');
  const [search, setSearch] = useSearchParams();
  const status = (search.get('status') ?? '') as OrderStatus | '';
  const number = parseOrderNumber(search.get('number') ?? '');
  const q = search.get('q') ?? '';
  const productId = search.get('product_id') ?? '';
  const [query, setQuery] = useState(number != null ? String(number) : q);
  // The filter's choices; the list works without them.
  const { data: products } = useLoad(() => adminListProducts().catch(() => []), []);
  const [queryError, setQueryError] = useState('');
  const {
    items: orders,
    cursor,
    error,
    loading,
    loadMore,
    reload,
  } = usePages<Order>(
    (cursor) =>
      adminListOrders({ status, number, q, product_id: productId, limit: PAGE_SIZE, cursor }).then((p) => ({
        items: p.orders,
        next_cursor: p.next_cursor,
      })),
    [status, number, q, productId],
  );
  const fieldError = queryError || (error instanceof ApiError ? (error.fields.number ?? error.fields.q ?? '') : '');

  function find(e: FormEvent) {
    e.preventDefault();
    const next = new URLSearchParams(search);
    next.delete('number');
    next.delete('q');
    const typed = query.trim();
    if (typed !== '') {
      // A number ("1001", "#1001") is an order number; anything else is part of an e-mail.
      const n = parseOrderNumber(typed);
      if (n != null) next.set('number', String(n));
      else if (/^#/.test(typed) || /^\d+$/.test(typed)) {
        setQueryError('Enter an order number, like 1001, or part of an e-mail address.');
        return;
      } else next.set('q', typed);
    }
    setQueryError('');
    setSearch(next);
  }

  /** Sets one filter of the URL (an empty value removes it), keeping the others. */
  function setParam(name: string, value: string) {
    const next = new URLSearchParams(search);
    if (value) next.set(name, value);
    else next.delete(name);
    setSearch(next);
  }

  function showAll() {
    const next = new URLSearchParams(search);
    next.delete('number');
    next.delete('q');
    setQuery('');
    setQueryError('');
    setSearch(next);
  }

  let empty = status ? `No ${statusLabel(status).toLowerCase()} orders.` : 'No orders yet.';
  if (productId) empty = status ? `No ${statusLabel(status).toLowerCase()} orders of this product.` : 'No orders of this product.';
  if (q) empty = `No ${status ? `${statusLabel(status).toLowerCase()} ` : ''}orders with an e-mail containing “${q}”.`;
  if (number != null) {
    empty = status
      ? `No ${statusLabel(status).toLowerCase()} order ${formatOrderNumber(number)}.`
      : `No order ${formatOrderNumber(number)}.`;
  }

  return (
    <section aria-labelledby="orders-heading">
      <div className="page-head">
        <h1 id="orders-heading">Orders</h1>
        <form className="filter" role="search" aria-label="Find orders by e-mail or number" onSubmit={find} noValidate>
          <label htmlFor="number-search">E-mail or order number</label>
          <input
            id="number-search"
            type="search"
            placeholder="#1001 or ada@"
            value={query}
            aria-invalid={fieldError ? true : undefined}
            aria-describedby={fieldError ? 'number-search-error' : undefined}
            onChange={(e) => {
              setQuery(e.target.value);
              setQueryError('');
            }}
          />
          <button type="submit" className="button">
            Find
          </button>
          {(number != null || q !== '') && (
            <button type="button" className="button" onClick={showAll}>
              Show all
            </button>
          )}
          {fieldError && (
            <p id="number-search-error" className="field__error">
              {fieldError}
            </p>
          )}
        </form>
        <div className="filter">
          <label htmlFor="status-filter">Status</label>
          <select
            id="status-filter"
            value={status}
            onChange={(e) => setParam('status', e.target.value)}
          >
            <option value="">All</option>
            {ORDER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor="product-filter">Product</label>
          <select
            id="product-filter"
            value={productId}
            onChange={(e) => setParam('product_id', e.target.value)}
          >
            <option value="">All products</option>
            {productId && !products?.some((p) => p.id === productId) && <option value={productId}>This product</option>}
            {(products ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.active ? p.name : `${p.name} (archived)`}
              </option>
            ))}
          </select>
        </div>
      </div>
      <OrdersExport />
      {error != null && (
        <Alert kind="error" title="The orders could not be loaded">
          <p>{describeError(error)}</p>
          <button type="button" className="button" onClick={() => (orders.length ? loadMore() : reload())}>
            Try again
          </button>
        </Alert>
      )}
      {!loading && error == null && orders.length === 0 && (
        <p className="empty">{empty}</p>
      )}
      {orders.length > 0 && (
        <div className="table-wrap">
          <table className="table table--stack">
            <caption className="visually-hidden">Orders, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Order</th>
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
                  <td data-label="Order">
                    <Link to={`/admin/orders/${encodeURIComponent(o.id)}`}>{formatOrderNumber(o.number)}</Link>
                  </td>
                  <td data-label="Created">{formatDateTime(o.created_at)}</td>
                  <td data-label="Product">{productSummary(o)}</td>
                  <td className="num" data-label="Qty">{o.lines?.length ? o.lines.reduce((n, l) => n + l.quantity, 0) : o.quantity}</td>
                  <td className="num" data-label="Total">
                    <span>
                      {formatMoney(o.amount_total, o.currency)}
                      {(o.amount_refunded ?? 0) > 0 && o.status !== 'refunded' && (
                        <span className="refunded-note">−{formatMoney(o.amount_refunded ?? 0, o.currency)} refunded</span>
                      )}
                    </span>
                  </td>
                  <td className="truncate" data-label="Customer">{o.customer_email || '—'}</td>
                  <td data-label="Status">
                    <StatusBadge status={o.status} cancelled={Boolean(o.cancelled_at)} />
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

/** "Mug", or "Mug and 2 more" for a cart order. */
function productSummary(o: Order): string {
  const more = (o.lines?.length ?? 1) - 1;
  return more > 0 ? `${o.product_name} and ${more} more` : o.product_name;
}

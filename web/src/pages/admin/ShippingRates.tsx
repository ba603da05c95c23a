import { useState } from 'react';
import {
  adminCreateShippingRate,
  adminListShippingRates,
  adminUpdateShippingRate,
  type ShippingRate,
} from '../../api';
import { Alert, Loading } from '../../components/Alert';
import { describeError } from '../../errors';
import { useLoad, useStatusMessage, useTitle } from '../../hooks';
import { formatMoney } from '../../money';
import { ShippingRateForm } from './ShippingRateForm';

/** "3–5 business days", "2 business days", or "—". */
export function deliveryEstimate(r: Pick<ShippingRate, 'min_days' | 'max_days'>): string {
  const { min_days: min, max_days: max } = r;
  if (min == null && max == null) return '—';
  if (min != null && max != null && min !== max) return `${min}–${max} business days`;
  const n = (min ?? max)!;
  return `${n} business day${n === 1 ? '' : 's'}`;
}

export default function ShippingRates() {
  useTitle('Shipping rates');
  const { data: rates, error, loading, reload, setData } = useLoad(adminListShippingRates, []);
  // null: no form; 'new': the create form; a rate: its edit form.
  const [editing, setEditing] = useState<ShippingRate | 'new' | null>(null);
  const { message, messageRef, show } = useStatusMessage();

  function saved(rate: ShippingRate) {
    const list = rates ?? [];
    const known = list.some((r) => r.id === rate.id);
    setData(known ? list.map((r) => (r.id === rate.id ? rate : r)) : [...list, rate]);
    setEditing(null);
    show('success', known ? `“${rate.name}” is saved.` : `“${rate.name}” is created.`);
  }

  async function setActive(rate: ShippingRate, active: boolean) {
    try {
      const next = await adminUpdateShippingRate(rate.id, { active });
      setData((rates ?? []).map((r) => (r.id === next.id ? next : r)));
      show('success', active ? `“${rate.name}” is offered at checkout again.` : `“${rate.name}” is archived: no longer offered.`);
    } catch (err) {
      show('error', describeError(err));
    }
  }

  return (
    <section aria-labelledby="rates-heading">
      <div className="page-head">
        <h1 id="rates-heading">Shipping rates</h1>
        {editing === null && (
          <button type="button" className="button button--primary" onClick={() => setEditing('new')}>
            New shipping rate
          </button>
        )}
      </div>
      <p className="muted">
        The active rates are offered at checkout when the shop asks for an address (SHIPPING_COUNTRIES). A rate
        applies to carts in its currency.
      </p>
      {message && (
        <Alert kind={message.kind} ref={messageRef}>
          {message.text}
        </Alert>
      )}
      {editing !== null && (
        <ShippingRateForm
          key={editing === 'new' ? 'new' : editing.id}
          rate={editing === 'new' ? undefined : editing}
          onSave={(input) =>
            editing === 'new'
              ? adminCreateShippingRate(input as Parameters<typeof adminCreateShippingRate>[0])
              : adminUpdateShippingRate(editing.id, input)
          }
          onSaved={saved}
          onCancel={() => setEditing(null)}
        />
      )}
      {loading && !rates && <Loading label="Loading shipping rates…" />}
      {error != null && (
        <Alert kind="error" title="The shipping rates could not be loaded">
          <p>{describeError(error)}</p>
          <button type="button" className="button" onClick={reload}>
            Try again
          </button>
        </Alert>
      )}
      {rates && rates.length === 0 && <p className="empty">No shipping rates yet.</p>}
      {rates && rates.length > 0 && (
        <div className="table-wrap">
          <table className="table table--stack">
            <caption className="visually-hidden">Shipping rates</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col">Delivery</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rates.map((r) => (
                <tr key={r.id} className={r.active ? '' : 'row--muted'}>
                  <th scope="row">{r.name}</th>
                  <td className="num" data-label="Amount">
                    {r.amount === 0 ? `Free (${r.currency.toUpperCase()})` : formatMoney(r.amount, r.currency)}
                  </td>
                  <td data-label="Delivery">{deliveryEstimate(r)}</td>
                  <td data-label="Status">
                    {r.active ? (
                      <span className="badge badge--paid">Active</span>
                    ) : (
                      <span className="badge badge--expired">Archived</span>
                    )}
                  </td>
                  <td className="actions-cell">
                    <button
                      type="button"
                      className="button button--small"
                      onClick={() => setEditing(r)}
                      aria-label={`Edit ${r.name}`}
                    >
                      Edit
                    </button>
                    {r.active ? (
                      <button
                        type="button"
                        className="button button--small button--danger-outline"
                        onClick={() => setActive(r, false)}
                        aria-label={`Archive ${r.name}`}
                      >
                        Archive
                      </button>
                    ) : (
                      <button
                        type="button"
                        className="button button--small"
                        onClick={() => setActive(r, true)}
                        aria-label={`Activate ${r.name}`}
                      >
                        Activate
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

import { useState } from 'react';
import { ordersExportUrl } from '../../api';

function isoDay(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The bookkeeper's CSV of the orders of a date range: a plain link the browser downloads. */
export function OrdersExport() {
  const today = new Date();
  const [from, setFrom] = useState(() => isoDay(new Date(today.getFullYear(), today.getMonth(), 1)));
  const [to, setTo] = useState(() => isoDay(today));
  const wrong = from !== '' && to !== '' && from > to;
  const missing = from === '' || to === '';
  return (
    <details className="orders-export">
      <summary>Export orders to CSV</summary>
      <div className="orders-export__body">
        <div className="field">
          <label htmlFor="export-from">From</label>
          <input id="export-from" type="date" value={from} max={to || undefined} onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div className={`field${wrong ? ' field--invalid' : ''}`}>
          <label htmlFor="export-to">To (included)</label>
          <input
            id="export-to"
            type="date"
            value={to}
            min={from || undefined}
            onChange={(e) => setTo(e.target.value)}
            aria-invalid={wrong ? true : undefined}
            aria-describedby={wrong ? 'export-error' : undefined}
          />
        </div>
        {wrong || missing ? (
          <p id="export-error" className="field__error">
            {wrong ? 'The end date comes before the start date.' : 'Choose both dates.'}
          </p>
        ) : (
          <a className="button" href={ordersExportUrl(from, to)} download>
            Download CSV
          </a>
        )}
      </div>
    </details>
  );
}

import { lazy, Suspense, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { adminListOrders, adminStats, ORDER_STATUSES, type OrderStatus, type Stats } from '../../api';
import { Alert, Loading } from '../../components/Alert';
import { StatusBadge } from '../../components/StatusBadge';
import { describeError } from '../../errors';
import { useLoad, useTitle } from '../../hooks';
import { formatMoney } from '../../money';

// uPlot is only fetched when the dashboard draws its chart.
const RevenueChart = lazy(() => import('./RevenueChart'));

const DAYS = 30;
const SAMPLE = 100;

interface StatusCounts {
  counts: Partial<Record<OrderStatus, number>>;
  /** Set when the counts come from the latest orders, not from the stats route. */
  sampled: number | null;
}

async function loadDashboard(): Promise<{ stats: Stats; status: StatusCounts }> {
  const stats = await adminStats(DAYS);
  if (stats.by_status) return { stats, status: { counts: stats.by_status, sampled: null } };
  // Older servers send no by_status: count the latest orders instead, and say so.
  const page = await adminListOrders({ limit: SAMPLE });
  const counts: Partial<Record<OrderStatus, number>> = {};
  for (const o of page.orders) counts[o.status] = (counts[o.status] ?? 0) + 1;
  return { stats, status: { counts, sampled: page.orders.length } };
}

export function currencyTotals(stats: Stats): [string, number][] {
  const totals = new Map<string, number>();
  for (const day of stats.days) {
    for (const [cur, amount] of Object.entries(day.revenue ?? {})) {
      totals.set(cur, (totals.get(cur) ?? 0) + amount);
    }
  }
  return [...totals.entries()].sort((a, b) => b[1] - a[1]);
}

export default function Dashboard() {
  useTitle('Dashboard');
  const { data, error, loading, reload } = useLoad(loadDashboard, []);
  const totals = useMemo(() => (data ? currencyTotals(data.stats) : []), [data]);
  const [picked, setPicked] = useState<string | null>(null);
  const currency = picked ?? totals[0]?.[0] ?? 'usd';

  if (loading && !data) return <Loading label="Loading dashboard…" />;
  if (!data) {
    return (
      <section>
        <h1>Dashboard</h1>
        <Alert kind="error" title="The dashboard could not be loaded">
          <p>{describeError(error)}</p>
          <button type="button" className="button" onClick={reload}>
            Try again
          </button>
        </Alert>
      </section>
    );
  }

  const { stats, status } = data;
  const orderCount = stats.days.reduce((n, d) => n + (d.orders ?? 0), 0);
  return (
    <section aria-labelledby="dashboard-heading">
      <h1 id="dashboard-heading">Dashboard</h1>
      <div className="stat-cards">
        <div className="card stat">
          <p className="stat__label">Orders paid, last {DAYS} days</p>
          <p className="stat__value">{orderCount}</p>
          <p className="stat__note muted">Refunded since included.</p>
        </div>
        {totals.length === 0 && (
          <div className="card stat">
            <p className="stat__label">Revenue, last {DAYS} days</p>
            <p className="stat__value">{formatMoney(0, 'usd')}</p>
            <p className="stat__note muted">Net of refunds.</p>
          </div>
        )}
        {totals.map(([cur, amount]) => (
          <div className="card stat" key={cur}>
            <p className="stat__label">Revenue ({cur.toUpperCase()}), last {DAYS} days</p>
            <p className="stat__value">{formatMoney(amount, cur)}</p>
            <p className="stat__note muted">Net of refunds.</p>
          </div>
        ))}
      </div>

      <div className="card">
        <div className="page-head">
          <h2>Revenue per day</h2>
          {totals.length > 1 && (
            <div className="filter">
              <label htmlFor="chart-currency">Currency</label>
              <select id="chart-currency" value={currency} onChange={(e) => setPicked(e.target.value)}>
                {totals.map(([cur]) => (
                  <option key={cur} value={cur}>
                    {cur.toUpperCase()}
                  </option>
                ))}
              </select>
            </div>
          )}
        </div>
        {stats.days.length === 0 ? (
          <p className="empty">No sales in the last {DAYS} days.</p>
        ) : (
          <Suspense fallback={<Loading label="Drawing chart…" />}>
            <RevenueChart days={stats.days} currency={currency} />
          </Suspense>
        )}
      </div>

      <div className="card">
        <h2>All orders by status</h2>
        <p className="muted">
          {status.sampled !== null
            ? `Among the latest ${status.sampled} orders, paid or not.`
            : 'Every order so far, paid or not, by where it stands now.'}
        </p>
        <ul className="status-counts">
          {ORDER_STATUSES.map((s) => (
            <li key={s}>
              <Link to={`/admin/orders?status=${s}`} className="status-count">
                <StatusBadge status={s} />
                <span className="status-count__n">{status.counts[s] ?? 0}</span>
              </Link>
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}

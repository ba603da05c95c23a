import { useState } from 'react';
import { Link } from 'react-router';
import { adminListJobs } from '../../api';
import { Alert, Loading } from '../../components/Alert';
import { describeError } from '../../errors';
import { useLoad, useTitle } from '../../hooks';
import { formatDateTime } from './dates';

const STATES = ['available', 'running', 'retryable', 'scheduled', 'completed', 'cancelled', 'discarded', 'pending'];

/** The job queue: e-mails being sent and the reconciler's sweeps. */
export default function Jobs() {
  useTitle('Queue');
  const [state, setState] = useState('');
  const { data, error, loading, reload } = useLoad(() => adminListJobs(state), [state]);

  return (
    <section aria-labelledby="jobs-heading">
      <div className="page-head">
        <h1 id="jobs-heading">Queue</h1>
        <button type="button" className="button" onClick={reload} disabled={loading}>
          Refresh
        </button>
      </div>
      <p className="muted">
        Background jobs: e-mails (retried with backoff while the mail server is unavailable) and the reconciler's sweeps.
      </p>
      {error != null && (
        <Alert kind="error" title="The queue could not be loaded">
          <p>{describeError(error)}</p>
        </Alert>
      )}
      <div className="field">
        <label htmlFor="jobs-state">State</label>
        <select id="jobs-state" value={state} onChange={(e) => setState(e.target.value)}>
          <option value="">All</option>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {s} ({data?.counts[s] ?? 0})
            </option>
          ))}
        </select>
      </div>
      {loading && !data && <Loading label="Loading the queue…" />}
      {data && data.jobs.length === 0 && <p className="empty">No jobs.</p>}
      {data && data.jobs.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">State</th>
                <th scope="col">Attempt</th>
                <th scope="col">Created</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {data.jobs.map((j) => {
                const orderId = typeof j.args.order_id === 'string' ? j.args.order_id : '';
                return (
                  <tr key={j.id}>
                    <td data-label="Job">
                      <span className="mono">{j.kind}</span>
                      {typeof j.args.kind === 'string' && <div className="small">{j.args.kind}</div>}
                      {orderId && (
                        <div className="small">
                          <Link to={`/admin/orders/${encodeURIComponent(orderId)}`}>Order</Link>
                        </div>
                      )}
                    </td>
                    <td data-label="State">{j.state}</td>
                    <td data-label="Attempt">
                      {j.attempt} / {j.max_attempts}
                    </td>
                    <td data-label="Created">{formatDateTime(j.created_at)}</td>
                    <td data-label="Last error" className="small">
                      {j.last_error || '—'}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

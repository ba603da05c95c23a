import { useState } from 'react';
import { Link } from 'react-router';
import { adminListEvents, adminReprocessEvent, type WebhookEvent } from '../../api';
import { Alert } from '../../components/Alert';
import { Pager } from '../../components/Pager';
import { describeError } from '../../errors';
import { usePages, useStatusMessage, useTitle } from '../../hooks';
import { formatDateTime } from './dates';

const PAGE_SIZE = 50;

export default function Events() {
  useTitle('Webhook events');
  const {
    items: events,
    cursor,
    error,
    loading,
    loadMore,
    reload,
  } = usePages<WebhookEvent>(
    (cursor) => adminListEvents({ limit: PAGE_SIZE, cursor }).then((p) => ({ items: p.events, next_cursor: p.next_cursor })),
    [],
  );
  const [working, setWorking] = useState<string | null>(null);
  const { message, setMessage, messageRef, show } = useStatusMessage();

  async function reprocess(ev: WebhookEvent) {
    setWorking(ev.id);
    setMessage(null);
    try {
      await adminReprocessEvent(ev.id);
      show('success', `Event ${ev.id} (${ev.type}) was reprocessed.`);
      reload();
    } catch (err) {
      show('error', `Event ${ev.id} was not reprocessed: ${describeError(err)}`);
    } finally {
      setWorking(null);
    }
  }

  return (
    <section aria-labelledby="events-heading">
      <h1 id="events-heading">Webhook events</h1>
      <p className="muted">Every event Stripe sent, newest first. Reprocess applies an event to its order again; it is safe to repeat.</p>
      {message && (
        <Alert kind={message.kind} ref={messageRef}>
          {message.text}
        </Alert>
      )}
      {error != null && (
        <Alert kind="error" title="The events could not be loaded">
          <p>{describeError(error)}</p>
        </Alert>
      )}
      {!loading && error == null && events.length === 0 && <p className="empty">No webhook events yet.</p>}
      {events.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">Type</th>
                <th scope="col">Order</th>
                <th scope="col">Processed</th>
                <th scope="col">Note</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {events.map((ev) => (
                <tr key={ev.id} className={ev.note ? 'row--noted' : ''}>
                  <td>
                    {formatDateTime(ev.received_at)}
                    <div className="mono small truncate">{ev.id}</div>
                  </td>
                  <td className="mono nowrap">{ev.type}</td>
                  <td>
                    {ev.order_id ? (
                      <Link
                        to={`/admin/orders/${encodeURIComponent(ev.order_id)}`}
                        className="mono small nowrap"
                        aria-label={`Order ${ev.order_id}`}
                        title={ev.order_id}
                      >
                        {ev.order_id.length > 8 ? `${ev.order_id.slice(0, 8)}…` : ev.order_id}
                      </Link>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>{ev.processed_at ? formatDateTime(ev.processed_at) : <span className="badge badge--pending">Not yet</span>}</td>
                  <td className="note-cell">{ev.note || '—'}</td>
                  <td>
                    <button
                      type="button"
                      className="button button--small"
                      onClick={() => reprocess(ev)}
                      disabled={working !== null}
                      aria-label={`${working === ev.id ? 'Reprocessing' : 'Reprocess'} event ${ev.id}`}
                    >
                      {working === ev.id ? 'Reprocessing…' : 'Reprocess'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager loading={loading} cursor={cursor} onMore={loadMore} label="Loading events…" />
    </section>
  );
}

import { useState } from 'react';
import { adminResendEmail, type OrderDetail, type OrderEmail } from '../../api';
import { Alert } from '../../components/Alert';
import { describeError } from '../../errors';
import { useStatusMessage } from '../../hooks';
import { formatDateTime } from './dates';

const kindLabels: Record<string, string> = {
  order_confirmation: 'Order confirmation',
  payment_pending: 'Payment processing',
  payment_failed: 'Payment failed',
  refund_issued: 'Refund issued',
  staff_new_order: 'Staff: new order',
  staff_payment_failed: 'Staff: payment failed',
  staff_amount_mismatch: 'Staff: amount mismatch',
  staff_dispute_opened: 'Staff: dispute opened',
};

const statusLabels: Record<string, string> = {
  queued: 'Queued',
  retrying: 'Retrying',
  sent: 'Sent',
  failed: 'Failed',
};

/** The order's e-mails (kind, recipient, status, attempts, last error) with Resend. */
export function OrderEmails({ order, onChange }: { order: OrderDetail; onChange: () => void }) {
  const [working, setWorking] = useState<number | null>(null);
  const { message, setMessage, messageRef, show } = useStatusMessage();

  async function resend(e: OrderEmail) {
    setWorking(e.id);
    setMessage(null);
    try {
      await adminResendEmail(order.id, e.id);
      show('success', `${kindLabels[e.kind] ?? e.kind} is queued again.`);
      onChange();
    } catch (err) {
      show('error', `${kindLabels[e.kind] ?? e.kind} was not resent: ${describeError(err)}`);
    } finally {
      setWorking(null);
    }
  }

  return (
    <section aria-labelledby="emails-heading">
      <h2 id="emails-heading">E-mails</h2>
      {order.email_failed && (
        <Alert kind="warning" title="E-mail failed">
          <p>An e-mail of this order could not be sent. Check the error below, then resend it.</p>
        </Alert>
      )}
      {message && (
        <Alert kind={message.kind} ref={messageRef}>
          {message.text}
        </Alert>
      )}
      {order.emails.length === 0 ? (
        <p className="empty">No e-mails for this order.</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">E-mail</th>
                <th scope="col">To</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last error</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {order.emails.map((e) => (
                <tr key={e.id}>
                  <td data-label="E-mail">{kindLabels[e.kind] ?? e.kind}</td>
                  <td data-label="To" className="truncate">
                    {e.recipient}
                  </td>
                  <td data-label="Status">
                    <span className={`badge badge--email-${e.status}`}>{statusLabels[e.status] ?? e.status}</span>
                    {e.sent_at && <div className="small muted">{formatDateTime(e.sent_at)}</div>}
                  </td>
                  <td data-label="Attempts">{e.attempts}</td>
                  <td data-label="Last error" className="small">
                    {e.last_error || '—'}
                  </td>
                  <td>
                    {(e.status === 'sent' || e.status === 'failed') && (
                      <button
                        type="button"
                        className="button button--small"
                        onClick={() => resend(e)}
                        disabled={working !== null}
                      >
                        {working === e.id ? 'Resending…' : 'Resend'}
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

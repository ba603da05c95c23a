package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/stripeshop/stripeshop/internal/shop"
)

// Emails records each e-mail an order causes and what became of it.
type Emails struct{ db DBTX }

// NewEmails returns the e-mail store over db.
func NewEmails(db DBTX) *Emails { return &Emails{db: db} }

const emailColumns = `id, order_id::text, kind, recipient, status, attempts, last_error, message_id, created_at, updated_at, sent_at`

func scanEmail(row pgx.Row) (shop.Email, error) {
	var e shop.Email
	err := row.Scan(&e.ID, &e.OrderID, &e.Kind, &e.Recipient, &e.Status, &e.Attempts, &e.LastError, &e.MessageID,
		&e.CreatedAt, &e.UpdatedAt, &e.SentAt)
	return e, translate(err)
}

// NewEmail is an e-mail to record.
type NewEmail struct {
	Kind      shop.EmailKind
	Recipient string
	MessageID string
}

// Queue records e-mails of an order in one statement (in a Tx, it goes
// with whatever is pending) and returns the ids of those it recorded by
// kind: an order that has an e-mail of a kind already (a redelivered
// event) records nothing for it.
func (s *Emails) Queue(ctx context.Context, orderID string, emails []NewEmail) (map[shop.EmailKind]int64, error) {
	kinds, rcpts, ids := make([]string, len(emails)), make([]string, len(emails)), make([]string, len(emails))
	for i, e := range emails {
		kinds[i], rcpts[i], ids[i] = string(e.Kind), e.Recipient, e.MessageID
	}
	var (
		gotIDs   []int64
		gotKinds []string
	)
	err := s.db.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO order_emails (order_id, kind, recipient, message_id)
			SELECT $1, k, r, m FROM unnest($2::text[], $3::text[], $4::text[]) AS e(k, r, m)
			ON CONFLICT (order_id, kind) DO NOTHING RETURNING id, kind
		)
		SELECT coalesce(array_agg(id), '{}'), coalesce(array_agg(kind), '{}') FROM ins`,
		orderID, kinds, rcpts, ids).Scan(&gotIDs, &gotKinds)
	if err != nil {
		return nil, translate(err)
	}
	out := make(map[shop.EmailKind]int64, len(gotIDs))
	for i, id := range gotIDs {
		out[shop.EmailKind(gotKinds[i])] = id
	}
	return out, nil
}

// SetJobs notes the job that sends each e-mail (ids and jobIDs pair up);
// in a Tx it goes with the next statement or the commit. The worker notes
// its job too (Sent, Attempted): an e-mail queued with an order's change
// gets its job id when the job first runs, which spares that transaction
// a statement (see jobs.Queue.EnqueueMail).
func (s *Emails) SetJobs(ctx context.Context, ids, jobIDs []int64) error {
	return execLater(ctx, s.db, `UPDATE order_emails e SET job_id = j.job
		FROM unnest($1::bigint[], $2::bigint[]) AS j(id, job) WHERE e.id = j.id`, ids, jobIDs)
}

// Get returns an e-mail by id.
func (s *Emails) Get(ctx context.Context, id int64) (shop.Email, error) {
	return scanEmail(s.db.QueryRow(ctx, `SELECT `+emailColumns+` FROM order_emails WHERE id = $1`, id))
}

// Find returns an order's e-mail of a kind.
func (s *Emails) Find(ctx context.Context, orderID string, kind shop.EmailKind) (shop.Email, error) {
	return scanEmail(s.db.QueryRow(ctx, `SELECT `+emailColumns+` FROM order_emails WHERE order_id = $1 AND kind = $2`, orderID, kind))
}

// ForOrder lists an order's e-mails, oldest first.
func (s *Emails) ForOrder(ctx context.Context, orderID string) ([]shop.Email, error) {
	rows, err := s.db.Query(ctx, `SELECT `+emailColumns+` FROM order_emails WHERE order_id = $1 ORDER BY id`, orderID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := []shop.Email{}
	for rows.Next() {
		e, err := scanEmail(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, translate(rows.Err())
}

// Attempted records an attempt, by job jobID, that did not send: status
// retrying, or failed when no attempt is left.
func (s *Emails) Attempted(ctx context.Context, id, jobID int64, attempt int, status, lastError string) error {
	_, err := s.db.Exec(ctx, `UPDATE order_emails SET status = $2, attempts = $3, last_error = $4, updated_at = now(),
		job_id = $5
		WHERE id = $1 AND status <> 'sent'`, id, status, attempt, truncate(lastError, 1000), jobID)
	return translate(err)
}

// Sent records an e-mail sent by job jobID.
func (s *Emails) Sent(ctx context.Context, id, jobID int64, attempt int) error {
	_, err := s.db.Exec(ctx, `UPDATE order_emails SET status = 'sent', attempts = $2, last_error = '', sent_at = now(), updated_at = now(),
		job_id = $3
		WHERE id = $1`, id, attempt, jobID)
	return translate(err)
}

// Requeue puts an e-mail back in the queue for the admin's resend.
func (s *Emails) Requeue(ctx context.Context, id int64) error {
	_, err := s.db.Exec(ctx, `UPDATE order_emails SET status = 'queued', sent_at = NULL, updated_at = now() WHERE id = $1`, id)
	return translate(err)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// Dispute flags an order disputed, with Stripe's reason and amount.
func (s *Orders) Dispute(ctx context.Context, id string, d shop.Dispute, note string) error {
	_, err := s.db.Exec(ctx, `UPDATE orders SET disputed = true, dispute_reason = $2, dispute_amount = $3,
		flagged = true, flag_reason = $4, updated_at = now() WHERE id = $1`, id, d.Reason, d.Amount, note)
	return translate(err)
}

// DisputeOf returns the dispute recorded on an order (zero when none).
func (s *Orders) DisputeOf(ctx context.Context, id string) (shop.Dispute, error) {
	var d shop.Dispute
	err := s.db.QueryRow(ctx, `SELECT dispute_reason, dispute_amount FROM orders WHERE id = $1`, id).Scan(&d.Reason, &d.Amount)
	return d, translate(err)
}

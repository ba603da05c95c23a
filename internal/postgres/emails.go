package postgres

import (
	"context"
	"errors"
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

// NewEmail is an e-mail to record: the job that sends it names it.
type NewEmail struct {
	OrderID   string
	Kind      shop.EmailKind
	Recipient string
	MessageID string
}

// Record returns the record of an e-mail, written now by the job jobID
// that sends it, at its first attempt, with the job's id for its own; an
// e-mail recorded before (an attempt before, or a job queued again after
// River cleaned the first away) is returned as it is. One statement.
func (s *Emails) Record(ctx context.Context, jobID int64, e NewEmail) (shop.Email, error) {
	return scanEmail(s.db.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO order_emails (id, order_id, kind, recipient, message_id, job_id)
			VALUES ($1, $2, $3, $4, $5, $1)
			ON CONFLICT (order_id, kind) DO NOTHING
			RETURNING `+emailColumns+`
		)
		SELECT * FROM ins
		UNION ALL
		SELECT `+emailColumns+` FROM order_emails WHERE order_id = $2 AND kind = $3
		LIMIT 1`, jobID, e.OrderID, e.Kind, e.Recipient, e.MessageID))
}

// SetJobs notes the job that sends each e-mail (ids and jobIDs pair up);
// in a Tx it goes with the next statement or the commit.
func (s *Emails) SetJobs(ctx context.Context, ids, jobIDs []int64) error {
	return execLater(ctx, s.db, `UPDATE order_emails e SET job_id = j.job
		FROM unnest($1::bigint[], $2::bigint[]) AS j(id, job) WHERE e.id = j.id`, ids, jobIDs)
}

// emailsSQL selects the e-mails that records (a condition on
// order_emails) and jobs (the same condition on River's job j) keep: the
// recorded ones, and those whose job has not written a record yet, read
// from the job (River's send_email, its args as jobs.SendEmailArgs writes
// them) under the id their record will take: queued, retrying after a
// failure that came before the record (the order could not be read, say),
// or failed when River gave the job up or it was cancelled.
func emailsSQL(records, jobs string) string {
	return `SELECT ` + emailColumns + ` FROM order_emails WHERE ` + records + `
		UNION ALL
		SELECT j.id, j.args->>'order_id', j.args->>'kind', coalesce(j.args->>'recipient', ''),
			CASE WHEN j.state IN ('discarded', 'cancelled') THEN 'failed' WHEN j.state = 'retryable' THEN 'retrying' ELSE 'queued' END,
			CASE WHEN j.state IN ('discarded', 'cancelled', 'retryable') THEN j.attempt ELSE 0 END,
			coalesce(j.errors[array_length(j.errors, 1)]->>'error', ''),
			coalesce(j.args->>'message_id', ''), j.created_at, j.created_at, NULL::timestamptz
		FROM river_job j
		WHERE ` + jobs + ` AND j.kind = 'send_email' AND j.state <> 'completed'
			AND NOT EXISTS (SELECT 1 FROM order_emails e
				WHERE e.order_id = (j.args->>'order_id')::uuid AND e.kind = j.args->>'kind')`
}

// Get returns an e-mail by id.
func (s *Emails) Get(ctx context.Context, id int64) (shop.Email, error) {
	return scanEmail(s.db.QueryRow(ctx, emailsSQL(`id = $1`, `j.id = $1`), id))
}

// ForOrder lists an order's e-mails, oldest first (River's index on the
// args finds the order's jobs).
func (s *Emails) ForOrder(ctx context.Context, orderID string) ([]shop.Email, error) {
	rows, err := s.db.Query(ctx, emailsSQL(`order_id = $1::text::uuid`, `j.args @> jsonb_build_object('order_id', $1::text)`)+`
		ORDER BY id`, orderID)
	return collect(rows, err, scanEmail)
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

// Requeue puts an e-mail back in the queue for the admin's resend and
// returns the job that last ran it; false when the e-mail has no record
// (its job gave up before writing one).
func (s *Emails) Requeue(ctx context.Context, id int64) (jobID int64, recorded bool, err error) {
	err = s.db.QueryRow(ctx, `UPDATE order_emails SET status = 'queued', sent_at = NULL, updated_at = now() WHERE id = $1
		RETURNING coalesce(job_id, 0)`, id).Scan(&jobID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	return jobID, err == nil, translate(err)
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

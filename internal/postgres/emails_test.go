package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// An e-mail whose job has not written its record is read from the job:
// queued with no attempt while it waits, retrying or failed, with the
// job's attempts and last error, when the job failed before it could; once
// recorded, the record alone is read.
func TestEmailsReadFromTheirJobUntilRecorded(t *testing.T) {
	ctx := context.Background()
	pool, p := withProduct(t, -1)
	o, err := postgres.NewOrders(pool).Place(ctx, p.ID, 1, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	job := func(kind, state string, attempt int, lastError string) int64 {
		t.Helper()
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO river_job (args, kind, max_attempts, state, attempt, errors, finalized_at)
			VALUES (jsonb_build_object('order_id', $1::text, 'kind', $2::text, 'recipient', 'a@example.com', 'message_id', 'm-' || $2),
				'send_email', 12, $3::river_job_state, $4::smallint,
				CASE WHEN $5::text = '' THEN NULL ELSE ARRAY[jsonb_build_object('attempt', $4::smallint, 'error', $5::text)] END,
				CASE WHEN $3 IN ('completed', 'discarded', 'cancelled') THEN now() END)
			RETURNING id`, o.ID, kind, state, attempt, lastError).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	queued := job("order_confirmation", "available", 0, "")
	retrying := job("staff_new_order", "retryable", 2, "order not found")
	failed := job("payment_failed", "discarded", 12, "connection refused")
	done := job("refund_issued", "completed", 1, "")
	emails := postgres.NewEmails(pool)
	if _, err := emails.Record(ctx, done, postgres.NewEmail{OrderID: o.ID, Kind: shop.EmailRefunded, Recipient: "a@example.com", MessageID: "m-refund_issued"}); err != nil {
		t.Fatal(err)
	}
	got, err := emails.ForOrder(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id                int64
		kind, status, err string
		attempts          int
	}{
		{queued, "order_confirmation", shop.EmailQueued, "", 0},
		{retrying, "staff_new_order", shop.EmailRetrying, "order not found", 2},
		{failed, "payment_failed", shop.EmailGaveUp, "connection refused", 12},
		{done, "refund_issued", shop.EmailQueued, "", 0}, // the record, as Record wrote it
	}
	if len(got) != len(want) {
		t.Fatalf("%d e-mails %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.id || string(g.Kind) != w.kind || g.Status != w.status || g.LastError != w.err || g.Attempts != w.attempts ||
			g.Recipient != "a@example.com" || g.MessageID != "m-"+w.kind {
			t.Errorf("e-mail %d: %+v, want %+v", i, g, w)
		}
	}
	if e, err := emails.Get(ctx, failed); err != nil || e.Status != shop.EmailGaveUp || e.OrderID != o.ID {
		t.Errorf("Get of the failed job's e-mail: %+v, %v", e, err)
	}
}

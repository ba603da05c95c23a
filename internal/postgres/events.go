package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stripeshop/stripeshop/internal/shop"
)

// Events is the inbox of Stripe webhook events.
type Events struct{ db DBTX }

// NewEvents returns the event store over db.
func NewEvents(db DBTX) *Events { return &Events{db: db} }

const eventColumns = `id, type, api_version, order_id::text, received_at, processed_at, note, payload`

func scanEvent(row pgx.Row) (shop.Event, error) {
	var e shop.Event
	err := row.Scan(&e.ID, &e.Type, &e.APIVersion, &e.OrderID, &e.ReceivedAt, &e.ProcessedAt, &e.Note, &e.Payload)
	e.Error = e.Note
	return e, translate(err)
}

// Insert records an event unless its id is already in the inbox, and reports
// whether it was new. A concurrent insert of the same id waits for the first
// transaction and then reports false, so an event is applied once.
//
// An event about a payment first takes the payment's lock (LockPaymentIntent),
// in the same round trip: the insert reads from the lock, so it waits for it.
func (s *Events) Insert(ctx context.Context, e shop.Event) (bool, error) {
	sql, args := insertEventSQL(e)
	tag, err := s.db.Exec(ctx, sql, args...)
	if err != nil {
		return false, translate(err)
	}
	return tag.RowsAffected() == 1, nil
}

func insertEventSQL(e shop.Event) (string, []any) {
	if e.PaymentIntentID == "" {
		return `INSERT INTO stripe_events (id, type, api_version, payload, payment_intent_id)
		VALUES ($1, $2, $3, $4, NULL)
		ON CONFLICT (id) DO NOTHING`, []any{e.ID, e.Type, e.APIVersion, e.Payload}
	}
	return `WITH lock AS (SELECT pg_advisory_xact_lock(hashtext('stripeshop:pi:' || $5::text)))
		INSERT INTO stripe_events (id, type, api_version, payload, payment_intent_id)
		SELECT $1, $2, $3, $4, $5 FROM lock
		ON CONFLICT (id) DO NOTHING`, []any{e.ID, e.Type, e.APIVersion, e.Payload, e.PaymentIntentID}
}

// EventLock is what InsertAndLockOrder learnt.
type EventLock struct {
	Fresh bool       // the event was not in the inbox yet
	Found bool       // the order exists
	Order shop.Order // locked FOR UPDATE, when found
	// RefundsWaiting says whether refunds of the event's payment intent
	// were recorded before an order knew the payment (false when the
	// event names none). Inside a Tx the payment's lock, taken by the
	// insert, keeps the answer fixed until the transaction ends.
	RefundsWaiting bool
}

// InsertAndLockOrder is Insert, then Orders.Lock of the order the event
// names, in one round trip: the lock its handling takes next, taken
// after the payment's lock as everywhere else; with it, whether refunds of
// the event's payment wait for an order. The order is locked even when the
// event is a duplicate, which costs a duplicate nothing but a short wait.
// orderID must be a UUID; the store must be over a Tx.
func (s *Events) InsertAndLockOrder(ctx context.Context, e shop.Event, orderID string) (EventLock, error) {
	tx, ok := s.db.(*Tx)
	if !ok {
		return EventLock{}, errors.New("InsertAndLockOrder takes locks for a transaction: use it on a Tx")
	}
	var l EventLock
	insert, args := insertEventSQL(e)
	var orderErr error
	err := tx.send(ctx, tx.with(func(b *pgx.Batch) {
		b.Queue(insert, args...).Exec(func(tag pgconn.CommandTag) error {
			l.Fresh = tag.RowsAffected() == 1
			return nil
		})
		b.Queue(lockOrderSQL, orderID) // then read, after the lock (see Orders.Lock)
		b.Queue(lockedOrderSQL, orderID, nullIfEmpty(e.PaymentIntentID)).QueryRow(func(row pgx.Row) error {
			l.Order, orderErr = scanOrder(row, &l.RefundsWaiting)
			if shop.ErrorCode(orderErr) == shop.ErrNotFound {
				return nil // an answer, not a failure (see txRow.Scan)
			}
			return orderErr
		})
	}))
	if err != nil {
		return EventLock{}, translate(err)
	}
	l.Found = orderErr == nil
	return l, nil
}

// Get returns an event.
func (s *Events) Get(ctx context.Context, id string) (shop.Event, error) {
	return scanEvent(s.db.QueryRow(ctx, `SELECT `+eventColumns+` FROM stripe_events WHERE id = $1`, id))
}

// GetForUpdate returns and locks an event.
func (s *Events) GetForUpdate(ctx context.Context, id string) (shop.Event, error) {
	return scanEvent(s.db.QueryRow(ctx, `SELECT `+eventColumns+` FROM stripe_events WHERE id = $1 FOR UPDATE`, id))
}

// UnmatchedRefunds returns, oldest first and locked, the refunds of a
// payment intent that wait for its order (refundsWaiting).
func (s *Events) UnmatchedRefunds(ctx context.Context, paymentIntentID string) ([]shop.Event, error) {
	return collectEvents(s.db.Query(ctx, `
		SELECT `+eventColumns+` FROM stripe_events e
		WHERE `+refundsWaiting("$1")+`
		ORDER BY received_at, id FOR UPDATE`, paymentIntentID))
}

// LockPaymentIntent serialises, until the transaction ends, the work on one
// payment: its payment and its refunds may be reported at the same moment,
// in either order. Take it before any row lock.
func LockPaymentIntent(ctx context.Context, tx DBTX, paymentIntentID string) error {
	if paymentIntentID == "" {
		return nil
	}
	return execLater(ctx, tx, `SELECT pg_advisory_xact_lock(hashtext('stripeshop:pi:' || $1))`, paymentIntentID)
}

// MarkProcessed records the outcome of applying an event: the order it
// concerned and a note for the admin; in a Tx it goes with the commit.
func (s *Events) MarkProcessed(ctx context.Context, id string, orderID string, note string) error {
	return execLater(ctx, s.db, `
		UPDATE stripe_events SET processed_at = now(), note = $3,
			order_id = coalesce(nullif($2, '')::uuid, order_id)
		WHERE id = $1`, id, orderID, note)
}

// ForOrder lists an order's events, oldest first.
func (s *Events) ForOrder(ctx context.Context, orderID string) ([]shop.Event, error) {
	return collectEvents(s.db.Query(ctx, `
		SELECT `+eventColumns+` FROM stripe_events WHERE order_id = $1 ORDER BY received_at, id`, orderID))
}

// List returns a page of the event log, newest first.
func (s *Events) List(ctx context.Context, limit int, cursor string) ([]shop.Event, string, error) {
	at, id := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), "\U0010FFFF"
	if cursor != "" {
		var err error
		if at, id, err = decodeEventCursor(cursor); err != nil {
			return nil, "", err
		}
	}
	events, err := collectEvents(s.db.Query(ctx, `
		SELECT `+eventColumns+` FROM stripe_events
		WHERE (received_at, id) < ($1, $2)
		ORDER BY received_at DESC, id DESC LIMIT $3`, at, id, limit+1))
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(events) > limit {
		events = events[:limit]
		last := events[len(events)-1]
		next = encodeCursor(last.ReceivedAt, last.ID)
	}
	return events, next, nil
}

func decodeEventCursor(c string) (time.Time, string, error) {
	// Event ids are Stripe's (evt_…), not UUIDs: reuse the order cursor's
	// format with a relaxed id check.
	t, id, err := decodeCursorAny(c)
	if err != nil || id == "" {
		return time.Time{}, "", shop.Invalid(map[string]string{"cursor": "is not a cursor this server issued"})
	}
	return t, id, nil
}

func collectEvents(rows pgx.Rows, err error) ([]shop.Event, error) {
	return collect(rows, err, scanEvent)
}

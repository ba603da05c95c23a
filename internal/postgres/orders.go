package postgres

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stripeshop/stripeshop/internal/shop"
)

// Orders stores checkouts and their statuses.
type Orders struct{ db DBTX }

// NewOrders returns the order store over db.
func NewOrders(db DBTX) *Orders { return &Orders{db: db} }

const orderColumns = `id::text, number, status, product_id::text, product_name, unit_amount, quantity, amount_total,
	currency, customer_email, coalesce(session_id, ''), coalesce(payment_intent_id, ''), flagged, flag_reason,
	expires_at, created_at, updated_at, paid_at, refunded_at, reserved`

func scanOrder(row pgx.Row, extra ...any) (shop.Order, error) {
	var o shop.Order
	err := row.Scan(append([]any{&o.ID, &o.Number, &o.Status, &o.ProductID, &o.ProductName, &o.UnitAmount, &o.Quantity, &o.AmountTotal,
		&o.Currency, &o.CustomerEmail, &o.SessionID, &o.PaymentIntentID, &o.Flagged, &o.FlagReason,
		&o.ExpiresAt, &o.CreatedAt, &o.UpdatedAt, &o.PaidAt, &o.RefundedAt, &o.Reserved}, extra...)...)
	return o, translate(err)
}

func collectOrders(rows pgx.Rows, err error) ([]shop.Order, error) {
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	orders := []shop.Order{}
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, err
		}
		orders = append(orders, o)
	}
	return orders, translate(rows.Err())
}

// Buyer is who places an order: the client it counts against
// (clientip.Key), and the most units that client may hold in open
// (pending or processing) orders at once, the new one included; 0 is no cap.
type Buyer struct {
	ClientKey string
	MaxUnits  int64
}

// capped says whether the buyer's open orders limit a new one.
func (b Buyer) capped() bool { return b.ClientKey != "" && b.MaxUnits > 0 }

// Place records a pending order for an anonymous buyer with no cap: see PlaceFor.
func (s *Orders) Place(ctx context.Context, productID string, qty int64, expiresAt time.Time) (shop.Order, error) {
	return s.PlaceFor(ctx, Buyer{}, productID, qty, expiresAt)
}

// PlaceFor records a pending order for qty units of an active product at
// its current name and price, and takes the units from a product with
// limited stock, in one statement: one round trip, and a transaction of its
// own that holds the product's row lock (when there is stock to take) only
// for that statement and its commit. Concurrent buyers can never oversell:
// the UPDATE takes units only where enough are left. A product with
// unlimited stock is read, not locked, and its order reserves nothing. The
// order records the buyer's client key; qty above the product's
// max_per_order places nothing.
//
// A capped buyer's open orders are summed in the same statement, and the
// order is placed only if they and qty stay within the cap. Two checkouts
// of one client must not both count the units before either is written,
// so the statement runs after the client's transaction-scoped advisory
// lock, in one implicit transaction (a pgx batch: still one round trip):
// under READ COMMITTED the statement's snapshot is taken after the lock is
// granted, so it sees every order of that client committed before. Other
// clients never wait for it.
//
// When nothing was placed, PlaceFor looks at the product (and the buyer's
// open orders) to say why: not_found (unknown or archived), invalid (above
// the product's max_per_order, or a total above what a payment can take),
// conflict (the buyer's cap, or not enough stock); a product that changed
// between the two (made limited or unlimited meanwhile) is tried again.
func (s *Orders) PlaceFor(ctx context.Context, b Buyer, productID string, qty int64, expiresAt time.Time) (shop.Order, error) {
	for range 3 {
		o, err := s.place(ctx, b, productID, qty, expiresAt)
		if shop.ErrorCode(err) != shop.ErrNotFound {
			return o, err
		}
		p, err := NewProducts(s.db).Get(ctx, productID)
		switch {
		case err != nil:
			return shop.Order{}, err
		case !p.Active:
			return shop.Order{}, shop.Errorf(shop.ErrNotFound, "product not found")
		case p.MaxPerOrder != nil && qty > *p.MaxPerOrder:
			return shop.Order{}, shop.Invalid(map[string]string{"quantity": fmt.Sprintf("must be at most %d for this product", *p.MaxPerOrder)})
		case p.UnitAmount*qty > shop.MaxUnitAmount:
			// Stripe's largest charge has eight digits.
			return shop.Order{}, shop.Invalid(map[string]string{"quantity": "makes a total above the largest amount a payment can take"})
		}
		if b.capped() {
			held, err := s.held(ctx, b.ClientKey)
			if err != nil {
				return shop.Order{}, err
			}
			if held+qty > b.MaxUnits {
				return shop.Order{}, shop.Errorf(shop.ErrConflict,
					"you already hold %d units in checkouts not yet paid, and one customer may hold at most %d at once; "+
						"finish or cancel a checkout, or wait for it to expire", held, b.MaxUnits)
			}
		}
		if p.Stock != nil && *p.Stock < qty {
			return shop.Order{}, shop.Errorf(shop.ErrConflict, "not enough stock")
		}
		// Made limited, unlimited or restocked since the statement looked,
		// or the buyer's open orders ended meanwhile: again.
	}
	return shop.Order{}, shop.Errorf(shop.ErrConflict, "not enough stock")
}

// placeSQL is PlaceFor's statement. $5 is the buyer's client key (NULL for
// none) and $6 its cap (0 for none).
var placeSQL = `
	WITH held AS (` + heldUnitsSQL("$5::text") + `), taken AS (
		UPDATE products SET stock = stock - $2::bigint
		WHERE id = $1 AND active AND stock >= $2::bigint AND unit_amount * $2::bigint <= $4
			AND $2::bigint <= coalesce(max_per_order, $2::bigint)
			AND ($6::bigint = 0 OR (SELECT units FROM held) + $2::bigint <= $6::bigint)
		RETURNING id, name, unit_amount, currency, $2::bigint AS reserved
	), free AS (
		SELECT id, name, unit_amount, currency, 0::bigint AS reserved FROM products
		WHERE id = $1 AND active AND stock IS NULL AND unit_amount * $2::bigint <= $4
			AND $2::bigint <= coalesce(max_per_order, $2::bigint)
			AND ($6::bigint = 0 OR (SELECT units FROM held) + $2::bigint <= $6::bigint)
	)
	INSERT INTO orders (product_id, product_name, unit_amount, quantity, amount_total, currency, expires_at, reserved, client_key)
	SELECT id, name, unit_amount, $2::bigint, unit_amount * $2::bigint, currency, $3, reserved, $5::text
	FROM (SELECT * FROM taken UNION ALL SELECT * FROM free) p
	RETURNING ` + orderColumns

// lockBuyerSQL serializes the checkouts of one client (see PlaceFor).
const lockBuyerSQL = `SELECT pg_advisory_xact_lock(hashtext('stripeshop:client:' || $1::text))`

// place runs placeSQL once: not_found when it placed nothing.
func (s *Orders) place(ctx context.Context, b Buyer, productID string, qty int64, expiresAt time.Time) (shop.Order, error) {
	limit := int64(0)
	if b.capped() {
		limit = b.MaxUnits
	}
	args := []any{productID, qty, expiresAt, shop.MaxUnitAmount, nullIfEmpty(b.ClientKey), limit}
	if !b.capped() {
		return scanOrder(s.db.QueryRow(ctx, placeSQL, args...))
	}
	if tx, ok := s.db.(*Tx); ok {
		tx.Later(lockBuyerSQL, b.ClientKey) // travels with the statement
		return scanOrder(tx.QueryRow(ctx, placeSQL, args...))
	}
	batcher, ok := s.db.(interface {
		SendBatch(context.Context, *pgx.Batch) pgx.BatchResults
	})
	if !ok {
		return shop.Order{}, fmt.Errorf("place: %T cannot send a batch", s.db)
	}
	var (
		o       shop.Order
		scanErr error
	)
	batch := &pgx.Batch{}
	batch.Queue(lockBuyerSQL, b.ClientKey)
	batch.Queue(placeSQL, args...).QueryRow(func(row pgx.Row) error {
		o, scanErr = scanOrder(row)
		if shop.ErrorCode(scanErr) == shop.ErrNotFound {
			return nil // an answer, not a failure (see txRow.Scan)
		}
		return scanErr
	})
	if err := batcher.SendBatch(ctx, batch).Close(); err != nil {
		return shop.Order{}, translate(err)
	}
	return o, scanErr
}

// heldUnitsSQL sums, as units, what the client key (a query parameter)
// holds in open orders; a NULL key holds nothing.
func heldUnitsSQL(clientKey string) string {
	return `SELECT coalesce(sum(quantity), 0) AS units FROM orders
		WHERE client_key = ` + clientKey + ` AND status IN ('pending', 'processing')`
}

// held is the units a client holds in open orders.
func (s *Orders) held(ctx context.Context, clientKey string) (int64, error) {
	var n int64
	err := s.db.QueryRow(ctx, heldUnitsSQL("$1"), clientKey).Scan(&n)
	return n, translate(err)
}

// Get returns an order by id.
func (s *Orders) Get(ctx context.Context, id string) (shop.Order, error) {
	return scanOrder(s.db.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, id))
}

// BySession returns the order of a Checkout Session.
func (s *Orders) BySession(ctx context.Context, sessionID string) (shop.Order, error) {
	return scanOrder(s.db.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE session_id = $1`, sessionID))
}

// ByPaymentIntentForUpdate returns and locks the order paid by a payment intent.
func (s *Orders) ByPaymentIntentForUpdate(ctx context.Context, pi string) (shop.Order, error) {
	return scanOrder(s.db.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE payment_intent_id = $1 FOR UPDATE`, pi))
}

// SetSession records the Checkout Session created for an order. It commits
// without waiting for the WAL flush (synchronous_commit off for its own
// transaction: call it on the pool, never inside a transaction), which saves a customer a disk flush on the
// way to Stripe: losing the write in a database crash costs nothing,
// because the webhook finds the order by the order id in the session's
// metadata, and the reconciler by the idempotency key, and both record the
// session then.
func (s *Orders) SetSession(ctx context.Context, id, sessionID string) error {
	_, err := s.db.Exec(ctx, `
		WITH async AS (SELECT set_config('synchronous_commit', 'off', true))
		UPDATE orders SET session_id = $2, updated_at = now() FROM async
		WHERE id = $1 AND session_id IS NULL`, id, sessionID)
	return translate(err)
}

// refundsWaiting is the condition on stripe_events e of a refund of the
// payment intent pi (a query parameter) that did not apply: recorded before
// any order knew the payment, or before its order was paid. They wait for
// the order's move to paid (Lock answers whether there are any;
// UnmatchedRefunds lists them).
func refundsWaiting(pi string) string {
	return `e.payment_intent_id = ` + pi + ` AND e.type = 'charge.refunded' AND (e.order_id IS NULL OR e.note <> '')`
}

// Lock locks an order for the rest of the transaction and says whether
// refunds of payment intent pi wait for it ("" for none). Take the
// payment's lock first (LockPaymentIntent): it keeps the answer true until
// the transaction ends.
func (s *Orders) Lock(ctx context.Context, id, pi string) (o shop.Order, waiting bool, err error) {
	o, err = scanOrder(s.db.QueryRow(ctx, lockOrderSQL, id, nullIfEmpty(pi)), &waiting)
	return o, waiting, err
}

var lockOrderSQL = `SELECT ` + orderColumns + `, EXISTS (SELECT 1 FROM stripe_events e WHERE ` + refundsWaiting("$2") + `)
	FROM orders WHERE id = $1 FOR UPDATE`

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil // no refund matches NULL
	}
	return &s
}

// Apply writes a move the domain decided (shop.Order.Move) for an order
// the transaction holds locked, and gives its released units back to the
// product in the same statement; in a Tx it goes with the next statement
// or the commit. The status it moves from is part of the condition, so a
// move made on a stale row writes nothing.
func (s *Orders) Apply(ctx context.Context, m shop.Move) error {
	o := m.Order
	return execLater(ctx, s.db, `
		WITH moved AS (
			UPDATE orders SET status = $2, updated_at = now(), paid_at = $3, refunded_at = $4, reserved = $5,
				session_id = nullif($6, ''), payment_intent_id = nullif($7, ''), customer_email = $8
			WHERE id = $1 AND status = $9
			RETURNING product_id
		)
		UPDATE products p SET stock = LEAST(p.stock + $10, 1000000)
		FROM moved WHERE p.id = moved.product_id AND p.stock IS NOT NULL AND $10 > 0`,
		o.ID, o.Status, o.PaidAt, o.RefundedAt, o.Reserved, o.SessionID, o.PaymentIntentID, o.CustomerEmail,
		m.From, m.Released)
}

// Flag marks an order for the admin's attention.
func (s *Orders) Flag(ctx context.Context, id, reason string) error {
	_, err := s.db.Exec(ctx, `UPDATE orders SET flagged = true, flag_reason = $2, updated_at = now() WHERE id = $1`, id, reason)
	return translate(err)
}

// Open returns pending and processing orders created before `before`, the
// least recently reconciled first: the ones the reconciler looks at.
func (s *Orders) Open(ctx context.Context, before time.Time, limit int) ([]shop.Order, error) {
	return collectOrders(s.db.Query(ctx, `
		SELECT `+orderColumns+` FROM orders
		WHERE status IN ('pending', 'processing') AND created_at < $1
		ORDER BY reconciled_at NULLS FIRST, created_at LIMIT $2`, before, limit))
}

// MarkReconciled records that the reconciler asked Stripe about an order.
func (s *Orders) MarkReconciled(ctx context.Context, id string) error {
	_, err := s.db.Exec(ctx, `UPDATE orders SET reconciled_at = now() WHERE id = $1`, id)
	return translate(err)
}

// ListFilter selects a page of orders.
type ListFilter struct {
	Status shop.Status // empty for all
	Number int64       // 0 for all
	Limit  int
	Cursor string
}

// List returns a page of orders, newest first, and the cursor of the next page.
func (s *Orders) List(ctx context.Context, f ListFilter) ([]shop.Order, string, error) {
	var (
		at time.Time
		id = "ffffffff-ffff-ffff-ffff-ffffffffffff"
	)
	at = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	if f.Cursor != "" {
		var err error
		if at, id, err = decodeCursor(f.Cursor); err != nil {
			return nil, "", err
		}
	}
	orders, err := collectOrders(s.db.Query(ctx, `
		SELECT `+orderColumns+` FROM orders
		WHERE ($1 = '' OR status = $1) AND ($5::bigint = 0 OR number = $5::bigint) AND (created_at, id) < ($2, $3::uuid)
		ORDER BY created_at DESC, id DESC LIMIT $4`, string(f.Status), at, id, f.Limit+1, f.Number))
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(orders) > f.Limit {
		orders = orders[:f.Limit]
		last := orders[len(orders)-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	return orders, next, nil
}

// A cursor is the (time, id) of the last row of a page; opaque to clients.
func encodeCursor(t time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(t.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeCursor(c string) (time.Time, string, error) {
	t, id, err := decodeCursorAny(c)
	id, ok := shop.ParseID(id)
	if err != nil || !ok {
		return time.Time{}, "", shop.Invalid(map[string]string{"cursor": "is not a cursor this server issued"})
	}
	return t, id, nil
}

func decodeCursorAny(c string) (time.Time, string, error) {
	bad := shop.Invalid(map[string]string{"cursor": "is not a cursor this server issued"})
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) > 200 {
		return time.Time{}, "", bad
	}
	ts, id, ok := strings.Cut(string(b), "|")
	if !ok {
		return time.Time{}, "", bad
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, "", bad
	}
	return t, id, nil
}

// DayStats is one day of the admin dashboard.
type DayStats struct {
	Date    string           `json:"date"`
	Orders  int64            `json:"orders"`
	Revenue map[string]int64 `json:"revenue"`
}

// Stats returns, for each of the last `days` days (UTC), the orders paid that
// day and their revenue by currency (refunded orders count as orders but not
// as revenue), and the number of orders in each status.
func (s *Orders) Stats(ctx context.Context, days int, now time.Time) ([]DayStats, map[string]int64, error) {
	start := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -(days - 1))
	rows, err := s.db.Query(ctx, `
		SELECT to_char(date_trunc('day', paid_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD'), currency,
			count(*), coalesce(sum(amount_total) FILTER (WHERE status = 'paid'), 0)
		FROM orders
		WHERE paid_at >= $1 AND status IN ('paid', 'refunded')
		GROUP BY 1, 2`, start)
	if err != nil {
		return nil, nil, translate(err)
	}
	byDate := map[string]*DayStats{}
	out := make([]DayStats, days)
	for i := range out {
		d := start.AddDate(0, 0, i).Format("2006-01-02")
		out[i] = DayStats{Date: d, Revenue: map[string]int64{}}
		byDate[d] = &out[i]
	}
	for rows.Next() {
		var (
			date, cur      string
			count, revenue int64
		)
		if err := rows.Scan(&date, &cur, &count, &revenue); err != nil {
			rows.Close()
			return nil, nil, translate(err)
		}
		if d := byDate[date]; d != nil {
			d.Orders += count
			if revenue > 0 {
				d.Revenue[cur] += revenue
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, translate(err)
	}
	byStatus := map[string]int64{}
	for _, st := range shop.Statuses {
		byStatus[string(st)] = 0
	}
	rows, err = s.db.Query(ctx, `SELECT status, count(*) FROM orders GROUP BY status`)
	if err != nil {
		return nil, nil, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			st string
			n  int64
		)
		if err := rows.Scan(&st, &n); err != nil {
			return nil, nil, translate(err)
		}
		byStatus[st] = n
	}
	return out, byStatus, translate(rows.Err())
}

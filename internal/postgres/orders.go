package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stripeshop/stripeshop/internal/shop"
)

// Orders stores checkouts and their statuses.
type Orders struct{ db DBTX }

// NewOrders returns the order store over db.
func NewOrders(db DBTX) *Orders { return &Orders{db: db} }

// orderColumns reads an order with its lines (a JSON array, in their
// order) in the same statement.
const orderColumns = `id::text, number, status, product_id::text, product_name, unit_amount, quantity, amount_total,
	currency, customer_email, coalesce(session_id, ''), coalesce(payment_intent_id, ''), flagged, flag_reason,
	expires_at, created_at, updated_at, paid_at, refunded_at, amount_subtotal, amount_discount, amount_shipping,
	amount_tax, amount_refunded, shipping, promotion_code, cancelled_at, shipping_options,
	(SELECT coalesce(json_agg(json_build_object('product_id', l.product_id, 'product_name', l.product_name,
		'unit_amount', l.unit_amount, 'quantity', l.quantity, 'reserved', l.reserved,
		'refunded_quantity', l.refunded_quantity, 'tax_code', l.tax_code, 'image', l.image) ORDER BY l.position), '[]')
	 FROM order_lines l WHERE l.order_id = orders.id)`

// lineRow is a line as orderColumns reads it.
type lineRow struct {
	ProductID        string `json:"product_id"`
	ProductName      string `json:"product_name"`
	UnitAmount       int64  `json:"unit_amount"`
	Quantity         int64  `json:"quantity"`
	Reserved         int64  `json:"reserved"`
	RefundedQuantity int64  `json:"refunded_quantity"`
	TaxCode          string `json:"tax_code"`
	Image            string `json:"image"`
}

// shippingOption is a shipping option as orders.shipping_options keeps it.
type shippingOption struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Amount  int64  `json:"amount"`
	MinDays *int64 `json:"min_days"`
	MaxDays *int64 `json:"max_days"`
}

func scanOrder(row pgx.Row, extra ...any) (shop.Order, error) {
	var (
		o                     shop.Order
		shipping, options, ls []byte
	)
	err := row.Scan(append([]any{&o.ID, &o.Number, &o.Status, &o.ProductID, &o.ProductName, &o.UnitAmount, &o.Quantity, &o.AmountTotal,
		&o.Currency, &o.CustomerEmail, &o.SessionID, &o.PaymentIntentID, &o.Flagged, &o.FlagReason,
		&o.ExpiresAt, &o.CreatedAt, &o.UpdatedAt, &o.PaidAt, &o.RefundedAt, &o.AmountSubtotal, &o.AmountDiscount, &o.AmountShipping,
		&o.AmountTax, &o.AmountRefunded, &shipping, &o.PromotionCode, &o.CancelledAt, &options, &ls}, extra...)...)
	if err != nil {
		return o, translate(err)
	}
	if len(shipping) > 0 {
		o.Shipping = &shop.Shipping{}
		if err := json.Unmarshal(shipping, o.Shipping); err != nil {
			return o, fmt.Errorf("order %s shipping: %w", o.ID, err)
		}
	}
	if options != nil { // NULL: placed before the options were kept
		var opts []shippingOption
		if err := json.Unmarshal(options, &opts); err != nil {
			return o, fmt.Errorf("order %s shipping options: %w", o.ID, err)
		}
		o.ShippingOptions = make([]shop.ShippingRate, len(opts))
		for i, r := range opts {
			o.ShippingOptions[i] = shop.ShippingRate{ID: r.ID, Name: r.Name, Amount: r.Amount, Currency: o.Currency,
				MinDays: r.MinDays, MaxDays: r.MaxDays, Active: true}
		}
	}
	var lines []lineRow
	if err := json.Unmarshal(ls, &lines); err != nil {
		return o, fmt.Errorf("order %s lines: %w", o.ID, err)
	}
	o.Lines = make([]shop.Line, len(lines))
	for i, l := range lines {
		o.Lines[i] = shop.Line{ProductID: l.ProductID, ProductName: l.ProductName, UnitAmount: l.UnitAmount,
			Quantity: l.Quantity, AmountSubtotal: l.UnitAmount * l.Quantity, RefundedQuantity: l.RefundedQuantity,
			TaxCode: l.TaxCode, Reserved: l.Reserved, Image: l.Image}
	}
	return o, nil
}

func collectOrders(rows pgx.Rows, err error) ([]shop.Order, error) {
	return collect(rows, err, func(r pgx.Row) (shop.Order, error) { return scanOrder(r) })
}

// Buyer is who places an order: the client it counts against
// (clientip.Key), and the most units that client may hold in open
// (pending or processing) orders at once, the new one included; 0 is no cap.
type Buyer struct {
	ClientKey string
	MaxUnits  int64
	// FreeShippingOver is the subtotal (minor units) from which the order
	// is offered free shipping (FREE_SHIPPING_OVER); 0 is never.
	FreeShippingOver int64
}

// capped says whether the buyer's open orders limit a new one.
func (b Buyer) capped() bool { return b.ClientKey != "" && b.MaxUnits > 0 }

// Place records a pending order of qty units of one product for an
// anonymous buyer with no cap: see PlaceFor.
func (s *Orders) Place(ctx context.Context, productID string, qty int64, expiresAt time.Time) (shop.Order, error) {
	return s.PlaceFor(ctx, Buyer{}, []shop.Item{{ProductID: productID, Quantity: qty}}, expiresAt)
}

// PlaceFor records a pending order of a cart's items (checked by
// shop.CheckItems) at the products' current names and prices, and takes
// every line's units from limited stock: all lines or none. On the pool it
// runs a transaction of its own; in a Tx, in that one.
//
// Two round trips. The first (with BEGIN, and the buyer's advisory lock
// when capped) locks the cart's products of limited stock in id order, so
// that two carts holding the same products in opposite order queue for the
// first of them instead of deadlocking, and reads them (and those of
// unlimited stock, unlocked) with the units the buyer holds in open
// orders, the new order's id, number and time. A product made unlimited
// while the statement waited for its lock is missed by both reads: on the
// pool the cart is tried once more before it is answered as one of an
// unavailable product. The domain decides the
// cart on those locked rows (shop.Cart.Lines: what is short and why); the
// second round trip takes the stock, inserts the order and its lines and
// commits. A product's row stays locked for one round trip.
//
// The buyer's lock serializes two checkouts of one client, so both cannot
// count the units before either is written; under READ COMMITTED the
// statement after the lock sees every order of that client committed
// before. Other clients never wait for it.
func (s *Orders) PlaceFor(ctx context.Context, b Buyer, items []shop.Item, expiresAt time.Time) (shop.Order, error) {
	switch db := s.db.(type) {
	case *Tx:
		return placeIn(ctx, db, b, items, expiresAt)
	case *pgxpool.Pool:
		var (
			o   shop.Order
			err error
		)
		for try := 0; try < 2; try++ { // again once: see lockCartSQL on a product made unlimited meanwhile
			err = InTx(ctx, db, func(tx *Tx) error {
				var err error
				o, err = placeIn(ctx, tx, b, items, expiresAt)
				return err
			})
			if shop.ErrorCode(err) != shop.ErrNotFound {
				break
			}
		}
		return o, err
	}
	return shop.Order{}, fmt.Errorf("place: %T cannot open a transaction", s.db)
}

// lockCartSQL locks the products of limited stock of a cart ($1) in id
// order and reads them, and those of unlimited stock without a lock (their
// orders take nothing, so concurrent buyers of one need not queue), with
// the units client $2 holds and the new order's id and number. With each
// product it reads its main picture, and with the cart the active shipping
// rates of its products' currencies (cheapest first, as
// ShippingRates.Active lists them): the order keeps both for its session.
var lockCartSQL = `
	WITH locked AS (
		SELECT ` + productColumns + ` FROM products WHERE id = ANY($1::uuid[]) AND stock IS NOT NULL
		ORDER BY id FOR NO KEY UPDATE
	), free AS (
		SELECT ` + productColumns + ` FROM products WHERE id = ANY($1::uuid[]) AND stock IS NULL
	)
	SELECT gen_random_uuid()::text, nextval('order_number_seq'), now(), (` + heldUnitsSQL("$2::text") + `),
		coalesce((SELECT json_agg(json_build_object('id', id, 'name', name, 'unit_amount', unit_amount, 'currency', currency,
			'stock', stock, 'max_per_order', max_per_order, 'tax_code', tax_code, 'active', active,
			'image_url', image_url, 'main_picture', (
				SELECT json_build_object('key', m.key, 'ext', m.ext,
					'width', (SELECT max(v.width) FROM media_variants v WHERE v.key = m.key))
				FROM product_images pi JOIN media m ON m.key = pi.media_key
				WHERE pi.product_id = p.id::uuid
				ORDER BY pi.position, pi.created_at, pi.id LIMIT 1)))
			FROM (SELECT * FROM locked UNION ALL SELECT * FROM free) p), '[]'),
		(SELECT coalesce(json_agg(json_build_object('id', r.id, 'name', r.name, 'amount', r.amount,
			'currency', r.currency, 'min_days', r.min_days, 'max_days', r.max_days, 'active', r.active)
			ORDER BY r.amount, r.name, r.id), '[]')
			FROM shipping_rates r
			WHERE r.active AND r.currency IN (SELECT currency FROM products WHERE id = ANY($1::uuid[])))`

// cartProduct is a product as lockCartSQL reads it.
type cartProduct struct {
	shop.Product
	MainPicture *struct {
		Key   string `json:"key"`
		Ext   string `json:"ext"`
		Width *int   `json:"width"`
	} `json:"main_picture"`
}

// image is the picture a line of the product shows: see shop.Line.Image.
func (p cartProduct) image() string {
	if m := p.MainPicture; m != nil && m.Width != nil {
		return shop.MediaPath(m.Key, *m.Width, m.Ext)
	}
	return p.ImageURL
}

func placeIn(ctx context.Context, tx *Tx, b Buyer, items []shop.Item, expiresAt time.Time) (shop.Order, error) {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ProductID
	}
	tx.GenericPlans()
	if b.capped() {
		tx.Later(lockBuyerSQL, b.ClientKey) // travels with the statement
	}
	var (
		id       string
		number   int64
		now      time.Time
		held     int64
		products []byte
		rates    []byte
	)
	if err := tx.QueryRow(ctx, lockCartSQL, ids, nullIfEmpty(b.ClientKey)).Scan(&id, &number, &now, &held, &products, &rates); err != nil {
		return shop.Order{}, translate(err)
	}
	var locked []cartProduct
	if err := json.Unmarshal(products, &locked); err != nil {
		return shop.Order{}, fmt.Errorf("place: products: %w", err)
	}
	var active []shop.ShippingRate
	if err := json.Unmarshal(rates, &active); err != nil {
		return shop.Order{}, fmt.Errorf("place: shipping rates: %w", err)
	}
	cart := shop.Cart{Items: items, Products: make(map[string]shop.Product, len(locked)), Held: held}
	images := make(map[string]string, len(locked))
	for _, p := range locked {
		cart.Products[p.ID], images[p.ID] = p.Product, p.image()
	}
	if b.capped() {
		cart.MaxUnits = b.MaxUnits
	}
	lines, err := cart.Lines()
	if err != nil {
		return shop.Order{}, err
	}
	for i := range lines {
		lines[i].Image = images[lines[i].ProductID]
	}
	o := shop.NewOrder(lines, cart.Products[lines[0].ProductID].Currency)
	o.ID, o.Number, o.CreatedAt, o.UpdatedAt, o.ExpiresAt = id, number, now, now, expiresAt
	var ofCurrency []shop.ShippingRate
	for _, r := range active {
		if r.Currency == o.Currency {
			ofCurrency = append(ofCurrency, r)
		}
	}
	// Never nil: nil is an order placed before the options were kept.
	o.ShippingOptions = append([]shop.ShippingRate{}, shop.ShippingOptions(ofCurrency, o.AmountSubtotal, b.FreeShippingOver)...)
	options := make([]shippingOption, len(o.ShippingOptions))
	for i, r := range o.ShippingOptions {
		options[i] = shippingOption{ID: r.ID, Name: r.Name, Amount: r.Amount, MinDays: r.MinDays, MaxDays: r.MaxDays}
	}
	optionsJSON, err := json.Marshal(options)
	if err != nil {
		return shop.Order{}, err
	}
	var (
		lineIDs, names, taxCodes, lineImages []string
		amounts, qtys, reserved              []int64
	)
	for _, l := range lines {
		lineIDs, names, taxCodes = append(lineIDs, l.ProductID), append(names, l.ProductName), append(taxCodes, l.TaxCode)
		amounts, qtys, reserved = append(amounts, l.UnitAmount), append(qtys, l.Quantity), append(reserved, l.Reserved)
		lineImages = append(lineImages, l.Image)
	}
	// The rows are locked and the domain checked the stock: the CHECK on
	// products.stock is the last word if it ever got this wrong.
	tx.Later(`UPDATE products p SET stock = p.stock - r.units
		FROM unnest($1::uuid[], $2::bigint[]) AS r(id, units)
		WHERE p.id = r.id AND r.units > 0`, lineIDs, reserved)
	tx.Later(`INSERT INTO orders (id, number, product_id, product_name, unit_amount, quantity, amount_subtotal, amount_total,
			currency, expires_at, client_key, created_at, updated_at, shipping_options)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $11, $12)`,
		o.ID, o.Number, o.ProductID, o.ProductName, o.UnitAmount, o.Quantity, o.AmountSubtotal, o.Currency,
		expiresAt, nullIfEmpty(b.ClientKey), now, optionsJSON)
	tx.Later(`INSERT INTO order_lines (order_id, position, product_id, product_name, unit_amount, quantity, reserved, tax_code, image)
		SELECT $1, r.n - 1, r.product_id, r.name, r.unit_amount, r.quantity, r.reserved, r.tax_code, r.image
		FROM unnest($2::uuid[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::text[])
			WITH ORDINALITY AS r(product_id, name, unit_amount, quantity, reserved, tax_code, image, n)`,
		o.ID, lineIDs, names, amounts, qtys, reserved, taxCodes, lineImages)
	return o, nil
}

// lockBuyerSQL serializes the checkouts of one client (see PlaceFor).
const lockBuyerSQL = `SELECT pg_advisory_xact_lock(hashtext('stripeshop:client:' || $1::text))`

// heldUnitsSQL sums, as units, what the client key (a query parameter)
// holds in open orders, every line; a NULL key holds nothing.
func heldUnitsSQL(clientKey string) string {
	return `SELECT coalesce(sum(l.quantity), 0) AS units FROM orders o JOIN order_lines l ON l.order_id = o.id
		WHERE o.client_key = ` + clientKey + ` AND o.status IN ('pending', 'processing')`
}

// Get returns an order by id.
func (s *Orders) Get(ctx context.Context, id string) (shop.Order, error) {
	return scanOrder(s.db.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, id))
}

// MarkCancelled notes that the customer gave the order up: it is only
// noted on an order that ended expired (a cancel that found the order
// paid notes nothing) and only once.
func (s *Orders) MarkCancelled(ctx context.Context, id string) error {
	_, err := s.db.Exec(ctx, `UPDATE orders SET cancelled_at = now(), updated_at = now()
		WHERE id = $1 AND status = 'expired' AND cancelled_at IS NULL`, id)
	return translate(err)
}

// BySession returns the order of a Checkout Session.
func (s *Orders) BySession(ctx context.Context, sessionID string) (shop.Order, error) {
	return scanOrder(s.db.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE session_id = $1`, sessionID))
}

// ByPaymentIntentForUpdate returns and locks the order paid by a payment
// intent; in a Tx the lock and the read go in one round trip (see Lock).
func (s *Orders) ByPaymentIntentForUpdate(ctx context.Context, pi string) (shop.Order, error) {
	if err := execLater(ctx, s.db, `SELECT 1 FROM orders WHERE payment_intent_id = $1 FOR UPDATE`, pi); err != nil {
		return shop.Order{}, err
	}
	return scanOrder(s.db.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE payment_intent_id = $1`, pi))
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
//
// The lock and the read are two statements, sent together in a Tx (one
// round trip): a locking read returns the order's newest row, but its
// lines, read by a subquery, as of the statement's start, which may be
// before the transaction it waited for committed; the read after the lock
// sees that commit (READ COMMITTED takes a snapshot per statement).
func (s *Orders) Lock(ctx context.Context, id, pi string) (o shop.Order, waiting bool, err error) {
	if err := execLater(ctx, s.db, lockOrderSQL, id); err != nil {
		return shop.Order{}, false, err
	}
	o, err = scanOrder(s.db.QueryRow(ctx, lockedOrderSQL, id, nullIfEmpty(pi)), &waiting)
	return o, waiting, err
}

const lockOrderSQL = `SELECT 1 FROM orders WHERE id = $1 FOR UPDATE`

// lockedOrderSQL reads an order locked by lockOrderSQL, and whether refunds
// of payment intent $2 wait for it.
var lockedOrderSQL = `SELECT ` + orderColumns + `, EXISTS (SELECT 1 FROM stripe_events e WHERE ` + refundsWaiting("$2") + `)
	FROM orders WHERE id = $1`

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil // no refund matches NULL
	}
	return &s
}

// Apply writes a move the domain decided (shop.Order.Move, Restock,
// Refund) for an order the transaction holds locked: the order, its lines,
// and the units each line gives back to its product, in one statement; in
// a Tx it goes with the next statement or the commit. The status it moves
// from is part of the condition, so a move made on a stale row writes
// nothing. The products are locked in id order, as a checkout locks them,
// so a release and a checkout over the same products cannot deadlock.
func (s *Orders) Apply(ctx context.Context, m shop.Move) error {
	o := m.Order
	var (
		lineIDs, relIDs             []string
		reserved, refunded, relUnit []int64
		shipping                    []byte
	)
	for _, l := range o.Lines {
		lineIDs, reserved, refunded = append(lineIDs, l.ProductID), append(reserved, l.Reserved), append(refunded, l.RefundedQuantity)
	}
	for _, r := range m.Released {
		relIDs, relUnit = append(relIDs, r.ProductID), append(relUnit, r.Units)
	}
	if o.Shipping != nil {
		var err error
		if shipping, err = json.Marshal(o.Shipping); err != nil {
			return err
		}
	}
	genericPlans(s.db)
	return execLater(ctx, s.db, `
		WITH moved AS (
			UPDATE orders SET status = $2, updated_at = now(), paid_at = $3, refunded_at = $4,
				session_id = nullif($5, ''), payment_intent_id = nullif($6, ''), customer_email = $7,
				amount_total = $9, amount_discount = $10, amount_shipping = $11, amount_tax = $12,
				amount_refunded = $13, shipping = $14, promotion_code = $15
			WHERE id = $1 AND status = $8
			RETURNING id
		), lines AS (
			UPDATE order_lines l SET reserved = x.reserved, refunded_quantity = x.refunded
			FROM moved, unnest($16::uuid[], $17::bigint[], $18::bigint[]) AS x(product_id, reserved, refunded)
			WHERE l.order_id = moved.id AND l.product_id = x.product_id
				AND (l.reserved, l.refunded_quantity) IS DISTINCT FROM (x.reserved, x.refunded)
		), released AS (
			SELECT r.id, r.units FROM moved, unnest($19::uuid[], $20::bigint[]) AS r(id, units) WHERE r.units > 0
		), locked AS (
			SELECT p.id FROM products p WHERE p.id IN (SELECT id FROM released) AND p.stock IS NOT NULL
			ORDER BY p.id FOR NO KEY UPDATE
		)
		UPDATE products p SET stock = LEAST(p.stock + released.units, 1000000)
		FROM locked JOIN released ON released.id = locked.id WHERE p.id = locked.id`,
		o.ID, o.Status, o.PaidAt, o.RefundedAt, o.SessionID, o.PaymentIntentID, o.CustomerEmail, m.From,
		o.AmountTotal, o.AmountDiscount, o.AmountShipping, o.AmountTax, o.AmountRefunded, shipping, o.PromotionCode,
		lineIDs, reserved, refunded, relIDs, relUnit)
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
	// ProductID keeps the orders with a line of that product; "" for all.
	ProductID string
	// Query keeps the orders whose customer e-mail contains it (any case)
	// or, when it is one, whose number it is; "" for all.
	Query  string
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
	queryNumber := int64(-1)
	if n, ok := shop.ParseOrderNumber(f.Query); ok {
		queryNumber = n
	}
	orders, err := collectOrders(s.db.Query(ctx, `
		SELECT `+orderColumns+` FROM orders
		WHERE ($1 = '' OR status = $1) AND ($5::bigint = 0 OR number = $5::bigint) AND (created_at, id) < ($2, $3::uuid)
			AND ($6::uuid IS NULL OR EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = orders.id AND l.product_id = $6::uuid))
			AND ($7 = '' OR strpos(lower(customer_email), lower($7)) > 0 OR number = $8::bigint)
		ORDER BY created_at DESC, id DESC LIMIT $4`, string(f.Status), at, id, f.Limit+1, f.Number,
		nullIfEmpty(f.ProductID), f.Query, queryNumber))
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

// Export calls fn with every order created in [from, to), oldest first,
// for the bookkeeper's CSV; the rows are read as fn goes.
func (s *Orders) Export(ctx context.Context, from, to time.Time, fn func(shop.Order) error) error {
	rows, err := s.db.Query(ctx, `SELECT `+orderColumns+` FROM orders
		WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id`, from, to)
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return err
		}
		if err := fn(o); err != nil {
			return err
		}
	}
	return translate(rows.Err())
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
// day and their revenue by currency net of refunds (refunded orders count as
// orders but not as revenue; a partly refunded one counts what was kept),
// and the number of orders in each status.
func (s *Orders) Stats(ctx context.Context, days int, now time.Time) ([]DayStats, map[string]int64, error) {
	start := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -(days - 1))
	rows, err := s.db.Query(ctx, `
		SELECT to_char(date_trunc('day', paid_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD'), currency,
			count(*), coalesce(sum(amount_total - amount_refunded) FILTER (WHERE status = 'paid'), 0)
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

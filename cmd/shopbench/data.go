package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// product is what the scenarios need of a product.
type product struct {
	ID         string
	Name       string
	UnitAmount int64
	Currency   string
}

// createCatalog inserts n active products, newest first by index, the
// first with unlimited stock (checkouts and webhook orders use it).
func createCatalog(ctx context.Context, pool *pgxpool.Pool, n int) ([]product, error) {
	rows, err := pool.Query(ctx, `
		INSERT INTO products (name, description, unit_amount, currency, image_url, stock, active, created_at)
		SELECT 'Shopbench product ' || g,
			'Product ' || g || ' of the benchmark catalog. ' || repeat('Sturdy, simple and made to last. ', 4),
			500 + g * 25, 'usd', 'https://images.example.com/shopbench/' || g || '.jpg',
			CASE WHEN g = 1 THEN NULL ELSE 1000 + g END, true, now() - g * interval '1 second'
		FROM generate_series(1, $1) g
		ORDER BY g
		RETURNING id::text, name, unit_amount, currency`, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []product
	for rows.Next() {
		var p product
		if err := rows.Scan(&p.ID, &p.Name, &p.UnitAmount, &p.Currency); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// orderSupply is a block of pending orders, each with its Checkout Session
// id, made up front so the webhook runs measure only the webhooks. Ids are
// computed, not stored: order i of block tag is
// <tag>-0000-4000-8000-<i in 12 hex digits>.
type orderSupply struct {
	tag     uint32
	n       int64
	next    atomic.Int64
	product product
	// applied counts 200s for this block, in and out of the measured window.
	applied atomic.Int64
}

func newOrderSupply(ctx context.Context, pool *pgxpool.Pool, p product, n int64) (*orderSupply, error) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	s := &orderSupply{tag: binary.BigEndian.Uint32(b[:]) | 1, n: n, product: p}
	_, err := pool.Exec(ctx, `
		WITH placed AS (
			INSERT INTO orders (id, product_id, product_name, unit_amount, quantity, amount_subtotal, amount_total, currency, expires_at, session_id)
			SELECT (lpad(to_hex($1::bigint), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
				$2, $3, $4, 1, $4, $4, $5, now() + interval '31 minutes',
				'cs_bench_' || to_hex($1::bigint) || '_' || g
			FROM generate_series(1, $6::bigint) g
			RETURNING id
		)
		INSERT INTO order_lines (order_id, position, product_id, product_name, unit_amount, quantity)
		SELECT id, 0, $2, $3, $4, 1 FROM placed`, int64(s.tag), p.ID, p.Name, p.UnitAmount, p.Currency, n)
	if err != nil {
		return nil, fmt.Errorf("prepare %d pending orders: %w", n, err)
	}
	return s, nil
}

// take returns the next unused order, or false when none is left.
func (s *orderSupply) take() (orderID, sessionID string, ok bool) {
	i := s.next.Add(1)
	if i > s.n {
		return "", "", false
	}
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", s.tag, i), "cs_bench_" + strconv.FormatUint(uint64(s.tag), 16) + "_" + strconv.FormatInt(i, 10), true
}

// paidCount counts the block's paid orders.
func (s *orderSupply) paidCount(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var n int64
	err := pool.QueryRow(ctx, `SELECT count(*) FROM orders WHERE id BETWEEN $1::uuid AND $2::uuid AND status = 'paid'`,
		fmt.Sprintf("%08x-0000-4000-8000-000000000000", s.tag), fmt.Sprintf("%08x-0000-4000-8000-ffffffffffff", s.tag)).Scan(&n)
	return n, err
}

// completedEvent renders a checkout.session.completed event for an order
// as Stripe (and the simulator) sends it, at API version 2023-10-16.
func completedEvent(eventID, sessionID, orderID string, p product, now time.Time) []byte {
	created := now.Unix()
	return fmt.Appendf(nil, `{"id":%q,"object":"event","api_version":"2023-10-16","created":%d,"data":{"object":{`+
		`"id":%q,"object":"checkout.session","after_expiration":null,"allow_promotion_codes":null,`+
		`"amount_subtotal":%d,"amount_total":%d,"automatic_tax":{"enabled":false,"liability":null,"status":null},`+
		`"billing_address_collection":null,"cancel_url":"http://shop.example/checkout/cancel?product_id=%s",`+
		`"client_reference_id":%q,"client_secret":null,"consent":null,"consent_collection":null,"created":%d,`+
		`"currency":%q,"currency_conversion":null,"custom_fields":[],"custom_text":{"after_submit":null,`+
		`"shipping_address":null,"submit":null,"terms_of_service_acceptance":null},"customer":null,`+
		`"customer_creation":"if_required","customer_details":{"address":{"city":null,"country":null,"line1":null,`+
		`"line2":null,"postal_code":null,"state":null},"email":"buyer@example.com","name":null,"phone":null,`+
		`"tax_exempt":"none","tax_ids":[]},"customer_email":null,"expires_at":%d,"invoice":null,`+
		`"invoice_creation":{"enabled":false,"invoice_data":{"account_tax_ids":null,"custom_fields":null,`+
		`"description":null,"footer":null,"issuer":null,"metadata":{},"rendering_options":null}},"livemode":false,`+
		`"locale":null,"metadata":{"order_id":%q},"mode":"payment","payment_intent":"pi_%s","payment_link":null,`+
		`"payment_method_collection":"if_required","payment_method_configuration_details":null,`+
		`"payment_method_options":{},"payment_method_types":["card"],"payment_status":"paid",`+
		`"phone_number_collection":{"enabled":false},"recovered_from":null,"setup_intent":null,`+
		`"shipping_address_collection":null,"shipping_cost":null,"shipping_details":null,"shipping_options":[],`+
		`"status":"complete","submit_type":null,"subscription":null,`+
		`"success_url":"http://shop.example/checkout/success?session_id={CHECKOUT_SESSION_ID}",`+
		`"total_details":{"amount_discount":0,"amount_shipping":0,"amount_tax":0},"ui_mode":"hosted","url":null}},`+
		`"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},`+
		`"type":"checkout.session.completed"}`,
		eventID, created, sessionID, p.UnitAmount, p.UnitAmount, p.ID, orderID, created-60, p.Currency,
		created+1800, orderID, sessionID[3:])
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

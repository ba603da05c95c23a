package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/images"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
	"github.com/stripeshop/stripeshop/internal/testdb"
)

func TestMigrationsUpDownUp(t *testing.T) {
	ctx := context.Background()
	pool, err := postgres.Open(ctx, testdb.Empty(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	m, err := postgres.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	latest, err := postgres.Latest()
	if err != nil {
		t.Fatal(err)
	}
	tables := func() int {
		var n int
		pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'
			AND table_name IN ('products', 'orders', 'stripe_events', 'admins', 'sessions')`).Scan(&n)
		return n
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	if v, dirty, _ := m.Version(); v != latest || dirty || tables() != 5 {
		t.Fatalf("after up: version %d dirty %v tables %d", v, dirty, tables())
	}
	if err := m.Up(); err != nil {
		t.Fatalf("a second up must be a no-op: %v", err)
	}
	if err := m.DownAll(); err != nil {
		t.Fatal(err)
	}
	if tables() != 0 {
		t.Fatalf("after down: %d tables remain", tables())
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	if tables() != 5 {
		t.Fatal("up after down did not restore the schema")
	}
}

// The schema refuses what Go would refuse, so no code path can slip by.
func TestSchemaConstraints(t *testing.T) {
	ctx := context.Background()
	pool, _ := testdb.New(t)
	var pid string
	if err := pool.QueryRow(ctx, `INSERT INTO products (name, unit_amount, currency, stock) VALUES ('Mug', 1000, 'usd', 1) RETURNING id`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		"negative stock":       `UPDATE products SET stock = -1 WHERE id = '` + pid + `'`,
		"zero amount":          `INSERT INTO products (name, unit_amount, currency) VALUES ('x', 0, 'usd')`,
		"empty name":           `INSERT INTO products (name, unit_amount, currency) VALUES ('  ', 100, 'usd')`,
		"upper-case currency":  `INSERT INTO products (name, unit_amount, currency) VALUES ('x', 100, 'USD')`,
		"unknown status":       `INSERT INTO orders (product_id, product_name, unit_amount, quantity, amount_total, currency, expires_at, status) VALUES ('` + pid + `', 'Mug', 1000, 1, 1000, 'usd', now(), 'shipped')`,
		"total not qty×amount": `INSERT INTO orders (product_id, product_name, unit_amount, quantity, amount_total, currency, expires_at) VALUES ('` + pid + `', 'Mug', 1000, 2, 1000, 'usd', now())`,
		"paid without paid_at": `INSERT INTO orders (product_id, product_name, unit_amount, quantity, amount_total, currency, expires_at, status) VALUES ('` + pid + `', 'Mug', 1000, 1, 1000, 'usd', now(), 'paid')`,
		"duplicate session id": `INSERT INTO orders (product_id, product_name, unit_amount, quantity, amount_total, currency, expires_at, session_id) VALUES ('` + pid + `', 'Mug', 1000, 1, 1000, 'usd', now(), 'cs_1'), ('` + pid + `', 'Mug', 1000, 1, 1000, 'usd', now(), 'cs_1')`,
		"duplicate event id":   `INSERT INTO stripe_events (id, type, payload) VALUES ('evt_1', 'x', ''), ('evt_1', 'x', '')`,
	}
	for name, sql := range bad {
		if _, err := pool.Exec(ctx, sql); err == nil {
			t.Errorf("%s: accepted by the schema", name)
		}
	}
}

func TestPlaceNeverOversells(t *testing.T) {
	ctx := context.Background()
	pool, _ := testdb.New(t)
	products, orders := postgres.NewProducts(pool), postgres.NewOrders(pool)
	stock := int64(3)
	p, err := products.Create(ctx, shopProduct(&stock))
	if err != nil {
		t.Fatal(err)
	}
	expires := time.Now().Add(time.Hour)
	o, err := orders.Place(ctx, p.ID, 2, expires)
	if err != nil || o.Reserved() != 2 || o.AmountTotal != 2*p.UnitAmount || o.ProductName != p.Name {
		t.Fatalf("first order: %+v, %v; want 2 reserved at the product's price", o, err)
	}
	if _, err := orders.Place(ctx, p.ID, 2, expires); shop.ErrorCode(err) != shop.ErrConflict {
		t.Fatalf("2 of the 1 left: %v, want conflict", err)
	}
	m, _ := o.Move(shop.StatusExpired, time.Now(), shop.Change{})
	if err := orders.Apply(ctx, m); err != nil {
		t.Fatal(err)
	}
	got, _ := products.Get(ctx, p.ID)
	if *got.Stock != 3 {
		t.Fatalf("stock = %d, want 3", *got.Stock)
	}

	// Unlimited stock: nothing reserved, nothing taken.
	free, err := products.Create(ctx, shopProduct(nil))
	if err != nil {
		t.Fatal(err)
	}
	if o, err := orders.Place(ctx, free.ID, 5, expires); err != nil || o.Reserved() != 0 || o.Quantity != 5 {
		t.Fatalf("unlimited: %+v, %v; want 5 ordered, 0 reserved", o, err)
	}
	// Why nothing was placed.
	big := shopProduct(nil)
	big.UnitAmount = shop.MaxUnitAmount
	huge, err := products.Create(ctx, big)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := orders.Place(ctx, huge.ID, 2, expires); shop.ErrorCode(err) != shop.ErrInvalid {
		t.Fatalf("a total above the maximum: %v, want invalid", err)
	}
	if _, err := products.Delete(ctx, free.ID); err != nil { // archived: it has an order
		t.Fatal(err)
	}
	if _, err := orders.Place(ctx, free.ID, 1, expires); shop.ErrorCode(err) != shop.ErrNotFound {
		t.Fatalf("archived product: %v, want not_found", err)
	}
	if _, err := orders.Place(ctx, "00000000-0000-4000-8000-000000000000", 1, expires); shop.ErrorCode(err) != shop.ErrNotFound {
		t.Fatalf("unknown product: %v, want not_found", err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM orders`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d orders, want the 2 placed", n)
	}
}

// An order still open when 0012 arrives may have its session made again:
// its lines get the picture it was sent with, and with no options kept its
// session reads the shop's rates as before (nil options).
func TestOrderSnapshotMigrationKeepsOpenOrdersPictures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := testdb.New(t)
	p, err := postgres.NewProducts(pool).Create(ctx, shop.Product{Name: "Mug", UnitAmount: 1200, Currency: "usd", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	key := strings.Repeat("c", 32)
	if _, err := postgres.NewImages(pool).SaveMedia(ctx, images.Picture{Key: key, Width: 800, Height: 600, Ext: "png",
		Variants: []images.Variant{{Width: 320, Height: 240, Ext: "png", ContentType: "image/png", Data: []byte("a")},
			{Width: 640, Height: 480, Ext: "png", ContentType: "image/png", Data: []byte("b")}}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := postgres.NewImages(pool).Add(ctx, p.ID, key, ""); err != nil {
		t.Fatal(err)
	}
	orders := postgres.NewOrders(pool)
	open, err := orders.Place(ctx, p.ID, 1, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ended, err := orders.Place(ctx, p.ID, 1, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE orders SET status = 'expired' WHERE id = $1`, ended.ID); err != nil {
		t.Fatal(err)
	}
	m, err := postgres.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.MigrateTo(11); err != nil { // before 0012
		t.Fatal(err)
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id, image string
	}{{open.ID, "/media/" + key + "/640.png"}, {ended.ID, ""}} {
		o, err := orders.Get(ctx, c.id)
		if err != nil || o.Lines[0].Image != c.image || o.ShippingOptions != nil {
			t.Errorf("order %s: picture %q, options %v, %v; want %q and none kept", o.Status, o.Lines[0].Image, o.ShippingOptions, err, c.image)
		}
	}
}

// From 0013 an e-mail's record takes the id of the job that first sends it:
// River's job ids move past every id the records took from their own
// sequence before, so no new record can take an older one's id.
func TestEmailIDMigrationMovesJobIDsPastTheRecords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, p := withProduct(t, -1)
	o, err := postgres.NewOrders(pool).Place(ctx, p.ID, 1, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	m, err := postgres.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.MigrateTo(12); err != nil {
		t.Fatal(err)
	}
	// Records as 0011 made them, their sequence far ahead of River's (each
	// redelivered event used an id of it).
	var last int64
	if err := pool.QueryRow(ctx, `SELECT setval(pg_get_serial_sequence('order_emails', 'id'), 5000)`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO order_emails (order_id, kind, recipient, message_id)
		VALUES ($1, 'order_confirmation', 'a@example.com', 'm1'), ($1, 'staff_new_order', 's@example.com', 'm2')`, o.ID); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	var maxRecord, nextJob int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT max(id) FROM order_emails), nextval('river_job_id_seq')`).Scan(&maxRecord, &nextJob); err != nil {
		t.Fatal(err)
	}
	if maxRecord != 5002 || nextJob <= maxRecord {
		t.Fatalf("after 0013: records up to id %d, River's next job id %d; want 5002 and above it", maxRecord, nextJob)
	}
	// A record now takes the id it is given (its job's).
	e, err := postgres.NewEmails(pool).Record(ctx, nextJob, postgres.NewEmail{OrderID: o.ID, Kind: shop.EmailFailed,
		Recipient: "a@example.com", MessageID: "m3"})
	if err != nil || e.ID != nextJob || e.Status != shop.EmailQueued {
		t.Fatalf("record of job %d: %+v, %v; want that id, queued", nextJob, e, err)
	}
	// And it is kept, not made again, by a later job of the same e-mail.
	again, err := postgres.NewEmails(pool).Record(ctx, nextJob+7, postgres.NewEmail{OrderID: o.ID, Kind: shop.EmailFailed,
		Recipient: "a@example.com", MessageID: "m3"})
	if err != nil || again.ID != nextJob {
		t.Fatalf("a later job's record: %+v, %v; want the first one, id %d", again, err, nextJob)
	}
	// The previous release, during a rolling deploy, writes a record with
	// no id: it takes one of River's, no job's and no other record's.
	var legacy int64
	if err := pool.QueryRow(ctx, `INSERT INTO order_emails (order_id, kind, recipient, message_id)
		VALUES ($1, 'refund_issued', 'a@example.com', 'm4') RETURNING id`, o.ID).Scan(&legacy); err != nil || legacy <= nextJob {
		t.Fatalf("a record written without an id: id %d (%v), want one of River's after %d", legacy, err, nextJob)
	}
	// Going back, an e-mail whose job has not run gets its record, and its
	// job the record's id, as the previous release's worker reads them.
	var queued int64
	if err := pool.QueryRow(ctx, `INSERT INTO river_job (args, kind, max_attempts)
		VALUES (jsonb_build_object('order_id', $1::text, 'kind', 'payment_pending', 'recipient', 'a@example.com', 'message_id', 'm5'),
			'send_email', 12) RETURNING id`, o.ID).Scan(&queued); err != nil {
		t.Fatal(err)
	}
	if err := m.MigrateTo(12); err != nil {
		t.Fatal(err)
	}
	var recordID, named int64
	if err := pool.QueryRow(ctx, `SELECT e.id, (j.args->>'email_id')::bigint FROM order_emails e, river_job j
		WHERE e.order_id = $1 AND e.kind = 'payment_pending' AND j.id = $2`, o.ID, queued).Scan(&recordID, &named); err != nil ||
		recordID != queued || named != queued {
		t.Fatalf("after going back: record %d, the job names %d (%v); want both %d", recordID, named, err, queued)
	}
	var fresh int64
	if err := pool.QueryRow(ctx, `INSERT INTO order_emails (order_id, kind, recipient, message_id)
		VALUES ($1, 'staff_payment_failed', 'a@example.com', 'm6') RETURNING id`, o.ID).Scan(&fresh); err != nil || fresh <= queued {
		t.Fatalf("a record after going back: id %d (%v), want one after %d", fresh, err, queued)
	}
	// And up again keeps them all.
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM order_emails`).Scan(&n); err != nil || n != 6 {
		t.Fatalf("%d records after down and up, want 6 (%v)", n, err)
	}
}

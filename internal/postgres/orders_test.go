package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
	"github.com/stripeshop/stripeshop/internal/testdb"
)

// heldBy sums the units of a client's open orders.
func heldBy(t *testing.T, db postgres.DBTX, clientKey string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(context.Background(), `SELECT coalesce(sum(quantity), 0) FROM orders
		WHERE client_key = $1 AND status IN ('pending', 'processing')`, clientKey).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Checkouts of one client racing each other never hold more than its cap
// between them: each counts the orders of the others that committed before
// it, limited stock or not, on the pool or in a transaction. Other clients
// are not held back.
func TestPlaceForCapsTheUnitsOneClientHolds(t *testing.T) {
	ctx := context.Background()
	for _, stock := range []int64{1000, -1} {
		pool, p := withProduct(t, stock)
		greedy := postgres.Buyer{ClientKey: "2001:db8:1:2::/64", MaxUnits: 20}
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			placed   int64
			refusals []error
		)
		for i := range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				if i%2 == 0 {
					_, err = postgres.NewOrders(pool).PlaceFor(ctx, greedy, []shop.Item{{ProductID: p.ID, Quantity: 3}}, time.Now().Add(time.Hour))
				} else {
					err = postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
						_, err := postgres.NewOrders(tx).PlaceFor(ctx, greedy, []shop.Item{{ProductID: p.ID, Quantity: 3}}, time.Now().Add(time.Hour))
						return err
					})
				}
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					placed += 3
				} else {
					refusals = append(refusals, err)
				}
			}()
		}
		wg.Wait()
		// Six orders of 3 fit under 20; a seventh would make 21.
		if placed != 18 || heldBy(t, pool, greedy.ClientKey) != 18 {
			t.Fatalf("stock %d: 30 racing checkouts of 3 under a cap of 20 placed %d units (held %d), want 18",
				stock, placed, heldBy(t, pool, greedy.ClientKey))
		}
		for _, err := range refusals {
			if shop.ErrorCode(err) != shop.ErrConflict || !strings.Contains(err.Error(), "hold 18 units") ||
				!strings.Contains(err.Error(), "at most 20") {
				t.Fatalf("refusal: %v, want a conflict saying 18 held and the cap of 20", err)
			}
		}
		if stock > 0 && stockOf(t, pool, p.ID) != stock-18 {
			t.Fatalf("stock %d after the race, want %d", stockOf(t, pool, p.ID), stock-18)
		}
		// Another client buys; the greedy one may take 2 more, not 3.
		if _, err := postgres.NewOrders(pool).PlaceFor(ctx, postgres.Buyer{ClientKey: "203.0.113.9", MaxUnits: 20}, []shop.Item{{ProductID: p.ID, Quantity: 20}}, time.Now().Add(time.Hour)); err != nil {
			t.Fatalf("another client: %v", err)
		}
		if _, err := postgres.NewOrders(pool).PlaceFor(ctx, greedy, []shop.Item{{ProductID: p.ID, Quantity: 3}}, time.Now().Add(time.Hour)); shop.ErrorCode(err) != shop.ErrConflict {
			t.Fatalf("21st unit: %v, want conflict", err)
		}
		if _, err := postgres.NewOrders(pool).PlaceFor(ctx, greedy, []shop.Item{{ProductID: p.ID, Quantity: 2}}, time.Now().Add(time.Hour)); err != nil {
			t.Fatalf("20th unit: %v", err)
		}
		// An order that ends gives its units back to the client's allowance.
		if _, err := pool.Exec(ctx, `UPDATE orders SET status = 'expired' WHERE id IN
			(SELECT id FROM orders WHERE client_key = $1 AND quantity = 3 LIMIT 1)`, greedy.ClientKey); err != nil {
			t.Fatal(err)
		}
		if _, err := postgres.NewOrders(pool).PlaceFor(ctx, greedy, []shop.Item{{ProductID: p.ID, Quantity: 3}}, time.Now().Add(time.Hour)); err != nil {
			t.Fatalf("after an order of 3 ended: %v", err)
		}
		var key string
		if err := pool.QueryRow(ctx, `SELECT client_key FROM orders ORDER BY created_at DESC LIMIT 1`).Scan(&key); err != nil || key != greedy.ClientKey {
			t.Fatalf("the order records client %q (%v), want %q", key, err, greedy.ClientKey)
		}
	}
}

// A product's max_per_order refuses a larger order, with the field at fault.
func TestPlaceForMaxPerOrder(t *testing.T) {
	ctx := context.Background()
	pool, p := withProduct(t, 10)
	three := int64(3)
	p.MaxPerOrder = &three
	if _, err := postgres.NewProducts(pool).Update(ctx, p); err != nil {
		t.Fatal(err)
	}
	_, err := postgres.NewOrders(pool).Place(ctx, p.ID, 4, time.Now().Add(time.Hour))
	var se *shop.Error
	if shop.ErrorCode(err) != shop.ErrInvalid || !errors.As(err, &se) || se.Fields["quantity"] != "must be at most 3 for this product" {
		t.Fatalf("4 of a product with max_per_order 3: %v", err)
	}
	if stockOf(t, pool, p.ID) != 10 {
		t.Fatal("a refused order took stock")
	}
	if _, err := postgres.NewOrders(pool).Place(ctx, p.ID, 3, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
}

// Orders are numbered from 1001 up, one number each, however many
// checkouts race, on the pool or in a transaction; Get reads the number
// back.
func TestOrderNumbersIncreaseAndNeverRepeat(t *testing.T) {
	ctx := context.Background()
	pool, p := withProduct(t, 1000)
	orders := postgres.NewOrders(pool)
	first, err := orders.Place(ctx, p.ID, 1, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if first.Number != 1001 {
		t.Fatalf("first order's number = %d, want 1001", first.Number)
	}
	const n = 24
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		numbers = map[int64]string{}
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var (
				o   shop.Order
				err error
			)
			buyer := postgres.Buyer{ClientKey: "198.51.100." + string(rune('a'+i)), MaxUnits: 20}
			if i%2 == 0 {
				o, err = postgres.NewOrders(pool).PlaceFor(ctx, buyer, []shop.Item{{ProductID: p.ID, Quantity: 1}}, time.Now().Add(time.Hour))
			} else {
				err = postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
					o, err = postgres.NewOrders(tx).PlaceFor(ctx, buyer, []shop.Item{{ProductID: p.ID, Quantity: 1}}, time.Now().Add(time.Hour))
					return err
				})
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("checkout %d: %v", i, err)
				return
			}
			if prev, dup := numbers[o.Number]; dup {
				t.Errorf("orders %s and %s share number %d", prev, o.ID, o.Number)
			}
			numbers[o.Number] = o.ID
		}()
	}
	wg.Wait()
	for num := int64(1002); num < 1002+n; num++ {
		id, ok := numbers[num]
		if !ok {
			t.Errorf("no order numbered %d; numbers: %v", num, numbers)
			continue
		}
		got, err := orders.Get(ctx, id)
		if err != nil || got.Number != num {
			t.Errorf("Get(%s).Number = %d, %v; want %d", id, got.Number, err, num)
		}
	}
	next, err := orders.Place(ctx, p.ID, 1, time.Now().Add(time.Hour))
	if err != nil || next.Number != 1002+n {
		t.Fatalf("the order after them: %d, %v; want %d", next.Number, err, 1002+n)
	}
}

// The migration numbers the orders already there in the order they were
// created, and new ones after them.
func TestOrderNumbersMigrationNumbersExistingOrders(t *testing.T) {
	ctx := context.Background()
	pool, m := schemaAt(t, 6) // before order numbers (0007)
	var productID string
	if err := pool.QueryRow(ctx, `INSERT INTO products (name, unit_amount, currency) VALUES ('Mug', 1000, 'usd') RETURNING id::text`).Scan(&productID); err != nil {
		t.Fatal(err)
	}
	var ids []string // oldest first, inserted newest first
	for _, age := range []string{"1 hour", "2 days", "3 days"} {
		var id string
		if err := pool.QueryRow(ctx, `INSERT INTO orders (product_id, product_name, unit_amount, quantity, amount_total, currency, expires_at, created_at)
			VALUES ($1, 'Mug', 1000, 1, 1000, 'usd', now(), now() - $2::interval) RETURNING id::text`, productID, age).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append([]string{id}, ids...)
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	orders := postgres.NewOrders(pool)
	for i, id := range ids {
		o, err := orders.Get(ctx, id)
		if err != nil || o.Number != int64(1001+i) {
			t.Errorf("order created %d-th: number %d, %v; want %d", i+1, o.Number, err, 1001+i)
		}
	}
	o, err := orders.Place(ctx, productID, 1, time.Now().Add(time.Hour))
	if err != nil || o.Number != 1004 {
		t.Fatalf("a new order: number %d, %v; want 1004", o.Number, err)
	}
}

// Migration 0009 gives every existing order one line, with its reserved
// units, and a refunded order its refunded quantity and amount.
func TestOrderLinesMigrationMovesExistingOrders(t *testing.T) {
	ctx := context.Background()
	pool, m := schemaAt(t, 8) // before order lines (0009)
	var productID, held, refunded string
	if err := pool.QueryRow(ctx, `INSERT INTO products (name, unit_amount, currency, stock) VALUES ('Mug', 1000, 'usd', 5) RETURNING id::text`).Scan(&productID); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO orders (product_id, product_name, unit_amount, quantity, amount_total, currency, expires_at, reserved)
		VALUES ($1, 'Mug', 1000, 3, 3000, 'usd', now(), 3) RETURNING id::text`, productID).Scan(&held); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO orders (product_id, product_name, unit_amount, quantity, amount_total, currency, expires_at,
			reserved, status, paid_at, refunded_at)
		VALUES ($1, 'Old mug', 900, 2, 1800, 'usd', now(), 2, 'refunded', now(), now()) RETURNING id::text`, productID).Scan(&refunded); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	orders := postgres.NewOrders(pool)
	o, err := orders.Get(ctx, held)
	if err != nil || len(o.Lines) != 1 || o.Lines[0] != (shop.Line{ProductID: productID, ProductName: "Mug", UnitAmount: 1000, Quantity: 3,
		AmountSubtotal: 3000, Reserved: 3}) || o.AmountSubtotal != 3000 || o.AmountTotal != 3000 || o.AmountRefunded != 0 {
		t.Fatalf("a held order: %+v, %v", o, err)
	}
	o, err = orders.Get(ctx, refunded)
	if err != nil || len(o.Lines) != 1 || o.Lines[0].RefundedQuantity != 2 || o.Lines[0].ProductName != "Old mug" ||
		o.AmountRefunded != 1800 || o.Reserved() != 2 {
		t.Fatalf("a refunded order: %+v, %v", o, err)
	}
	if err := m.DownAll(); err != nil {
		t.Fatalf("down from 0009 with orders: %v", err)
	}
}

// schemaAt is a new database whose schema is at migration version, for a
// test of what a later migration does to the rows already there.
func schemaAt(t *testing.T, version uint) (*pgxpool.Pool, *postgres.Migrator) {
	t.Helper()
	pool, err := postgres.Open(context.Background(), testdb.Empty(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	m, err := postgres.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if err := m.MigrateTo(version); err != nil {
		t.Fatal(err)
	}
	return pool, m
}

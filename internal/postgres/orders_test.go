package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
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
					_, err = postgres.NewOrders(pool).PlaceFor(ctx, greedy, p.ID, 3, time.Now().Add(time.Hour))
				} else {
					err = postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
						_, err := postgres.NewOrders(tx).PlaceFor(ctx, greedy, p.ID, 3, time.Now().Add(time.Hour))
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
		if _, err := postgres.NewOrders(pool).PlaceFor(ctx, postgres.Buyer{ClientKey: "203.0.113.9", MaxUnits: 20}, p.ID, 20, time.Now().Add(time.Hour)); err != nil {
			t.Fatalf("another client: %v", err)
		}
		if _, err := postgres.NewOrders(pool).PlaceFor(ctx, greedy, p.ID, 3, time.Now().Add(time.Hour)); shop.ErrorCode(err) != shop.ErrConflict {
			t.Fatalf("21st unit: %v, want conflict", err)
		}
		if _, err := postgres.NewOrders(pool).PlaceFor(ctx, greedy, p.ID, 2, time.Now().Add(time.Hour)); err != nil {
			t.Fatalf("20th unit: %v", err)
		}
		// An order that ends gives its units back to the client's allowance.
		if _, err := pool.Exec(ctx, `UPDATE orders SET status = 'expired' WHERE id IN
			(SELECT id FROM orders WHERE client_key = $1 AND quantity = 3 LIMIT 1)`, greedy.ClientKey); err != nil {
			t.Fatal(err)
		}
		if _, err := postgres.NewOrders(pool).PlaceFor(ctx, greedy, p.ID, 3, time.Now().Add(time.Hour)); err != nil {
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

package checkout_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stripeshop/stripeshop/internal/checkout"
	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
	"github.com/stripeshop/stripeshop/internal/stripesim"
	"github.com/stripeshop/stripeshop/internal/testdb"
)

type offsetClock struct{ offset atomic.Int64 }

func (c *offsetClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *offsetClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// 200 buyers at once, with carts over the same products in opposite
// orders (and a product of unlimited stock), half of them from clients
// under a cap: no deadlock, no error but a 409 naming short lines, never
// more sold than there was. Then half the customers cancel while the other
// half's sessions expire on the simulator, whose webhooks release them:
// every unit is back on its shelf.
func TestCartsInOppositeOrdersNeitherDeadlockNorOversell(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &offsetClock{}
	pool, _ := testdb.New(t)
	var svc *checkout.Service
	shopSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, err := svc.HandleWebhook(r.Context(), body, r.Header.Get("Stripe-Signature")); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(shopSrv.Close)
	simSrv := httptest.NewUnstartedServer(nil)
	sim := stripesim.New(stripesim.Config{PublicURL: "http://" + simSrv.Listener.Addr().String(), Now: clk.Now,
		WebhookURL: shopSrv.URL, WebhookSecret: "whsec_test", SweepInterval: 10 * time.Millisecond,
		RetryBackoff: 20 * time.Millisecond})
	simSrv.Config.Handler = sim
	simSrv.Start()
	t.Cleanup(func() { sim.Close(); simSrv.Close() })
	svc = checkout.New(checkout.Config{Pool: pool, AppURL: "http://shop.test", Now: clk.Now, MaxUnitsPerClient: 20,
		WebhookSecrets: []string{"whsec_test"}, StripeTimeout: time.Minute,
		Payments: payments.New(payments.Config{SecretKey: "sk_test_sim", APIURL: simSrv.URL, Timeout: time.Minute})})

	initial := map[string]int64{}
	var ids []string
	for i, stock := range []int64{300, 250, 1000, -1} {
		p := shop.Product{Name: fmt.Sprint("P", i), UnitAmount: 500, Currency: "usd", Active: true}
		if stock >= 0 {
			p.Stock = &stock
		}
		p, err := postgres.NewProducts(pool).Create(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
		initial[p.ID] = stock
	}

	const buyers = 200
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		placed    []checkout.Started
		conflicts int
	)
	for i := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 14))
			items := make([]shop.Item, len(ids))
			for j, id := range ids {
				items[j] = shop.Item{ProductID: id, Quantity: 1 + r.Int64N(3)}
			}
			if i%2 == 1 {
				for a, b := 0, len(items)-1; a < b; a, b = a+1, b-1 {
					items[a], items[b] = items[b], items[a]
				}
			}
			client := ""
			if i%4 < 2 {
				client = fmt.Sprint("198.51.100.", i%16)
			}
			s, err := svc.Start(ctx, items, client)
			mu.Lock()
			defer mu.Unlock()
			var se *shop.Error
			var pe *pgconn.PgError
			switch {
			case err == nil:
				placed = append(placed, s)
			case errors.As(err, &pe):
				t.Errorf("buyer %d: Postgres error %s: %v", i, pe.Code, err) // 40P01 is a deadlock
			case errors.As(err, &se) && se.Code == shop.ErrConflict && len(se.Lines) > 0:
				conflicts++
			default:
				t.Errorf("buyer %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if len(placed) == 0 || conflicts == 0 {
		t.Fatalf("%d placed, %d refused: the test wants both", len(placed), conflicts)
	}
	t.Logf("%d carts placed, %d refused", len(placed), conflicts)
	checkStockInvariant(t, pool, initial)

	// Half cancel (their units return at once), the rest expire.
	for i, s := range placed {
		if i%2 == 0 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := svc.Cancel(ctx, s.OrderID); err != nil {
					t.Errorf("cancel %s: %v", s.OrderID, err)
				}
			}()
		}
	}
	wg.Wait()
	checkStockInvariant(t, pool, initial)
	clk.Advance(checkout.SessionLifetime + time.Minute)
	deadline := time.Now().Add(2 * time.Minute)
	for open := 1; open > 0; {
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM orders WHERE status IN ('pending', 'processing')`).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open > 0 && time.Now().After(deadline) {
			t.Fatalf("%d orders still open after their sessions expired", open)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, not waiting for time
	}
	checkStockInvariant(t, pool, initial)
	for _, id := range ids {
		if initial[id] < 0 {
			continue
		}
		p, err := postgres.NewProducts(pool).Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if *p.Stock != initial[id] {
			t.Errorf("product %s: stock %d after every session expired, want %d", p.Name, *p.Stock, initial[id])
		}
	}
}

// checkStockInvariant: for each product of limited stock, what is on the
// shelf and what open or paid orders hold add up to what there was.
func checkStockInvariant(t *testing.T, pool *pgxpool.Pool, initial map[string]int64) {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT p.id::text, p.stock, coalesce(sum(l.reserved) FILTER (WHERE o.status IN ('pending', 'processing', 'paid')), 0),
			coalesce(sum(l.reserved) FILTER (WHERE o.status IN ('expired', 'failed')), 0)
		FROM products p LEFT JOIN order_lines l ON l.product_id = p.id LEFT JOIN orders o ON o.id = l.order_id
		WHERE p.stock IS NOT NULL GROUP BY p.id, p.stock`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id                   string
			stock, held, dangled int64
		)
		if err := rows.Scan(&id, &stock, &held, &dangled); err != nil {
			t.Fatal(err)
		}
		if stock < 0 || stock+held != initial[id] || dangled != 0 {
			t.Errorf("product %s: stock %d + held %d != %d (ended orders still holding %d)", id, stock, held, initial[id], dangled)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

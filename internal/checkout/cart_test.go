package checkout_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
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

// A completed session's totals, address and rate land on the order, from
// events at 2023-10-16 (shipping_details) and at a newer version
// (collected_information.shipping_details).
func TestCompletedEventRecordsShippingAtBothVersions(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ file, promo string }{
		{"session_completed_shipping_2023-10-16.json", ""},
		{"session_completed_shipping_2025-03-31.basil.json", "promo_1QHk0aJ4x9y8w7v6SAVE10ab"},
	} {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool, _ := testdb.New(t)
			stock := int64(5)
			p, err := postgres.NewProducts(pool).Create(ctx, shop.Product{Name: "Mug", UnitAmount: 1750, Currency: "usd", Stock: &stock, Active: true})
			if err != nil {
				t.Fatal(err)
			}
			rate, err := postgres.NewShippingRates(pool).Create(ctx, shop.ShippingRate{Name: "Standard", Amount: 500, Currency: "usd", Active: true})
			if err != nil {
				t.Fatal(err)
			}
			o, err := postgres.NewOrders(pool).Place(ctx, p.ID, 2, time.Now().Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(filepath.Join("..", "payments", "testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			var ev map[string]any
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			sess := ev["data"].(map[string]any)["object"].(map[string]any)
			sess["client_reference_id"] = o.ID
			md := sess["metadata"].(map[string]any)
			md["order_id"], md["shipping_rates"] = o.ID, "0=free,500="+rate.ID
			if err := postgres.NewOrders(pool).SetSession(ctx, o.ID, sess["id"].(string)); err != nil {
				t.Fatal(err)
			}
			raw, _ = json.Marshal(ev)
			parsed, err := payments.ParseEvent(raw)
			if err != nil {
				t.Fatal(err)
			}
			svc := checkout.New(checkout.Config{Pool: pool})
			if outcome, err := svc.HandleEvent(ctx, parsed); err != nil || outcome != checkout.OutcomeApplied {
				t.Fatalf("%s, %v", outcome, err)
			}
			got, err := postgres.NewOrders(pool).Get(ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := shop.Shipping{Name: "Ada Lovelace", Address: shop.Address{Line1: "742 Evergreen Terrace", Line2: "Apt 2",
				City: "Springfield", State: "OR", PostalCode: "97403", Country: "US"}, RateName: "Standard", RateID: rate.ID}
			if got.Status != shop.StatusPaid || got.Flagged || got.AmountSubtotal != 3500 || got.AmountDiscount != 350 ||
				got.AmountShipping != 500 || got.AmountTax != 239 || got.AmountTotal != 3889 || got.PromotionCode != c.promo ||
				got.Shipping == nil || *got.Shipping != want || got.CustomerEmail != "ada@example.com" {
				t.Fatalf("order %+v (shipping %+v)", got, got.Shipping)
			}
		})
	}
}

// A cart's session carries a line item per line, the shop's address and
// tax settings, and its active shipping rates in the order's currency,
// after free shipping when the subtotal reaches FREE_SHIPPING_OVER.
func TestSessionOffersTheShopsRates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := testdb.New(t)
	var (
		form url.Values
		n    int
	)
	stripe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ = url.ParseQuery(string(body))
		n++
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"cs_test_rates_%d","object":"checkout.session","status":"open","payment_status":"unpaid"}`, n)
	}))
	defer stripe.Close()
	rates := postgres.NewShippingRates(pool)
	two, five := int64(2), int64(5)
	for _, r := range []shop.ShippingRate{
		{Name: "Express", Amount: 1500, Currency: "usd", MinDays: &two, MaxDays: &two, Active: true},
		{Name: "Standard", Amount: 500, Currency: "usd", MaxDays: &five, Active: true},
		{Name: "Old", Amount: 300, Currency: "usd", Active: false},
		{Name: "Europe", Amount: 700, Currency: "eur", Active: true},
	} {
		if _, err := rates.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	mug, err := postgres.NewProducts(pool).Create(ctx, shop.Product{Name: "Mug", UnitAmount: 2000, Currency: "usd", Active: true, TaxCode: "txcd_99999999"})
	if err != nil {
		t.Fatal(err)
	}
	cup, err := postgres.NewProducts(pool).Create(ctx, shop.Product{Name: "Cup", UnitAmount: 1000, Currency: "usd", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	svc := checkout.New(checkout.Config{Pool: pool, AppURL: "http://shop.test",
		Payments: payments.New(payments.Config{SecretKey: "sk_test_x", APIURL: stripe.URL}),
		Sessions: checkout.SessionOptions{ShippingCountries: []string{"US", "CA"}, FreeShippingOver: 5000,
			PromotionCodes: true, AutomaticTax: true, TaxBehavior: "inclusive"}})
	for _, c := range []struct {
		qty  int64
		want []string
	}{
		{1, []string{"Standard", "Express"}},
		{2, []string{"Free shipping", "Standard", "Express"}},
	} {
		if _, err := svc.Start(ctx, []shop.Item{{ProductID: mug.ID, Quantity: c.qty}, {ProductID: cup.ID, Quantity: 1}}, ""); err != nil {
			t.Fatal(err)
		}
		var names []string
		for i := 0; form.Has(fmt.Sprintf("shipping_options[%d][shipping_rate_data][display_name]", i)); i++ {
			names = append(names, form.Get(fmt.Sprintf("shipping_options[%d][shipping_rate_data][display_name]", i)))
		}
		if fmt.Sprint(names) != fmt.Sprint(c.want) {
			t.Errorf("%d mugs: options %v, want %v", c.qty, names, c.want)
		}
		for k, v := range map[string]string{
			"line_items[0][price_data][product_data][tax_code]": "txcd_99999999",
			"line_items[1][price_data][product_data][name]":     "Cup",
			"line_items[1][price_data][tax_behavior]":           "inclusive",
			"shipping_address_collection[allowed_countries][1]": "CA",
			"allow_promotion_codes":                             "true",
			"automatic_tax[enabled]":                            "true",
		} {
			if form.Get(k) != v {
				t.Errorf("%d mugs: %s = %q, want %q", c.qty, k, form.Get(k), v)
			}
		}
	}
}

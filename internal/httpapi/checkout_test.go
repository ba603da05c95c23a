package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stripeshop/stripeshop/internal/shoptest"
)

func TestCheckoutReservesStockAndOpensASession(t *testing.T) {
	e := newEnv(t)
	p := e.createProduct(1250, 3)
	s := e.buy(p.ID, 2)
	if s.OrderID == "" || len(s.SessionID) < 4 || s.SessionID[:3] != "cs_" || s.CheckoutURL == "" {
		t.Fatalf("checkout answered %+v", s)
	}
	if got := *e.product(p.ID).Stock; got != 1 {
		t.Fatalf("stock after reserving 2 of 3 = %d, want 1", got)
	}
	o := e.order(s.OrderID)
	if o.Status != "pending" || o.AmountTotal != 2500 || o.Currency != "usd" || o.SessionID != s.SessionID || o.Quantity != 2 {
		t.Fatalf("order = %+v", o)
	}
	// The price never comes from the client: an extra field is refused outright.
	r := e.client().Do("POST", "/api/checkout", map[string]any{"product_id": p.ID, "quantity": 1, "unit_amount": 1})
	if r.Status != 400 {
		t.Fatalf("checkout with a client price = %d, want 400", r.Status)
	}
}

func TestCheckoutInputErrors(t *testing.T) {
	e := newEnv(t)
	p := e.createProduct(1000, 1)
	archived := e.createProduct(1000, 5)
	e.admin().MustDo("PATCH", "/api/admin/products/"+archived.ID, map[string]any{"active": false}, 200, nil)
	cases := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"quantity 0", map[string]any{"product_id": p.ID, "quantity": 0}, 400, "invalid"},
		{"quantity 101", map[string]any{"product_id": p.ID, "quantity": 101}, 400, "invalid"},
		{"quantity string", `{"product_id": "` + p.ID + `", "quantity": "2"}`, 400, "invalid"},
		{"no product", map[string]any{"quantity": 1}, 400, "invalid"},
		{"unknown product", map[string]any{"product_id": "00000000-0000-0000-0000-000000000000"}, 404, "not_found"},
		{"malformed product id", map[string]any{"product_id": "1; DROP TABLE orders"}, 404, "not_found"},
		{"archived product", map[string]any{"product_id": archived.ID}, 404, "not_found"},
		{"more than the stock", map[string]any{"product_id": p.ID, "quantity": 2}, 409, "conflict"},
	}
	for _, tc := range cases {
		r := e.client().Do("POST", "/api/checkout", tc.body)
		if r.Status != tc.status || r.ErrorCode() != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.Status, r.Body, tc.status, tc.code)
		}
	}
	if got := *e.product(p.ID).Stock; got != 1 {
		t.Fatalf("refused checkouts changed the stock to %d", got)
	}
}

func TestConcurrentCheckoutsNeverOversell(t *testing.T) {
	e := newEnv(t)
	p := e.createProduct(1000, 5)
	var ok, conflict, other atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.client().Do("POST", "/api/checkout", map[string]any{"product_id": p.ID, "quantity": 1})
			switch r.Status {
			case 201:
				ok.Add(1)
			case 409:
				conflict.Add(1)
			default:
				other.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 5 || conflict.Load() != 25 || other.Load() != 0 {
		t.Fatalf("30 buyers of 5 units: %d sold, %d refused, %d other", ok.Load(), conflict.Load(), other.Load())
	}
	if got := *e.product(p.ID).Stock; got != 0 {
		t.Fatalf("stock = %d, want 0", got)
	}
	var pending int
	e.Pool.QueryRow(context.Background(), `SELECT count(*) FROM orders WHERE status = 'pending' AND product_id = $1`, p.ID).Scan(&pending)
	if pending != 5 {
		t.Fatalf("%d pending orders, want 5", pending)
	}
}

func TestStripeFailureReleasesTheStock(t *testing.T) {
	var calls atomic.Int32
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(500)
		w.Write([]byte(`{"error": {"type": "api_error", "message": "boom"}}`))
	}))
	defer broken.Close()
	e := newEnv(t, shoptest.Options{StripeURL: broken.URL})
	p := e.createProduct(1000, 2)
	r := e.client().Do("POST", "/api/checkout", map[string]any{"product_id": p.ID, "quantity": 2})
	if r.Status != 502 || r.ErrorCode() != "payment_provider" {
		t.Fatalf("checkout with Stripe down = %d %s, want 502 payment_provider", r.Status, r.Body)
	}
	if got := *e.product(p.ID).Stock; got != 2 {
		t.Fatalf("stock after a failed checkout = %d, want 2 (released)", got)
	}
	var status string
	e.Pool.QueryRow(context.Background(), `SELECT status FROM orders WHERE product_id = $1`, p.ID).Scan(&status)
	if status != "expired" {
		t.Fatalf("the failed order is %q, want expired", status)
	}
	if calls.Load() < 1 {
		t.Fatal("Stripe was never asked")
	}
}

func TestUnlimitedStockStaysUnlimited(t *testing.T) {
	e := newEnv(t)
	p := e.createProduct(1000, -1)
	e.buy(p.ID, 100)
	if got := e.product(p.ID).Stock; got != nil {
		t.Fatalf("unlimited stock became %d", *got)
	}
}

// An order of a product with unlimited stock reserved nothing, so giving it
// up must not add units to a stock the admin set in between.
func TestGivingUpReturnsOnlyReservedUnits(t *testing.T) {
	f := newFlow(t)
	p := f.createProduct(1000, -1)
	s := f.startCheckout(p.ID, 100)
	f.admin().MustDo("PATCH", "/api/admin/products/"+p.ID, map[string]any{"stock": 3}, 200, nil)
	var o order
	f.client().MustDo("POST", "/api/checkout/cancel", map[string]any{"order_id": s.OrderID}, 200, &o)
	if o.Status != "expired" {
		t.Fatalf("after cancel: %s", o.Status)
	}
	if got := *f.product(p.ID).Stock; got != 3 {
		t.Fatalf("stock = %d, want 3: units that were never reserved came back", got)
	}
}

func TestTotalAboveStripesMaximumIsRefused(t *testing.T) {
	e := newEnv(t)
	p := e.createProduct(99_999_999, 5)
	r := e.client().Do("POST", "/api/checkout", map[string]any{"product_id": p.ID, "quantity": 2})
	if r.Status != 400 || r.Fields()["quantity"] == "" {
		t.Fatalf("2 × 99,999,999 = %d %s, want 400 on quantity", r.Status, r.Body)
	}
	if got := *e.product(p.ID).Stock; got != 5 {
		t.Fatalf("a refused checkout took stock: %d", got)
	}
	e.buy(p.ID, 1)
}

func TestCheckoutIsRateLimitedPerClient(t *testing.T) {
	e := newEnv(t, shoptest.Options{CheckoutRateLimit: 3})
	p := e.createProduct(1000, -1)
	c := e.client()
	for i := 0; i < 3; i++ {
		c.MustDo("POST", "/api/checkout", map[string]any{"product_id": p.ID}, 201, nil)
	}
	r := c.Do("POST", "/api/checkout", map[string]any{"product_id": p.ID})
	if r.Status != 429 || r.ErrorCode() != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("4th checkout in a minute = %d %s (Retry-After %q), want 429", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	// The catalog is not limited.
	c.MustDo("GET", "/api/products", nil, 200, nil)
}

// The addresses of one IPv6 /64 are one client for every per-client limit,
// as they are for login: a host holding a /64 cannot rotate its way out.
func TestCheckoutLimitsGroupIPv6By64(t *testing.T) {
	e := newEnv(t, shoptest.Options{CheckoutRateLimit: 3, TrustedProxies: "127.0.0.1"})
	p := e.createProduct(1000, -1)
	body := map[string]any{"product_id": p.ID}
	var got []int
	for i := range 8 {
		got = append(got, e.client().Do("POST", "/api/checkout", body, from(fmt.Sprintf("2001:db8:1:2::%x", i+1))...).Status)
	}
	if want := []int{201, 201, 201, 429, 429, 429, 429, 429}; !slices.Equal(got, want) {
		t.Fatalf("8 checkouts from 8 addresses of one /64 under a limit of 3: %v, want %v", got, want)
	}
	// Cancels share the checkout limit; status calls have their own (4×).
	if r := e.client().Do("POST", "/api/checkout/cancel", map[string]any{"order_id": p.ID}, from("2001:db8:1:2:ffff::1")...); r.Status != 429 {
		t.Fatalf("a cancel from the same /64 = %d %s, want 429", r.Status, r.Body)
	}
	got = nil
	for i := range 13 {
		got = append(got, e.client().Do("GET", "/api/checkout/status?session_id=cs_test_none", nil, from(fmt.Sprintf("2001:db8:1:2::1:%x", i+1))...).Status)
	}
	if got[11] == 429 || got[12] != 429 {
		t.Fatalf("13 status calls from one /64 under a limit of 12: %v, want the 13th (only) refused", got)
	}
	// Another /64, and an IPv4 client, are other clients.
	for _, addr := range []string{"2001:db8:1:3::1", "203.0.113.9"} {
		if r := e.client().Do("POST", "/api/checkout", body, from(addr)...); r.Status != 201 {
			t.Fatalf("a checkout from %s = %d %s, want 201", addr, r.Status, r.Body)
		}
	}
}

// An id is a UUID in either case, and the answer names it as it was issued.
func TestIDsAreAcceptedInEitherCase(t *testing.T) {
	f := newFlow(t)
	p := f.createProduct(1000, 5)
	var got product
	f.client().MustDo("GET", "/api/products/"+strings.ToUpper(p.ID), nil, 200, &got)
	if got.ID != p.ID {
		t.Fatalf("product read by its upper-case id answered id %q, want %q", got.ID, p.ID)
	}
	s := f.startCheckout(strings.ToUpper(p.ID), 2)
	if o := f.order(strings.ToUpper(s.OrderID)); o.ID != s.OrderID || o.Quantity != 2 {
		t.Fatalf("order read by its upper-case id = %+v", o)
	}
	var o struct {
		OrderID string `json:"order_id"`
		Status  string `json:"status"`
	}
	f.client().MustDo("POST", "/api/checkout/cancel", map[string]any{"order_id": strings.ToUpper(s.OrderID)}, 200, &o)
	if o.OrderID != s.OrderID || o.Status != "expired" {
		t.Fatalf("cancel by the upper-case id = %+v", o)
	}
	if stock := *f.product(strings.ToUpper(p.ID)).Stock; stock != 5 {
		t.Fatalf("stock after the cancel = %d, want 5", stock)
	}
}

// The cancel link carries the order id, so whoever holds it learns from the
// cancel route only what the cancel page shows: what became of the order,
// never the customer's e-mail or the session id that reads the whole order.
// Nor does the id reach the info log.
func TestCancelAnswersOnlyWhatThePageNeeds(t *testing.T) {
	e := newEnv(t)
	p := e.createProduct(1000, 5)
	s := e.buy(p.ID, 2)
	e.mustDeliver(paidEvent(s, e.order(s.OrderID)).payload())
	before := len(e.Logs.String())
	r := e.client().MustDo("POST", "/api/checkout/cancel", map[string]any{"order_id": s.OrderID}, 200, nil)
	var got map[string]any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"order_id": s.OrderID, "status": "paid", "product_id": p.ID, "product_name": "Mug"}
	if !maps.Equal(got, want) {
		t.Fatalf("cancel of a paid order answered %s, want exactly %v", r.Body, want)
	}
	for _, l := range strings.Split(e.Logs.String()[before:], "\n") {
		if strings.Contains(l, s.OrderID) && !strings.Contains(l, "level=DEBUG") {
			t.Errorf("the order id reached a log line above debug: %s", l)
		}
	}
}

// A web page can make its visitors' browsers POST text/plain, a form or
// multipart anywhere without a CORS preflight. The public POSTs take only
// JSON, so such a page reserves nothing; JSON from another origin needs a
// preflight the server does not grant.
func TestPublicPostsTakeOnlyJSON(t *testing.T) {
	e := newEnv(t)
	p := e.createProduct(1000, 5)
	s := e.buy(p.ID, 1)
	checkout := fmt.Sprintf(`{"product_id": %q, "quantity": 4}`, p.ID)
	cancel := fmt.Sprintf(`{"order_id": %q}`, s.OrderID)
	for _, ct := range []string{"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
		"multipart/form-data; boundary=x", "", "application/json; charset=iso-8859-1", "application/jsonx"} {
		for path, body := range map[string]string{"/api/checkout": checkout, "/api/checkout/cancel": cancel} {
			r := e.client().Do("POST", path, body, "Content-Type", ct, "Origin", "https://evil.example")
			if r.Status != http.StatusUnsupportedMediaType || r.ErrorCode() != "unsupported_media_type" {
				t.Errorf("POST %s with Content-Type %q = %d %s, want 415 unsupported_media_type", path, ct, r.Status, r.Body)
			}
		}
	}
	if got := *e.product(p.ID).Stock; got != 4 {
		t.Fatalf("stock = %d after refused requests, want 4 (one unit bought as JSON)", got)
	}
	if o := e.order(s.OrderID); o.Status != "pending" {
		t.Fatalf("a refused cancel cancelled the order: %s", o.Status)
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"} {
		body := map[string]any{"product_id": p.ID}
		if r := e.client().Do("POST", "/api/checkout", body, "Content-Type", ct); r.Status != 201 {
			t.Errorf("POST /api/checkout with Content-Type %q = %d %s, want 201", ct, r.Status, r.Body)
		}
	}
	// The webhook is not a browser's route: Stripe's signature guards it,
	// whatever the type says.
	if r := e.client().Do("POST", "/webhook/stripe", "{}", "Content-Type", "text/plain"); r.Status != http.StatusBadRequest {
		t.Errorf("unsigned webhook sent as text/plain = %d %s, want 400 (the signature, not the type)", r.Status, r.Body)
	}
}

// One client cannot hold the stock hostage: however many checkouts it
// starts at once, from however many addresses of its /64, its open orders
// hold at most the cap between them, and other customers still buy.
func TestUnitsHeldPerClientAreBounded(t *testing.T) {
	e := newEnv(t, shoptest.Options{MaxUnitsPerClient: 10, TrustedProxies: "127.0.0.1"})
	p := e.createProduct(1000, 50)
	buy := func(addr string, qty int64) shoptest.Response {
		return e.client().Do("POST", "/api/checkout", map[string]any{"product_id": p.ID, "quantity": qty}, from(addr)...)
	}
	var (
		wg      sync.WaitGroup
		created atomic.Int64
		refused = make(chan shoptest.Response, 20)
	)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := buy(fmt.Sprintf("2001:db8:1:2::%x", i+1), 3); r.Status == 201 {
				created.Add(1)
			} else {
				refused <- r
			}
		}()
	}
	wg.Wait()
	close(refused)
	if got := created.Load(); got != 3 {
		t.Fatalf("20 concurrent checkouts of 3 under a cap of 10 placed %d orders, want 3 (9 units)", got)
	}
	for r := range refused {
		if r.Status != 409 || r.ErrorCode() != "conflict" || !strings.Contains(string(r.Body), "hold 9 units") ||
			!strings.Contains(string(r.Body), "at most 10") {
			t.Fatalf("refused checkout = %d %s, want 409 conflict saying 9 held and the cap of 10", r.Status, r.Body)
		}
	}
	if got := *e.product(p.ID).Stock; got != 41 {
		t.Fatalf("stock = %d, want 41: the client holds 9", got)
	}
	// Others still buy, up to their own cap.
	for _, addr := range []string{"203.0.113.9", "2001:db8:1:3::1"} {
		if r := buy(addr, 10); r.Status != 201 {
			t.Fatalf("another client (%s) buying 10 = %d %s, want 201", addr, r.Status, r.Body)
		}
	}
	// The client may still take the one unit left under its cap, and more
	// once an order of its ends.
	if r := buy("2001:db8:1:2::ffff", 1); r.Status != 201 {
		t.Fatalf("the 10th unit = %d %s, want 201", r.Status, r.Body)
	}
	if r := buy("2001:db8:1:2::ffff", 1); r.Status != 409 {
		t.Fatalf("the 11th unit = %d %s, want 409", r.Status, r.Body)
	}
	var page struct{ Orders []order }
	e.admin().MustDo("GET", "/api/admin/orders?status=pending&limit=100", nil, 200, &page)
	i := slices.IndexFunc(page.Orders, func(o order) bool { return o.Quantity == 3 })
	if i < 0 {
		t.Fatalf("no pending order of 3 among %+v", page.Orders)
	}
	o := page.Orders[i]
	e.mustDeliver(sessionEvent{Type: "checkout.session.expired", SessionID: o.SessionID, OrderID: o.ID,
		Status: "expired", PaymentStatus: "unpaid", AmountTotal: o.AmountTotal, Currency: o.Currency}.payload())
	if got := e.order(o.ID).Status; got != "expired" {
		t.Fatalf("the order of 3 is %s after its session expired", got)
	}
	if r := buy("2001:db8:1:2::ffff", 3); r.Status != 201 {
		t.Fatalf("3 units after an order of 3 ended = %d %s, want 201", r.Status, r.Body)
	}
}

// A product may allow fewer units per order than the checkout's 100: the
// admin sets it, everyone sees it, and a larger order is refused on quantity.
func TestMaxPerOrder(t *testing.T) {
	e := newEnv(t)
	a := e.admin()
	var p struct {
		ID          string `json:"id"`
		MaxPerOrder *int64 `json:"max_per_order"`
	}
	a.MustDo("POST", "/api/admin/products", map[string]any{"name": "Mug", "unit_amount": 1000, "currency": "usd", "stock": 10, "max_per_order": 2}, 201, &p)
	if p.MaxPerOrder == nil || *p.MaxPerOrder != 2 {
		t.Fatalf("created with max_per_order 2: %+v", p)
	}
	e.client().MustDo("GET", "/api/products/"+p.ID, nil, 200, &p)
	if p.MaxPerOrder == nil || *p.MaxPerOrder != 2 {
		t.Fatalf("the public product says max_per_order %v, want 2", p.MaxPerOrder)
	}
	r := e.client().Do("POST", "/api/checkout", map[string]any{"product_id": p.ID, "quantity": 3})
	if r.Status != 400 || r.Fields()["quantity"] != "must be at most 2 for this product" {
		t.Fatalf("3 of a product with max_per_order 2 = %d %s, want 400 on quantity", r.Status, r.Body)
	}
	e.buy(p.ID, 2)
	for _, bad := range []any{0, 101, -1, "two", 2.5} {
		r := a.Do("PATCH", "/api/admin/products/"+p.ID, map[string]any{"max_per_order": bad})
		if r.Status != 400 || r.Fields()["max_per_order"] == "" {
			t.Errorf("max_per_order %v = %d %s, want 400 on max_per_order", bad, r.Status, r.Body)
		}
	}
	// Other fields leave it as it is; null lifts it.
	a.MustDo("PATCH", "/api/admin/products/"+p.ID, map[string]any{"name": "Big mug"}, 200, &p)
	if p.MaxPerOrder == nil || *p.MaxPerOrder != 2 {
		t.Fatalf("a patch of the name changed max_per_order to %v", p.MaxPerOrder)
	}
	a.MustDo("PATCH", "/api/admin/products/"+p.ID, map[string]any{"max_per_order": nil}, 200, &p)
	if p.MaxPerOrder != nil {
		t.Fatalf("max_per_order null: %v", *p.MaxPerOrder)
	}
	e.buy(p.ID, 3)
}

// The customer who cancels sees the units back on their very next page:
// the catalog this replica serves does not wait for the notification.
func TestCancelledUnitsShowAtOnce(t *testing.T) {
	f := newFlow(t)
	p := f.createProduct(1000, 1)
	s := f.startCheckout(p.ID, 1)
	var before product
	f.client().MustDo("GET", "/api/products/"+p.ID, nil, 200, &before)
	f.client().MustDo("POST", "/api/checkout/cancel", map[string]any{"order_id": s.OrderID}, 200, nil)
	var after product
	f.client().MustDo("GET", "/api/products/"+p.ID, nil, 200, &after)
	if after.Stock == nil {
		t.Fatal("right after the cancel the shop shows unlimited stock, want 1")
	}
	if *after.Stock != 1 {
		t.Fatalf("right after the cancel the shop shows stock %d, want 1", *after.Stock)
	}
}

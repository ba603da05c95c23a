package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/checkout"
	"github.com/stripeshop/stripeshop/internal/shoptest"
	"github.com/stripeshop/stripeshop/internal/stripesim"
)

// flow is the whole seven-step flow in one process: the shop server on a
// real database, the simulator standing in for Stripe, and a browser.
type flow struct {
	*env
	sim    *stripesim.Server
	simSrv *httptest.Server
	clock  *fakeClock
	// browser follows no redirects, so each step can be checked.
	browser *http.Client
}

type fakeClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

func newFlow(t *testing.T) *flow {
	t.Helper()
	return newFlowWith(t, stripesim.Config{}, shoptest.Options{})
}

// newFlowWith is newFlow with more of the simulator's and the shop's
// settings (the URLs and clocks are the flow's own; the webhook secret
// defaults to the shop's).
func newFlowWith(t *testing.T, simCfg stripesim.Config, o shoptest.Options) *flow {
	t.Helper()
	clock := &fakeClock{}
	simSrv := httptest.NewServer(nil)
	simCfg.PublicURL, simCfg.Now = simSrv.URL, clock.Now
	if simCfg.WebhookSecret == "" {
		simCfg.WebhookSecret = webhookSecret
	}
	simCfg.RetryBackoff, simCfg.SweepInterval = 20*time.Millisecond, 10*time.Millisecond
	sim := stripesim.New(simCfg)
	simSrv.Config.Handler = sim
	t.Cleanup(func() { simSrv.Close(); sim.Close() })
	o.StripeURL, o.App.Now = simSrv.URL, clock.Now
	e := newEnv(t, o)
	sim.SetWebhookURL(e.URL + "/webhook/stripe")
	return &flow{env: e, sim: sim, simSrv: simSrv, clock: clock,
		browser: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// checkoutURL is steps 1–3: the customer presses Buy now, the front end asks
// the back end, the back end answers the hosted page's URL.
func (f *flow) startCheckout(productID string, qty int64) started {
	f.t.Helper()
	s := f.buy(productID, qty)
	if s.CheckoutURL != f.simSrv.URL+"/pay/"+s.SessionID {
		f.t.Fatalf("checkout_url %q is not the hosted page of %s", s.CheckoutURL, s.SessionID)
	}
	return s
}

// pay is steps 4–7 on the hosted page: the browser opens it, the customer
// presses a button, the simulator sends its webhooks and redirects back.
func (f *flow) pay(s started, action string) *url.URL {
	f.t.Helper()
	page := f.simSrv.URL + "/pay/" + s.SessionID
	resp, err := f.browser.Get(page)
	if err != nil {
		f.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Mug") {
		f.t.Fatalf("hosted page: %d %s", resp.StatusCode, body)
	}
	resp, err = f.browser.PostForm(page, url.Values{"action": {action}, "email": {"buyer@example.com"}})
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		f.t.Fatalf("paying answered %d, want a redirect", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		f.t.Fatal(err)
	}
	return loc
}

// status is what the success page polls.
func (f *flow) status(sessionID string) order {
	f.t.Helper()
	var o order
	f.client().MustDo("GET", "/api/checkout/status?session_id="+url.QueryEscape(sessionID), nil, 200, &o)
	return o
}

func (f *flow) waitStatus(orderID, want string) order {
	f.t.Helper()
	var o order
	eventually(f.t, "order "+orderID+" to be "+want, func() bool {
		o = f.order(orderID)
		return o.Status == want
	})
	return o
}

// waitDelivered waits until the simulator has no webhook left to deliver.
func (f *flow) waitDelivered() {
	f.t.Helper()
	eventually(f.t, "every webhook delivered", func() bool {
		for _, ev := range f.simEvents() {
			if ev.State == "pending" {
				return false
			}
		}
		return true
	})
}

func (f *flow) simEvents() []simEvent {
	f.t.Helper()
	resp, err := http.Get(f.simSrv.URL + "/_sim/events")
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Events []simEvent }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		f.t.Fatal(err)
	}
	return out.Events
}

type simEvent struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	State    string `json:"state"`
	Attempts []struct {
		StatusCode int `json:"status_code"`
	} `json:"attempts"`
}

// simSession decodes a session as the simulator's API answers it.
func (f *flow) simSession(id string, into any) {
	f.t.Helper()
	req, _ := http.NewRequest("GET", f.simSrv.URL+"/v1/checkout/sessions/"+id, nil)
	req.Header.Set("Authorization", "Bearer sk_test_flow")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		f.t.Fatalf("GET session %s: %d", id, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		f.t.Fatal(err)
	}
}

func (f *flow) simControl(method, path string, body string) {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.simSrv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		f.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
}

func TestFlowPay(t *testing.T) {
	f := newFlow(t)
	p := f.createProduct(1250, 2)
	s := f.startCheckout(p.ID, 1)
	back := f.pay(s, "paid")
	if back.Path != "/checkout/success" || back.Query().Get("session_id") != s.SessionID {
		t.Fatalf("redirected to %s, want the success page with the session id", back)
	}
	o := f.status(s.SessionID)
	if o.Status != "paid" || o.CustomerEmail != "buyer@example.com" || o.AmountTotal != 1250 {
		t.Fatalf("success page sees %+v", o)
	}
	if o.Flagged || o.FlagReason != "" {
		t.Fatal("the public order view leaks admin fields")
	}
	if got := *f.product(p.ID).Stock; got != 1 {
		t.Fatalf("stock after one sale = %d, want 1", got)
	}
	detail := f.order(s.OrderID)
	if len(detail.Events) != 1 || detail.Events[0].Type != "checkout.session.completed" {
		t.Fatalf("order events = %+v", detail.Events)
	}
}

func TestFlowDelayedPayment(t *testing.T) {
	f := newFlow(t)
	p := f.createProduct(1000, 5)

	ok := f.startCheckout(p.ID, 1)
	f.pay(ok, "async_succeeded")
	f.waitStatus(ok.OrderID, "paid")

	bad := f.startCheckout(p.ID, 2)
	f.simControl("POST", "/_sim/webhooks", `{"paused": true}`)
	f.pay(bad, "async_failed")
	f.simControl("POST", "/_sim/webhooks", `{"paused": false}`)
	f.waitStatus(bad.OrderID, "failed")
	if got := *f.product(p.ID).Stock; got != 4 {
		t.Fatalf("stock = %d, want 4 (1 sold, 2 released on failure)", got)
	}
	events := f.order(bad.OrderID).Events
	if len(events) != 2 {
		t.Fatalf("the failed order has %d events, want completed and async_payment_failed", len(events))
	}
}

func TestFlowCancelThenExpiry(t *testing.T) {
	f := newFlow(t)
	p := f.createProduct(1000, 1)
	s := f.startCheckout(p.ID, 1)
	back := f.pay(s, "cancel")
	if back.Path != "/checkout/cancel" || back.Query().Get("product_id") != p.ID {
		t.Fatalf("cancel went to %s", back)
	}
	// Cancelling leaves the session open until it expires; the unit is held.
	if o := f.status(s.SessionID); o.Status != "pending" {
		t.Fatalf("after cancel: %s, want pending", o.Status)
	}
	if r := f.client().Do("POST", "/api/checkout", map[string]any{"product_id": p.ID}); r.Status != 409 {
		t.Fatalf("the held unit was sold again: %d", r.Status)
	}
	f.clock.Advance(checkout.SessionLifetime + time.Minute)
	f.waitStatus(s.OrderID, "expired")
	if got := *f.product(p.ID).Stock; got != 1 {
		t.Fatalf("stock after expiry = %d, want 1", got)
	}
	// It ran out: nobody cancelled it through the shop.
	if o := f.order(s.OrderID); o.CancelledAt != nil {
		t.Fatalf("an order that ran out has cancelled_at %s", *o.CancelledAt)
	}
	f.startCheckout(p.ID, 1) // a second customer can buy it
}

func TestFlowRefund(t *testing.T) {
	f := newFlow(t)
	p := f.createProduct(1000, 5)
	s := f.startCheckout(p.ID, 1)
	f.pay(s, "paid")
	f.waitStatus(s.OrderID, "paid")
	var o order
	f.admin().MustDo("POST", "/api/admin/orders/"+s.OrderID+"/refund", nil, 200, &o)
	if o.Status != "refunded" {
		t.Fatalf("after refund: %s", o.Status)
	}
	// The simulator's charge.refunded arrives too and changes nothing more.
	eventually(t, "charge.refunded recorded", func() bool {
		evs := f.order(s.OrderID).Events
		return len(evs) == 2 && evs[1].Type == "charge.refunded"
	})
	if got := f.order(s.OrderID); got.Status != "refunded" {
		t.Fatalf("after charge.refunded: %s", got.Status)
	}
}

// A refund leaves the units sold unless the admin asks for them back; a
// second refund is refused, so nothing is restocked twice.
func TestFlowRefundRestock(t *testing.T) {
	f := newFlow(t)
	p := f.createProduct(1000, 5)
	kept := f.startCheckout(p.ID, 1)
	f.pay(kept, "paid")
	back := f.startCheckout(p.ID, 2)
	f.pay(back, "paid")
	f.waitStatus(kept.OrderID, "paid")
	f.waitStatus(back.OrderID, "paid")
	var o order
	f.admin().MustDo("POST", "/api/admin/orders/"+kept.OrderID+"/refund", map[string]any{"restock": false}, 200, &o)
	if got := *f.product(p.ID).Stock; got != 2 {
		t.Fatalf("stock after a refund without restock = %d, want 2", got)
	}
	f.admin().MustDo("POST", "/api/admin/orders/"+back.OrderID+"/refund", map[string]any{"restock": true}, 200, &o)
	if o.Status != "refunded" {
		t.Fatalf("after refund: %s", o.Status)
	}
	if got := *f.product(p.ID).Stock; got != 4 {
		t.Fatalf("stock after a refund with restock = %d, want 4", got)
	}
	f.admin().MustDo("POST", "/api/admin/orders/"+back.OrderID+"/refund", map[string]any{"restock": true}, 409, nil)
	f.admin().MustDo("POST", "/api/admin/orders/"+back.OrderID+"/refund", map[string]any{"restok": true}, 400, nil)
	eventually(t, "charge.refunded recorded", func() bool {
		evs := f.order(back.OrderID).Events
		return len(evs) == 2 && evs[1].Type == "charge.refunded"
	})
	if got := *f.product(p.ID).Stock; got != 4 {
		t.Fatalf("stock after charge.refunded = %d, want still 4", got)
	}
}

// The shop answers 500 twice; Stripe's (the simulator's) retries deliver.
func TestFlowWebhookFailsTwiceThenSucceeds(t *testing.T) {
	f := newFlow(t)
	var calls atomic.Int32
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			http.Error(w, "down for a moment", http.StatusInternalServerError)
			return
		}
		f.Handler.ServeHTTP(w, r)
	}))
	defer flaky.Close()
	f.sim.SetWebhookURL(flaky.URL + "/webhook/stripe")
	p := f.createProduct(1000, 5)
	s := f.startCheckout(p.ID, 1)
	f.pay(s, "paid")
	f.waitStatus(s.OrderID, "paid")
	var attempts []int
	for _, ev := range f.simEvents() {
		if ev.Type == "checkout.session.completed" {
			for _, a := range ev.Attempts {
				attempts = append(attempts, a.StatusCode)
			}
		}
	}
	if len(attempts) != 3 || attempts[0] != 500 || attempts[1] != 500 || attempts[2] != 200 {
		t.Fatalf("delivery attempts = %v, want [500 500 200]", attempts)
	}
}

// The success page asks before the webhook arrives: the status call asks
// Stripe and fulfils the order; the late webhook then changes nothing.
func TestFlowStatusBeforeWebhook(t *testing.T) {
	f := newFlow(t)
	p := f.createProduct(1000, 5)
	s := f.startCheckout(p.ID, 1)
	f.simControl("POST", "/_sim/webhooks", `{"paused": true}`)
	f.pay(s, "paid")
	if o := f.status(s.SessionID); o.Status != "paid" {
		t.Fatalf("status before the webhook: %s, want paid", o.Status)
	}
	f.simControl("POST", "/_sim/webhooks", `{"paused": false}`)
	eventually(t, "the late webhook", func() bool { return len(f.order(s.OrderID).Events) > 0 })
	if n := f.Counter("stripeshop_order_transitions_total", map[string]string{"to": "paid"}); n != 1 {
		t.Fatalf("marked paid %v times", n)
	}
}

// Webhooks were down: the reconciler settles paid and expired sessions.
func TestReconcilerHealsMissedWebhooks(t *testing.T) {
	f := newFlow(t)
	p := f.createProduct(1000, 5)
	f.simControl("POST", "/_sim/webhooks", `{"paused": true}`)
	paid := f.startCheckout(p.ID, 1)
	f.pay(paid, "paid")
	abandoned := f.startCheckout(p.ID, 2)
	f.simControl("POST", "/_sim/checkout/sessions/"+abandoned.SessionID+"/expire", "")

	res, err := f.Checkout.Reconcile(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Checked != 2 || res.Errors != 0 {
		t.Fatalf("reconciler: %+v", res)
	}
	if o := f.order(paid.OrderID); o.Status != "paid" {
		t.Fatalf("paid session: order %s", o.Status)
	}
	if o := f.order(abandoned.OrderID); o.Status != "expired" {
		t.Fatalf("expired session: order %s", o.Status)
	}
	if got := *f.product(p.ID).Stock; got != 4 {
		t.Fatalf("stock = %d, want 4", got)
	}
	// The webhooks arrive late, after the reconciler: nothing changes.
	f.simControl("POST", "/_sim/webhooks", `{"paused": false}`)
	f.waitDelivered()
	if evs := f.order(paid.OrderID).Events; len(evs) != 1 {
		t.Fatalf("the late webhook of the paid order: %d events recorded, want 1", len(evs))
	}
	if n := f.Counter("stripeshop_order_transitions_total", nil); n != 2 {
		t.Fatalf("%v transitions, want 2", n)
	}
}

// One replica sweeps at a time.
func TestReconcilerTakesTheLock(t *testing.T) {
	f := newFlow(t)
	conn, err := f.Pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	var ok bool
	conn.QueryRow(context.Background(), `SELECT pg_try_advisory_lock($1)`, 0x5757_0001).Scan(&ok)
	if !ok {
		t.Fatal("could not take the lock")
	}
	if _, err := f.Checkout.Reconcile(context.Background(), 0); err != checkout.ErrLocked {
		t.Fatalf("Reconcile while another replica sweeps: %v, want ErrLocked", err)
	}
	conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, 0x5757_0001)
	if _, err := f.Checkout.Reconcile(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
}

// The customer comes back through the cancel link: the session is expired at
// Stripe and the unit returns at once; a second cancel changes nothing.
func TestFlowCancelReleasesAtOnce(t *testing.T) {
	f := newFlow(t)
	p := f.createProduct(1000, 1)
	s := f.startCheckout(p.ID, 1)
	back := f.pay(s, "cancel")
	if back.Query().Get("order_id") != s.OrderID {
		t.Fatalf("the cancel URL %s does not name the order", back)
	}
	for i := 0; i < 2; i++ {
		var o order
		f.client().MustDo("POST", "/api/checkout/cancel", map[string]any{"order_id": s.OrderID}, 200, &o)
		if o.Status != "expired" {
			t.Fatalf("after cancel: %s, want expired", o.Status)
		}
	}
	if got := *f.product(p.ID).Stock; got != 1 {
		t.Fatalf("stock after cancel = %d, want 1", got)
	}
	// The admin tells it from one that ran out: the customer cancelled it.
	if o := f.order(s.OrderID); o.CancelledAt == nil {
		t.Fatalf("a cancelled order has no cancelled_at: %+v", o)
	}
	// The session can no longer be paid.
	resp, err := f.browser.PostForm(f.simSrv.URL+"/pay/"+s.SessionID, url.Values{"action": {"paid"}, "email": {"late@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if o := f.order(s.OrderID); o.Status != "expired" {
		t.Fatalf("paid after cancel: %s", o.Status)
	}

	// A paid order cannot be cancelled: it stays paid.
	p2 := f.createProduct(1000, 1)
	paid := f.startCheckout(p2.ID, 1)
	f.pay(paid, "paid")
	var o order
	f.client().MustDo("POST", "/api/checkout/cancel", map[string]any{"order_id": paid.OrderID}, 200, &o)
	if o.Status != "paid" || o.CancelledAt != nil {
		t.Fatalf("cancel of a paid order: %s, cancelled_at %v", o.Status, o.CancelledAt)
	}
	for _, bad := range []string{`{}`, `{"order_id": "nope"}`, `{"order_id": 5}`} {
		if r := f.client().Do("POST", "/api/checkout/cancel", bad); r.Status != 400 && r.Status != 404 {
			t.Errorf("cancel %s = %d", bad, r.Status)
		}
	}
}

// A session Stripe does not know (another account's key, a restarted
// simulator) past its expiry cannot be paid: the reconciler releases it.
func TestReconcilerReleasesSessionsStripeDoesNotKnow(t *testing.T) {
	f := newFlow(t)
	p := f.createProduct(1000, 2)
	s := f.startCheckout(p.ID, 2)
	ctx := context.Background()
	if _, err := f.Pool.Exec(ctx, `UPDATE orders SET session_id = 'cs_test_forgotten', expires_at = now() - interval '1 minute' WHERE id = $1`, s.OrderID); err != nil {
		t.Fatal(err)
	}
	res, err := f.Checkout.Reconcile(ctx, 0)
	if err != nil || res.Errors != 0 {
		t.Fatalf("reconcile: %+v %v", res, err)
	}
	if o := f.order(s.OrderID); o.Status != "expired" {
		t.Fatalf("order %s, want expired", o.Status)
	}
	if got := *f.product(p.ID).Stock; got != 2 {
		t.Fatalf("stock = %d, want 2", got)
	}
}

// A delayed payment failed while webhooks were down: the session alone says
// "complete, unpaid" either way, so the reconciler reads the payment intent.
func TestReconcilerSeesAFailedDelayedPayment(t *testing.T) {
	f := newFlow(t)
	p := f.createProduct(1000, 3)
	s := f.startCheckout(p.ID, 1)
	ok := f.startCheckout(p.ID, 1)
	f.simControl("POST", "/_sim/webhooks", `{"paused": true}`)
	f.pay(s, "async_failed")
	f.simControl("POST", "/_sim/checkout/sessions/"+ok.SessionID+"/complete", `{"outcome": "async_succeeded", "email": "b@example.com"}`)
	if _, err := f.Checkout.Reconcile(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if o := f.order(s.OrderID); o.Status != "failed" {
		t.Fatalf("failed delayed payment: order %s, want failed", o.Status)
	}
	if o := f.order(ok.OrderID); o.Status != "paid" {
		t.Fatalf("succeeded delayed payment: order %s, want paid", o.Status)
	}
	if got := *f.product(p.ID).Stock; got != 2 {
		t.Fatalf("stock = %d, want 2", got)
	}
}

// The success page and Stripe speak of the same order: the order's number
// is in the public view and in the session's metadata at Stripe.
func TestFlowOrderNumberReachesStripe(t *testing.T) {
	f := newFlow(t)
	p := f.createProduct(1250, 5)
	for _, want := range []int64{1001, 1002} {
		s := f.startCheckout(p.ID, 1)
		if o := f.status(s.SessionID); o.Number != want {
			t.Fatalf("success page sees number %d, want %d", o.Number, want)
		}
		if o := f.order(s.OrderID); o.Number != want {
			t.Fatalf("admin sees number %d, want %d", o.Number, want)
		}
		req, _ := http.NewRequest("GET", f.simSrv.URL+"/v1/checkout/sessions/"+s.SessionID, nil)
		req.Header.Set("Authorization", "Bearer sk_test_123")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var sess struct {
			Metadata map[string]string `json:"metadata"`
		}
		err = json.NewDecoder(resp.Body).Decode(&sess)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("session at Stripe: %d, %v", resp.StatusCode, err)
		}
		if got := sess.Metadata["order_number"]; got != strconv.FormatInt(want, 10) || sess.Metadata["order_id"] != s.OrderID {
			t.Fatalf("session metadata = %v, want order_number %d and order_id %s", sess.Metadata, want, s.OrderID)
		}
	}
}

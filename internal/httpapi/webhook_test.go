package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/shoptest"
	"github.com/stripeshop/stripeshop/internal/testdb"
)

func TestWebhookSignatures(t *testing.T) {
	e := newEnv(t, shoptest.Options{WebhookSecrets: []string{"whsec_new", webhookSecret}})
	p := e.createProduct(1000, 5)
	s := e.buy(p.ID, 1)
	body := paidEvent(s, e.order(s.OrderID)).payload()

	cases := []struct {
		name   string
		secret string
		at     time.Time
		want   int
	}{
		{"forged with another secret", "whsec_attacker", time.Now(), 400},
		{"stale: 6 minutes old", webhookSecret, time.Now().Add(-6 * time.Minute), 400},
		{"from the future", webhookSecret, time.Now().Add(10 * time.Minute), 400},
	}
	for _, tc := range cases {
		if got := e.deliver(body, tc.secret, tc.at); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	for _, header := range []string{"", "garbage", "t=1,v1=zz", "t=" + strings.Repeat("9", 30) + ",v1=00"} {
		req, _ := http.NewRequest("POST", e.URL+"/webhook/stripe", bytes.NewReader(body))
		if header != "" {
			req.Header.Set("Stripe-Signature", header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("header %q: %d, want 400", header, resp.StatusCode)
		}
	}
	if o := e.order(s.OrderID); o.Status != "pending" {
		t.Fatalf("a refused webhook changed the order to %s", o.Status)
	}
	// Both secrets of a rotation are accepted; 4 minutes old is within tolerance.
	if got := e.deliver(body, webhookSecret, time.Now().Add(-4*time.Minute)); got != 200 {
		t.Fatalf("old secret during rotation: %d, want 200", got)
	}
	if o := e.order(s.OrderID); o.Status != "paid" || o.CustomerEmail != "buyer@example.com" || o.PaidAt == nil {
		t.Fatalf("order after a valid webhook = %+v", o)
	}
	s2 := e.buy(p.ID, 1)
	if got := e.deliver(paidEvent(s2, e.order(s2.OrderID)).payload(), "whsec_new", time.Now()); got != 200 {
		t.Fatalf("new secret during rotation: %d, want 200", got)
	}
	// A signed body that is not an event is refused too.
	if got := e.deliver([]byte(`{"hello": "world"}`), webhookSecret, time.Now()); got != 400 {
		t.Fatalf("signed non-event: %d, want 400", got)
	}
}

func TestSameEventFiftyTimesAppliesOnce(t *testing.T) {
	e := newEnv(t)
	p := e.createProduct(1000, 5)
	s := e.buy(p.ID, 2)
	body := paidEvent(s, e.order(s.OrderID)).payload()
	var wg sync.WaitGroup
	statuses := make(chan int, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- e.deliver(body, webhookSecret, time.Now())
		}()
	}
	wg.Wait()
	close(statuses)
	for st := range statuses {
		if st != 200 {
			t.Fatalf("a duplicate delivery answered %d, want 200", st)
		}
	}
	if o := e.order(s.OrderID); o.Status != "paid" || len(o.Events) != 1 {
		t.Fatalf("order = %s with %d events, want paid with 1", o.Status, len(o.Events))
	}
	applied := e.Counter("stripeshop_order_transitions_total", map[string]string{"from": "pending", "to": "paid"})
	if applied != 1 {
		t.Fatalf("pending→paid counted %v times, want 1", applied)
	}
	if got := *e.product(p.ID).Stock; got != 3 {
		t.Fatalf("stock = %d, want 3", got)
	}
}

func TestEventsOutOfOrder(t *testing.T) {
	e := newEnv(t)
	p := e.createProduct(1000, 5)

	// expired after paid changes nothing, and does not release the stock
	s := e.buy(p.ID, 1)
	o := e.order(s.OrderID)
	e.mustDeliver(paidEvent(s, o).payload())
	expired := sessionEvent{Type: "checkout.session.expired", SessionID: s.SessionID, OrderID: s.OrderID,
		Status: "expired", PaymentStatus: "unpaid", AmountTotal: o.AmountTotal, Currency: "usd"}
	e.mustDeliver(expired.payload())
	if got := e.order(s.OrderID); got.Status != "paid" {
		t.Fatalf("expired after paid: order is %s", got.Status)
	}
	if got := *e.product(p.ID).Stock; got != 4 {
		t.Fatalf("expired after paid released stock: %d, want 4", got)
	}

	// async success arriving before the completed(unpaid) event still ends paid
	s2 := e.buy(p.ID, 1)
	o2 := e.order(s2.OrderID)
	succeeded := paidEvent(s2, o2)
	succeeded.Type = "checkout.session.async_payment_succeeded"
	e.mustDeliver(succeeded.payload())
	late := paidEvent(s2, o2)
	late.PaymentStatus = "unpaid"
	e.mustDeliver(late.payload())
	if got := e.order(s2.OrderID); got.Status != "paid" {
		t.Fatalf("async success then completed(unpaid): %s, want paid", got.Status)
	}

	// a refund of an expired order is ignored
	s3 := e.buy(p.ID, 1)
	e.mustDeliver(sessionEvent{Type: "checkout.session.expired", SessionID: s3.SessionID, OrderID: s3.OrderID,
		Status: "expired", PaymentStatus: "unpaid", AmountTotal: 1000, Currency: "usd"}.payload())
	if got := e.order(s3.OrderID); got.Status != "expired" {
		t.Fatalf("expired: %s", got.Status)
	}
	if got := *e.product(p.ID).Stock; got != 3 {
		t.Fatalf("stock after one expiry = %d, want 3", got)
	}
}

func TestAsyncPaymentSucceedsOrFails(t *testing.T) {
	e := newEnv(t)
	p := e.createProduct(1000, 5)

	ok := e.buy(p.ID, 1)
	o := e.order(ok.OrderID)
	completed := paidEvent(ok, o)
	completed.PaymentStatus = "unpaid"
	e.mustDeliver(completed.payload())
	if got := e.order(ok.OrderID); got.Status != "processing" {
		t.Fatalf("completed(unpaid): %s, want processing", got.Status)
	}
	succeeded := paidEvent(ok, o)
	succeeded.Type = "checkout.session.async_payment_succeeded"
	e.mustDeliver(succeeded.payload())
	if got := e.order(ok.OrderID); got.Status != "paid" {
		t.Fatalf("async success: %s, want paid", got.Status)
	}

	bad := e.buy(p.ID, 2)
	ob := e.order(bad.OrderID)
	completed = paidEvent(bad, ob)
	completed.PaymentStatus = "unpaid"
	e.mustDeliver(completed.payload())
	failed := paidEvent(bad, ob)
	failed.Type, failed.PaymentStatus = "checkout.session.async_payment_failed", "unpaid"
	e.mustDeliver(failed.payload())
	if got := e.order(bad.OrderID); got.Status != "failed" {
		t.Fatalf("async failure: %s, want failed", got.Status)
	}
	if got := *e.product(p.ID).Stock; got != 4 {
		t.Fatalf("stock = %d, want 4 (1 sold, 2 released)", got)
	}
}

func TestAmountMismatchIsFlaggedNotPaid(t *testing.T) {
	e := newEnv(t)
	p := e.createProduct(1000, 5)
	s := e.buy(p.ID, 1)
	ev := paidEvent(s, e.order(s.OrderID))
	ev.AmountTotal = 1
	e.mustDeliver(ev.payload())
	o := e.order(s.OrderID)
	if o.Status == "paid" || !o.Flagged || !strings.Contains(o.FlagReason, "1 usd") {
		t.Fatalf("underpaid order = %+v, want flagged and not paid", o)
	}
}

func TestRefundFromEventAndFromAdmin(t *testing.T) {
	e := newEnv(t)
	p := e.createProduct(1000, 5)
	a := e.admin()

	s := e.buy(p.ID, 1)
	ev := paidEvent(s, e.order(s.OrderID))
	r := a.Do("POST", "/api/admin/orders/"+s.OrderID+"/refund", nil)
	if r.Status != 409 {
		t.Fatalf("refund of a pending order = %d, want 409", r.Status)
	}
	e.mustDeliver(ev.payload())
	e.mustDeliver(chargeRefunded(ev.PaymentIntent, 1000, 400)) // partial: stays paid
	if got := e.order(s.OrderID); got.Status != "paid" {
		t.Fatalf("partial refund: %s, want paid", got.Status)
	}
	// The admin reads why the refund left the order as it was: a note, not an error.
	var detail struct {
		Events []struct {
			Type, Note string
		} `json:"events"`
	}
	a.MustDo("GET", "/api/admin/orders/"+s.OrderID, nil, 200, &detail)
	if n := len(detail.Events); n != 2 || detail.Events[1].Note != "partial refund: the order stays paid" {
		t.Fatalf("events %+v, want the partial refund noted", detail.Events)
	}
	e.mustDeliver(chargeRefunded(ev.PaymentIntent, 1000, 1000))
	if got := e.order(s.OrderID); got.Status != "refunded" {
		t.Fatalf("full refund event: %s, want refunded", got.Status)
	}

	s2 := e.buy(p.ID, 1)
	e.mustDeliver(paidEvent(s2, e.order(s2.OrderID)).payload())
	var o order
	a.MustDo("POST", "/api/admin/orders/"+s2.OrderID+"/refund", nil, 200, &o)
	if o.Status != "refunded" {
		t.Fatalf("admin refund: %s", o.Status)
	}
	a.MustDo("POST", "/api/admin/orders/"+s2.OrderID+"/refund", nil, 409, nil)
}

func TestUnknownEventTypesAreRecorded(t *testing.T) {
	e := newEnv(t)
	body := []byte(`{"id": "evt_unknown_1", "object": "event", "type": "customer.created", "api_version": "2023-10-16",
		"created": 1700000000, "data": {"object": {"id": "cus_1", "object": "customer"}}}`)
	e.mustDeliver(body)
	var log struct {
		Events []struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"events"`
	}
	e.admin().MustDo("GET", "/api/admin/events", nil, 200, &log)
	if len(log.Events) != 1 || log.Events[0].ID != "evt_unknown_1" {
		t.Fatalf("event log = %+v", log.Events)
	}
}

func TestOtherAPIVersionIsProcessedAndCounted(t *testing.T) {
	e := newEnv(t)
	p := e.createProduct(1000, 5)
	s := e.buy(p.ID, 1)
	ev := paidEvent(s, e.order(s.OrderID))
	ev.APIVersion = "2024-06-20"
	e.mustDeliver(ev.payload())
	if got := e.order(s.OrderID); got.Status != "paid" {
		t.Fatalf("event of another API version: %s, want paid", got.Status)
	}
	if n := e.Counter("stripeshop_webhook_api_version_mismatch_total", nil); n != 1 {
		t.Fatalf("mismatch counted %v times", n)
	}
	if !strings.Contains(e.Logs.String(), "another API version") {
		t.Fatal("no warning logged for the API version mismatch")
	}
}

// The database goes away in the middle of a webhook: the answer is 5xx so
// Stripe retries, nothing is half-written, and the retry applies the event.
func TestWebhookWhileTheDatabaseIsDown(t *testing.T) {
	e := newEnv(t)
	p := e.createProduct(1000, 5)
	s := e.buy(p.ID, 1)
	body := paidEvent(s, e.order(s.OrderID)).payload()
	dbName := e.DatabaseURL[strings.LastIndex(e.DatabaseURL, "/")+1:]
	if i := strings.Index(dbName, "?"); i >= 0 {
		dbName = dbName[:i]
	}
	admin, err := testdbAdmin()
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	ctx := context.Background()
	mustExec(t, admin, `ALTER DATABASE "`+dbName+`" ALLOW_CONNECTIONS false`)
	mustExec(t, admin, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, dbName)

	if got := e.deliver(body, webhookSecret, time.Now()); got < 500 {
		t.Fatalf("webhook with the database down = %d, want 5xx", got)
	}
	resp, err := http.Get(e.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("/readyz with the database down = %d, want 503", resp.StatusCode)
	}

	mustExec(t, admin, `ALTER DATABASE "`+dbName+`" ALLOW_CONNECTIONS true`)
	// The job queue keeps the pool's connections busy, so the pool does not
	// ping them before handing one out: drop the ones the outage killed.
	e.Pool.Reset()
	var events int
	if err := e.Pool.QueryRow(ctx, `SELECT count(*) FROM stripe_events`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != 0 {
		t.Fatalf("%d events recorded by a failed delivery, want 0", events)
	}
	e.mustDeliver(body) // Stripe's retry
	if got := e.order(s.OrderID); got.Status != "paid" {
		t.Fatalf("after the retry: %s, want paid", got.Status)
	}
}

// Two server processes on one database: the same event to both applies once.
func TestTwoServersOneDatabase(t *testing.T) {
	u := testdb.URL(t)
	one := newEnv(t, shoptest.Options{DatabaseURL: u})
	two := newEnv(t, shoptest.Options{DatabaseURL: u})
	p := one.createProduct(1000, 5)
	s := two.buy(p.ID, 1)
	body := paidEvent(s, one.order(s.OrderID)).payload()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); one.mustDeliver(body) }()
		go func() { defer wg.Done(); two.mustDeliver(body) }()
	}
	wg.Wait()
	total := one.Counter("stripeshop_order_transitions_total", map[string]string{"from": "pending", "to": "paid"}) +
		two.Counter("stripeshop_order_transitions_total", map[string]string{"from": "pending", "to": "paid"})
	if total != 1 {
		t.Fatalf("the order was marked paid %v times across two servers", total)
	}
	if o := two.order(s.OrderID); o.Status != "paid" || len(o.Events) != 1 {
		t.Fatalf("order = %s with %d events", o.Status, len(o.Events))
	}
}

// The admin's reprocess of an applied event answers the event and changes
// nothing: transitions are conditional.
func TestReprocess(t *testing.T) {
	e := newEnv(t)
	p := e.createProduct(1000, 5)
	s := e.buy(p.ID, 1)
	paid := paidEvent(s, e.order(s.OrderID))
	paid.ID = "evt_reprocess_paid"
	e.mustDeliver(paid.payload())
	var ev struct {
		ID          string  `json:"id"`
		ProcessedAt *string `json:"processed_at"`
	}
	a := e.admin()
	a.MustDo("POST", "/api/admin/events/evt_reprocess_paid/reprocess", nil, 200, &ev)
	if ev.ID != "evt_reprocess_paid" || ev.ProcessedAt == nil {
		t.Fatalf("reprocess answered %+v", ev)
	}
	if n := e.Counter("stripeshop_order_transitions_total", map[string]string{"to": "paid"}); n != 1 {
		t.Fatalf("reprocess moved the order again: %v moves to paid", n)
	}
	if o := e.order(s.OrderID); o.Status != "paid" {
		t.Fatalf("after reprocess: %s", o.Status)
	}
}

// An event Stripe signed but the shop cannot read (a later API version
// retyped a field it reads) is not refused: Stripe would resend the same
// body for three days. It is recorded, answered 200, and shown to the admin
// with a note; a redelivery is a duplicate.
func TestSignedEventTheShopCannotReadIsRecordedForTheAdmin(t *testing.T) {
	e := newEnv(t)
	ev := map[string]any{"id": nextEventID(), "object": "event", "type": "charge.refunded", "api_version": "2031-01-01.future",
		"created": time.Now().Unix(), "data": map[string]any{"object": map[string]any{
			"id": "ch_future", "object": "charge", "payment_intent": "pi_future", "amount": map[string]any{"value": 1000},
		}}}
	body, _ := json.Marshal(ev)
	for i, want := range []string{"noted", "duplicate"} {
		var answer struct{ Outcome string }
		r := e.client().Do("POST", "/webhook/stripe", body, "Stripe-Signature", payments.Sign(body, webhookSecret, time.Now()))
		if err := json.Unmarshal(r.Body, &answer); err != nil || r.Status != 200 || answer.Outcome != want {
			t.Fatalf("delivery %d: %d %s, want 200 %s", i+1, r.Status, r.Body, want)
		}
	}
	var log struct {
		Events []struct{ ID, Type, Note string }
	}
	e.admin().MustDo("GET", "/api/admin/events", nil, 200, &log)
	if len(log.Events) != 1 || log.Events[0].ID != ev["id"] || !strings.HasPrefix(log.Events[0].Note, "not applied: ") {
		t.Fatalf("event log %+v, want the unreadable event with a note", log.Events)
	}
}

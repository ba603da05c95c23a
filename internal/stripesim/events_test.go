package stripesim_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v76"

	"github.com/stripeshop/stripeshop/internal/stripesim"
)

func allEvents(c *stripesim.Config) { c.EnabledEvents = []string{"*"} }

// An endpoint that listens to every event gets those Stripe sends around a
// Checkout payment, a refund and a dispute, in the order they happen.
func TestEventsAsStripeSendsThem(t *testing.T) {
	t.Parallel()
	e := newEnv(t, allEvents)

	cs := e.createSession(t, "order-ev")
	if resp, _ := post(t, cs.URL, card("4000 0000 0000 9995")); resp.StatusCode != http.StatusPaymentRequired {
		t.Fatalf("declined card: status %d", resp.StatusCode)
	}
	e.complete(t, cs.ID, "paid", "ev@example.com")
	paid, _ := e.api.CheckoutSessions.Get(cs.ID, nil)
	pi := paid.PaymentIntent.ID
	if _, err := e.api.Refunds.New(&stripe.RefundParams{PaymentIntent: stripe.String(pi), Amount: stripe.Int64(500)}); err != nil {
		t.Fatal(err)
	}
	var opened struct {
		Dispute stripe.Dispute `json:"dispute"`
		Events  []string       `json:"events"`
	}
	if code := e.control(t, "POST", "/_sim/disputes", map[string]any{"payment_intent": pi, "reason": "product_not_received"}, &opened); code != 200 {
		t.Fatalf("open a dispute: status %d", code)
	}
	want := []string{
		"charge.failed", "payment_intent.payment_failed", // the declined card
		"charge.succeeded", "payment_intent.succeeded", "checkout.session.completed",
		"charge.refunded", "refund.created", "charge.refund.updated",
		"charge.dispute.created",
	}
	eventually(t, "every event", func() bool { return len(e.hooks.received()) == len(want) })
	evs := e.hooks.received()
	if got := types(evs); !slices.Equal(got, want) {
		t.Fatalf("events = %v\nwant %v", got, want)
	}

	decode := func(ev stripe.Event, v any) {
		t.Helper()
		if err := json.Unmarshal(ev.Data.Raw, v); err != nil {
			t.Fatalf("%s: %v", ev.Type, err)
		}
	}
	var failedCharge, charge, refundedCharge stripe.Charge
	var failedPI, succeededPI stripe.PaymentIntent
	var refund stripe.Refund
	var dispute stripe.Dispute
	decode(evs[0], &failedCharge)
	decode(evs[1], &failedPI)
	decode(evs[2], &charge)
	decode(evs[3], &succeededPI)
	decode(evs[5], &refundedCharge)
	decode(evs[6], &refund)
	decode(evs[8], &dispute)
	switch {
	case failedCharge.Status != "failed" || failedCharge.FailureCode != "insufficient_funds" || failedCharge.PaymentIntent.ID != pi:
		t.Errorf("charge.failed: %s %s pi %v", failedCharge.Status, failedCharge.FailureCode, failedCharge.PaymentIntent)
	case failedPI.Status != stripe.PaymentIntentStatusRequiresPaymentMethod || failedPI.LastPaymentError == nil ||
		failedPI.LastPaymentError.DeclineCode != "insufficient_funds" || failedPI.LastPaymentError.Msg != "Your card has insufficient funds.":
		t.Errorf("payment_intent.payment_failed: %s %+v", failedPI.Status, failedPI.LastPaymentError)
	case charge.Status != "succeeded" || !charge.Paid || charge.Amount != 2500 || charge.PaymentIntent.ID != pi || charge.ID == failedCharge.ID:
		t.Errorf("charge.succeeded: %+v", charge)
	case succeededPI.ID != pi || succeededPI.Status != stripe.PaymentIntentStatusSucceeded || succeededPI.LatestCharge.ID != charge.ID || succeededPI.AmountReceived != 2500:
		t.Errorf("payment_intent.succeeded: %+v", succeededPI)
	case refundedCharge.ID != charge.ID || refundedCharge.AmountRefunded != 500 || refundedCharge.Refunded:
		t.Errorf("charge.refunded: %+v", refundedCharge)
	case refund.Amount != 500 || refund.Charge.ID != charge.ID || refund.Status != stripe.RefundStatusSucceeded || evs[7].Data.Object["id"] != refund.ID:
		t.Errorf("refund.created / charge.refund.updated: %+v", refund)
	case dispute.ID != opened.Dispute.ID || dispute.Charge.ID != charge.ID || dispute.Amount != 2500 || dispute.Reason != "product_not_received" ||
		dispute.Status != stripe.DisputeStatusNeedsResponse || !slices.Equal(opened.Events, []string{evs[8].ID}):
		t.Errorf("charge.dispute.created: %+v", dispute)
	}
	// The refund and the dispute were asked for by an API request and a
	// control call; the payment by nobody's request.
	if evs[5].Request == nil || evs[5].Request.ID == "" || evs[2].Request.ID != "" {
		t.Errorf("request of charge.refunded %+v, of charge.succeeded %+v", evs[5].Request, evs[2].Request)
	}

	var dup map[string]any
	if code := e.control(t, "POST", "/_sim/disputes", map[string]any{"charge": charge.ID}, &dup); code != http.StatusConflict {
		t.Errorf("a second dispute of one charge: status %d", code)
	}
	if code := e.control(t, "POST", "/_sim/disputes", map[string]any{"charge": "ch_nope"}, &dup); code != http.StatusNotFound {
		t.Errorf("a dispute of an unknown charge: status %d", code)
	}
	if code := e.control(t, "POST", "/_sim/disputes", map[string]any{"charge": charge.ID, "reason": "bored"}, &dup); code != http.StatusBadRequest {
		t.Errorf("a dispute for no reason Stripe knows: status %d", code)
	}

	// A bank debit: processing, then settled either way.
	for _, c := range []struct {
		outcome string
		want    []string
	}{
		{"async_succeeded", []string{"charge.pending", "payment_intent.processing", "checkout.session.completed",
			"charge.succeeded", "payment_intent.succeeded", "checkout.session.async_payment_succeeded"}},
		{"async_failed", []string{"charge.pending", "payment_intent.processing", "checkout.session.completed",
			"charge.failed", "payment_intent.payment_failed", "checkout.session.async_payment_failed"}},
	} {
		before := len(e.hooks.received())
		e.complete(t, e.createSession(t, "order-"+c.outcome).ID, c.outcome, "")
		eventually(t, c.outcome+" events", func() bool { return len(e.hooks.received()) == before+len(c.want) })
		if got := types(e.hooks.received()[before:]); !slices.Equal(got, c.want) {
			t.Errorf("%s: events %v\nwant %v", c.outcome, got, c.want)
		}
	}
}

// The shop's endpoint (the default) gets only the events it acts on.
func TestDefaultEndpointGetsTheShopsEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cs := e.createSession(t, "order-def")
	e.complete(t, cs.ID, "paid", "")
	paid, _ := e.api.CheckoutSessions.Get(cs.ID, nil)
	if _, err := e.api.Refunds.New(&stripe.RefundParams{PaymentIntent: stripe.String(paid.PaymentIntent.ID)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "charge.refunded", func() bool { return len(e.hooks.received("charge.refunded")) == 1 })
	if got := types(e.hooks.received()); !slices.Equal(got, []string{"checkout.session.completed", "charge.refunded"}) {
		t.Errorf("events = %v", got)
	}
	if n := len(e.simEvents(t)); n != 2 {
		t.Errorf("%d events made, want 2: the others are not made for an endpoint that does not listen", n)
	}
}

// At 2025-03-31.basil events carry that version and its shapes, while API
// requests are answered at the version they name (stripe-go v76's).
func TestAPIVersionBasil(t *testing.T) {
	t.Parallel()
	e := newEnv(t, allEvents, func(c *stripesim.Config) { c.APIVersion = stripesim.APIVersionBasil })
	cs := e.createSession(t, "order-basil")
	e.complete(t, cs.ID, "paid", "b@example.com")
	evs := e.hooks.received()
	if len(evs) != 3 {
		t.Fatalf("events = %v", types(evs))
	}
	for _, ev := range evs {
		if ev.APIVersion != stripesim.APIVersionBasil {
			t.Errorf("%s at %s", ev.Type, ev.APIVersion)
		}
		obj := ev.Data.Object
		switch ev.Type {
		case "checkout.session.completed":
			if _, ok := obj["shipping_details"]; ok {
				t.Errorf("the session still has shipping_details")
			}
			if v, ok := obj["collected_information"]; !ok || v != nil {
				t.Errorf("collected_information = %v (present %v), want null", v, ok)
			}
			if s := sessionOf(t, ev); s.ID != cs.ID || s.PaymentStatus != "paid" || s.CustomerDetails.Email != "b@example.com" || s.PaymentIntent == nil {
				t.Errorf("what the shop reads of the session: %+v", s)
			}
		case "charge.succeeded", "payment_intent.succeeded":
			if _, ok := obj["invoice"]; ok {
				t.Errorf("%s still has invoice", ev.Type)
			}
		}
	}

	// stripe-go sends Stripe-Version: 2023-10-16 and gets that shape.
	var raw map[string]any
	req, _ := http.NewRequest("GET", e.srv.URL+"/v1/checkout/sessions/"+cs.ID+"?expand[]=payment_intent", nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Stripe-Version", stripesim.APIVersion)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&raw)
	resp.Body.Close()
	if _, ok := raw["shipping_details"]; !ok || resp.Header.Get("Stripe-Version") != stripesim.APIVersion {
		t.Errorf("a 2023-10-16 request got %s without shipping_details", resp.Header.Get("Stripe-Version"))
	}
	if pi, _ := raw["payment_intent"].(map[string]any); pi == nil || !hasKey(pi, "invoice") {
		t.Errorf("expanded payment_intent at 2023-10-16 lacks invoice: %v", raw["payment_intent"])
	}
	// Without the header: the account's default, basil.
	raw = nil
	if code := e.rawGet(t, "/v1/checkout/sessions/"+cs.ID, &raw); code != 200 || hasKey(raw, "shipping_details") || !hasKey(raw, "collected_information") {
		t.Errorf("a request without Stripe-Version: %d, shipping_details %v", code, hasKey(raw, "shipping_details"))
	}
	req.Header.Set("Stripe-Version", "2031-01-01.future")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if resp.StatusCode != 400 || !strings.Contains(body, "Invalid Stripe API version") {
		t.Errorf("an unknown version: %d %s", resp.StatusCode, body)
	}
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

// With ShuffleDelivery the queued events go out in another order than
// they happened, each exactly once.
func TestShuffledDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, allEvents, func(c *stripesim.Config) { c.ShuffleDelivery = true })
	e.control(t, "POST", "/_sim/webhooks", map[string]any{"paused": true}, nil)
	for range 4 {
		cs := e.createSession(t, "order-shuffle")
		e.complete(t, cs.ID, "paid", "")
	}
	var made []string
	for _, ev := range e.simEvents(t) {
		made = append(made, ev.ID)
	}
	e.control(t, "POST", "/_sim/webhooks", map[string]any{"paused": false}, nil)
	eventually(t, "every event delivered", func() bool { return len(e.hooks.received()) == len(made) })
	var got []string
	for _, ev := range e.hooks.received() {
		got = append(got, ev.ID)
	}
	// 12 events: the chance that a shuffle keeps their order is 1 in 12!.
	if slices.Equal(got, made) {
		t.Errorf("delivered in the order made: %v", got)
	}
	slices.Sort(got)
	slices.Sort(made)
	if !slices.Equal(got, made) {
		t.Errorf("delivered %v, made %v", got, made)
	}
}

package httpapi_test

import (
	"strings"
	"testing"

	"github.com/stripeshop/stripeshop/internal/shoptest"
	"github.com/stripeshop/stripeshop/internal/stripesim"
)

// The main flows with Stripe as it can be: every event type, delivered in
// random order, rendered at a newer API version than stripe-go v76's, and
// signed during a secret rotation. The shop acts on its five types, answers
// the others 200 and ignores them, and ends where it does with the defaults.
func TestFlowEveryEventShuffledAtBasil(t *testing.T) {
	f := newFlowWith(t, stripesim.Config{
		EnabledEvents:   []string{"*"},
		ShuffleDelivery: true,
		APIVersion:      stripesim.APIVersionBasil,
		WebhookSecret:   "whsec_next_one," + webhookSecret,
	}, shoptest.Options{})
	p := f.createProduct(1000, 10)

	paid := f.startCheckout(p.ID, 1)
	f.pay(paid, "paid")
	if o := f.waitStatus(paid.OrderID, "paid"); o.CustomerEmail != "buyer@example.com" || o.AmountTotal != 1000 {
		t.Fatalf("paid order: %+v", o)
	}
	if o := f.status(paid.SessionID); o.Status != "paid" {
		t.Fatalf("success page sees %s", o.Status)
	}

	delayed := f.startCheckout(p.ID, 2)
	f.pay(delayed, "async_succeeded")
	f.waitStatus(delayed.OrderID, "paid")

	failed := f.startCheckout(p.ID, 3)
	f.pay(failed, "async_failed")
	f.waitStatus(failed.OrderID, "failed")

	var o order
	f.admin().MustDo("POST", "/api/admin/orders/"+paid.OrderID+"/refund", nil, 200, &o)
	if o.Status != "refunded" {
		t.Fatalf("after refund: %s", o.Status)
	}
	f.simControl("POST", "/_sim/disputes", `{"payment_intent": "`+f.paymentIntentOf(delayed.SessionID)+`"}`)

	f.waitDelivered()
	byType := map[string]int{}
	for _, ev := range f.simEvents() {
		byType[ev.Type]++
		if ev.State != "delivered" || len(ev.Attempts) != 1 || ev.Attempts[0].StatusCode != 200 {
			t.Errorf("%s %s: %s after %+v, want delivered at the first attempt", ev.Type, ev.ID, ev.State, ev.Attempts)
		}
	}
	for _, typ := range []string{"charge.succeeded", "payment_intent.succeeded", "charge.pending", "payment_intent.processing",
		"charge.failed", "payment_intent.payment_failed", "refund.created", "charge.refund.updated", "charge.dispute.created"} {
		if byType[typ] == 0 {
			t.Errorf("no %s was sent (sent %v)", typ, byType)
		}
	}
	eventually(t, "charge.refunded applied", func() bool {
		for _, ev := range f.order(paid.OrderID).Events {
			if ev.Type == "charge.refunded" {
				return true
			}
		}
		return false
	})
	for id, want := range map[string]string{paid.OrderID: "refunded", delayed.OrderID: "paid", failed.OrderID: "failed"} {
		// The disputed payment's order is flagged for the admin, with the reason.
		disputed := id == delayed.OrderID
		if got := f.order(id); got.Status != want || got.Flagged != disputed || disputed && !strings.HasPrefix(got.FlagReason, "disputed (") {
			t.Errorf("order %s is %s (flagged %v %q), want %s (flagged %v)", id, got.Status, got.Flagged, got.FlagReason, want, disputed)
		}
	}
}

// paymentIntentOf asks the simulator's API for a session's payment intent.
func (f *flow) paymentIntentOf(sessionID string) string {
	f.t.Helper()
	var s struct {
		PaymentIntent string `json:"payment_intent"`
	}
	if f.simSession(sessionID, &s); s.PaymentIntent == "" {
		f.t.Fatalf("session %s has no payment intent", sessionID)
	}
	return s.PaymentIntent
}

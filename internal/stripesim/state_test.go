package stripesim_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/stripeshop/stripeshop/internal/stripesim"
)

// A session opened before the simulator restarts can be paid after it,
// and what was paid, refunded or not yet delivered is still there.
func TestRestartKeepsTheState(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "data", "stripesim.json")
	withFile := func(c *stripesim.Config) { c.StateFile = file }

	before := newEnv(t, withFile)
	open := before.createSession(t, "order-open")
	paid := before.createSession(t, "order-paid")
	before.complete(t, paid.ID, "paid", "p@example.com")
	got, _ := before.api.CheckoutSessions.Get(paid.ID, nil)
	pi := got.PaymentIntent.ID
	if _, err := before.api.Refunds.New(&stripe.RefundParams{PaymentIntent: stripe.String(pi), Amount: stripe.Int64(1000)}); err != nil {
		t.Fatal(err)
	}
	// An event that could not be delivered yet, and a bank debit still
	// processing, when the simulator stops.
	before.control(t, "POST", "/_sim/webhooks", map[string]any{"paused": true}, nil)
	late := before.createSession(t, "order-late")
	before.complete(t, late.ID, "paid", "")
	debit := before.createSession(t, "order-debit")
	before.control(t, "POST", "/_sim/checkout/sessions/"+debit.ID+"/complete", map[string]any{"outcome": "async_succeeded", "settle_after_ms": 200}, nil)
	idem := &stripe.CheckoutSessionParams{}
	*idem = *sessionParams("order-idem", before.clock.Now())
	idem.SetIdempotencyKey("idem-across-restart")
	first, err := before.api.CheckoutSessions.New(idem)
	if err != nil {
		t.Fatal(err)
	}
	before.sim.Close()
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("no state file after Close: %v", err)
	}

	after := newEnv(t, withFile)
	// The undelivered event goes out, and the bank debit settles.
	eventually(t, "the event held over the restart", func() bool {
		for _, ev := range after.hooks.received("checkout.session.completed") {
			if sessionOf(t, ev).ID == late.ID {
				return true
			}
		}
		return false
	})
	eventually(t, "the bank debit to settle", func() bool {
		return len(after.hooks.received("checkout.session.async_payment_succeeded")) == 1
	})

	// The session opened before the restart is still open, and pays.
	s, err := after.api.CheckoutSessions.Get(open.ID, nil)
	if err != nil || s.Status != stripe.CheckoutSessionStatusOpen || s.URL != after.srv.URL+"/pay/"+open.ID || s.Metadata["order_id"] != "order-open" {
		t.Fatalf("the open session after a restart: %+v, %v", s, err)
	}
	after.complete(t, open.ID, "paid", "o@example.com")
	var completed *stripe.CheckoutSession
	for _, ev := range after.hooks.received("checkout.session.completed") {
		if cs := sessionOf(t, ev); cs.ID == open.ID {
			completed = &cs
		}
	}
	if completed == nil || completed.PaymentStatus != "paid" || completed.CustomerDetails.Email != "o@example.com" {
		t.Fatalf("checkout.session.completed of the session opened before the restart: %+v", completed)
	}

	// The refund before the restart counts: only the rest can be refunded.
	_, err = after.api.Refunds.New(&stripe.RefundParams{PaymentIntent: stripe.String(pi), Amount: stripe.Int64(2000)})
	if se := asStripeError(t, err); se.Code != stripe.ErrorCodeAmountTooLarge {
		t.Errorf("refunding more than was left: %v", err)
	}
	// The idempotency key still answers with the first session.
	again, err := after.api.CheckoutSessions.New(idem)
	if err != nil || again.ID != first.ID {
		t.Errorf("the idempotency key after a restart made %v (%v), want %s", again, err, first.ID)
	}
	// Every session is listed, newest first.
	it := after.api.CheckoutSessions.List(&stripe.CheckoutSessionListParams{})
	var ids []string
	for it.Next() {
		ids = append(ids, it.CheckoutSession().ID)
	}
	if want := []string{first.ID, debit.ID, late.ID, paid.ID, open.ID}; strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Errorf("sessions after a restart: %v, want %v", ids, want)
	}
	// And the events made before it are in the log with their attempts.
	evs := after.simEvents(t)
	if len(evs) < 5 || evs[0].Type != "checkout.session.completed" || len(evs[0].Attempts) != 1 || evs[0].State != "delivered" {
		t.Errorf("events after a restart: %+v", evs)
	}
}

// A state file that cannot be read is set aside and the simulator starts
// empty.
func TestUnreadableStateFileIsSetAside(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "stripesim.json")
	if err := os.WriteFile(file, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *stripesim.Config) { c.StateFile = file; c.SaveInterval = 5 * time.Millisecond })
	e.createSession(t, "order-fresh")
	eventually(t, "the new state written", func() bool {
		b, err := os.ReadFile(file)
		return err == nil && strings.Contains(string(b), "order-fresh")
	})
	aside, _ := filepath.Glob(file + ".unreadable-*")
	if len(aside) != 1 {
		t.Fatalf("the unreadable file was not set aside: %v", aside)
	}
	if b, _ := os.ReadFile(aside[0]); string(b) != "{not json" {
		t.Errorf("the set-aside file holds %q", b)
	}
}

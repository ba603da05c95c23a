package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

// Webhook delivery against two real server processes on one database:
// duplicates, every order of the events of a session, delays past the
// session's expiry, and redelivery after the reconciler settled the order.
func TestWebhookDelivery(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p1, p2 := w.startProc(t), w.startProc(t)
	w.setTargets(p1.url, p2.url)
	procs := []*proc{p1, p2}
	a := login(t, p1.url)
	initial := map[string]int64{}
	newProduct := func(t *testing.T) string {
		for id, st := range a.products(t, 1, 1000) {
			initial[id] = st
			return id
		}
		return ""
	}
	buy := func(t *testing.T, product string, qty int64) started {
		t.Helper()
		st, r, err := checkoutOnce(p2.url, product, qty)
		if err != nil || r.status != 201 {
			t.Fatalf("checkout: %v %d %s", err, r.status, r.body)
		}
		return st
	}
	orderOf := func(t *testing.T, st started) dbOrder {
		t.Helper()
		for _, o := range orders(t, w) {
			if o.ID == st.OrderID {
				return o
			}
		}
		t.Fatalf("no order %s", st.OrderID)
		return dbOrder{}
	}
	paidTransitions := func(t *testing.T) float64 {
		var n float64
		for _, p := range procs {
			n += scrape(t, p.url, "stripeshop_order_transitions_total", `to="paid"`)
		}
		return n
	}
	// generate runs fn with webhooks switched off and returns the events it
	// made Stripe emit, for the test to deliver as it likes.
	generate := func(t *testing.T, fn func()) []simEvent {
		t.Helper()
		before := map[string]bool{}
		for _, e := range w.events() {
			before[e.ID] = true
		}
		w.setWebhookURL("")
		fn()
		w.setWebhookURL(w.lb.URL + "/webhook/stripe")
		var out []simEvent
		for _, e := range w.events() {
			if !before[e.ID] {
				out = append(out, e)
			}
		}
		return out
	}
	var figures []string

	t.Run("same event 100 times across two processes", func(t *testing.T) {
		product := newProduct(t)
		before := paidTransitions(t)
		var sts []started
		var evs []simEvent
		for _, outcome := range []string{"paid", "async_succeeded", "async_failed"} {
			st := buy(t, product, 2)
			sts = append(sts, st)
			evs = append(evs, generate(t, func() {
				if err := w.pay(st.SessionID, outcome); err != nil {
					t.Fatal(err)
				}
			})...)
		}
		const copies = 100
		var wg sync.WaitGroup
		var answers tally
		for _, e := range evs {
			for i := range copies {
				wg.Add(1)
				go func() {
					defer wg.Done()
					st, err := w.deliver(procs[i%2].url, e.Payload)
					answers.add(statusClass(st, err))
				}()
			}
		}
		wg.Wait()
		if answers.get("200") != copies*len(evs) {
			t.Errorf("answers to %d copies of %d events: %s, want all 200", copies, len(evs), &answers)
		}
		for _, e := range evs {
			var n int
			_ = w.db.QueryRow(context.Background(), `SELECT count(*) FROM stripe_events WHERE id = $1`, e.ID).Scan(&n)
			if n != 1 {
				t.Errorf("event %s is %d times in the inbox", e.ID, n)
			}
		}
		for i, want := range []string{"paid", "paid", "failed"} {
			if o := orderOf(t, sts[i]); o.Status != want {
				t.Errorf("order %d is %s, want %s", i, o.Status, want)
			}
		}
		if got := paidTransitions(t) - before; got != 2 {
			t.Errorf("%v transitions to paid across both processes, want 2", got)
		}
		dups := 0.0
		for _, p := range procs {
			dups += scrape(t, p.url, "stripeshop_webhook_events_total", `outcome="duplicate"`)
		}
		inv := checkInvariant(t, w, initial)
		figures = append(figures, fmt.Sprintf("duplicates: %d events × %d copies over 2 processes: %s; duplicates counted %v; %s", len(evs), copies, &answers, dups, inv))
	})

	t.Run("every order of a session's events", func(t *testing.T) {
		type scenario struct {
			name string
			make func(st started)
			want string
		}
		refund := func(st started) {
			var pi string
			for _, s := range w.sessions() {
				if s.ID == st.SessionID {
					pi = s.PaymentIntent
				}
			}
			if err := w.refundAtStripe(pi); err != nil {
				t.Fatal(err)
			}
		}
		scenarios := []scenario{
			{"paid, refunded", func(st started) { w.pay(st.SessionID, "paid"); refund(st) }, "refunded"},
			{"async succeeded, refunded", func(st started) { w.pay(st.SessionID, "async_succeeded"); refund(st) }, "refunded"},
			{"async failed", func(st started) { w.pay(st.SessionID, "async_failed") }, "failed"},
			{"async succeeded", func(st started) { w.pay(st.SessionID, "async_succeeded") }, "paid"},
			{"expired", func(st started) { w.expire(st.SessionID) }, "expired"},
		}
		runs := 0
		for _, sc := range scenarios {
			product := newProduct(t)
			// Learn how many events the scenario makes, then try each order.
			probe := buy(t, product, 1)
			n := len(generate(t, func() { sc.make(probe) }))
			perms := permutations(n)
			for pi, perm := range perms {
				st := probe
				var evs []simEvent
				if pi == 0 {
					evs = eventsFor(w, st)
				} else {
					st = buy(t, product, 1)
					evs = generate(t, func() { sc.make(st) })
				}
				if len(evs) != n {
					t.Fatalf("%s: %d events, want %d", sc.name, len(evs), n)
				}
				var order []string
				for k, idx := range perm {
					e := evs[idx]
					order = append(order, strings.TrimPrefix(e.Type, "checkout.session."))
					// to both processes, alternating, and each twice
					for c := range 2 {
						if st, err := w.deliver(procs[(k+c)%2].url, e.Payload); err != nil || st != 200 {
							t.Errorf("%s: deliver %s: %d %v", sc.name, e.Type, st, err)
						}
					}
				}
				runs++
				if o := orderOf(t, st); o.Status != sc.want || o.Flagged {
					t.Errorf("%s delivered as %v: order is %s (flag %q), want %s", sc.name, order, o.Status, o.FlagReason, sc.want)
				}
			}
		}
		// Several sessions of one product at once, their events shuffled
		// together (seeded).
		product := newProduct(t)
		rng := rand.New(rand.NewPCG(11, 12))
		mixes := short(5, 100)
		for range mixes {
			var sts []started
			var evs []simEvent
			for _, sc := range scenarios {
				st := buy(t, product, 1)
				sts = append(sts, st)
				evs = append(evs, generate(t, func() { sc.make(st) })...)
			}
			rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
			for k, e := range evs {
				if st, err := w.deliver(procs[k%2].url, e.Payload); err != nil || st != 200 {
					t.Errorf("mixed: deliver %s: %d %v", e.Type, st, err)
				}
			}
			for i, sc := range scenarios {
				if o := orderOf(t, sts[i]); o.Status != sc.want || o.Flagged {
					t.Errorf("mixed %s: order is %s (flag %q), want %s", sc.name, o.Status, o.FlagReason, sc.want)
				}
			}
			runs++
		}
		inv := checkInvariant(t, w, initial)
		figures = append(figures, fmt.Sprintf("reordering: %d scenarios, %d orderings each delivered twice over 2 processes, %d shuffled mixes; %s", len(scenarios), runs-mixes, mixes, inv))
	})

	t.Run("delivered after the session's expiry", func(t *testing.T) {
		product := newProduct(t)
		paid, async := buy(t, product, 1), buy(t, product, 1)
		open := buy(t, product, 1)
		w.pauseWebhooks(true)
		defer w.pauseWebhooks(false) // when the subtest fails too: the later ones need webhooks
		if err := w.pay(paid.SessionID, "paid"); err != nil {
			t.Fatal(err)
		}
		if err := w.pay(async.SessionID, "async_succeeded"); err != nil {
			t.Fatal(err)
		}
		w.advance(t, 45*time.Minute) // the open session expires at Stripe; its event waits too
		w.pauseWebhooks(false)
		w.drain(waitBound)
		for st, want := range map[started]string{paid: "paid", async: "paid", open: "expired"} {
			if o := orderOf(t, st); o.Status != want || o.Flagged {
				t.Errorf("late delivery: order %s is %s (flag %q), want %s", st.OrderID, o.Status, o.FlagReason, want)
			}
		}
		w.clock.set(0) // back to the wall clock, which the servers use to set expires_at
		figures = append(figures, "late: 3 sessions' events delivered 45 min (simulated) late: "+checkInvariant(t, w, initial))
	})

	t.Run("redelivered after the reconciler settled the order", func(t *testing.T) {
		product := newProduct(t)
		before := paidTransitions(t)
		paid, expired := buy(t, product, 2), buy(t, product, 1)
		w.pauseWebhooks(true)
		defer w.pauseWebhooks(false) // when the subtest fails too: the later ones need webhooks
		if err := w.pay(paid.SessionID, "paid"); err != nil {
			t.Fatal(err)
		}
		w.advance(t, 45*time.Minute)
		res, err := w.reconcile(t)
		if err != nil || res.Errors > 0 {
			t.Fatalf("reconcile: %+v %v", res, err)
		}
		if o := orderOf(t, paid); o.Status != "paid" {
			t.Fatalf("the reconciler left the paid order %s", o.Status)
		}
		if o := orderOf(t, expired); o.Status != "expired" {
			t.Fatalf("the reconciler left the expired order %s", o.Status)
		}
		w.pauseWebhooks(false)
		w.drain(waitBound)
		w.clock.set(0)
		for _, e := range eventsFor(w, paid) {
			for _, p := range procs { // and once more by hand, to each process
				if st, err := w.deliver(p.url, e.Payload); err != nil || st != 200 {
					t.Errorf("redelivery: %d %v", st, err)
				}
			}
		}
		if o := orderOf(t, paid); o.Status != "paid" {
			t.Errorf("after redelivery the order is %s", o.Status)
		}
		if got := paidTransitions(t) - before; got != 0 {
			t.Errorf("the webhooks moved the reconciled order to paid again (%v times)", got)
		}
		figures = append(figures, fmt.Sprintf("after reconcile: reconciler checked %d, webhooks then changed nothing; %s", res.Checked, checkInvariant(t, w, initial)))
	})

	w.drain(waitBound)
	for _, f := range figures {
		t.Logf("figures: %s", f)
	}
}

// eventsFor returns the simulator's events about a session, oldest first.
func eventsFor(w *world, st started) []simEvent {
	var out []simEvent
	var pi string
	for _, e := range w.events() {
		p := string(e.Payload)
		if strings.Contains(p, st.SessionID) || (pi != "" && strings.Contains(p, pi)) {
			out = append(out, e)
			if i := strings.Index(p, `"payment_intent": "pi_`); i >= 0 && pi == "" {
				rest := p[i+len(`"payment_intent": "`):]
				pi = rest[:strings.IndexByte(rest, '"')]
			}
		}
	}
	return out
}

// permutations lists every order of 0..n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

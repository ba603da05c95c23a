package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// stockFigures is one product's books at a quiet moment.
type stockFigures struct {
	initial, available, held, sold int64
}

// checkInvariant asserts, for every product, initial stock = available +
// units held by pending/processing orders + units sold (paid/refunded);
// expired and failed orders hold nothing. It returns a one-line summary.
func checkInvariant(t testing.TB, w *world, initial map[string]int64) string {
	t.Helper()
	rows, err := w.db.Query(context.Background(), `
		SELECT p.id::text, p.stock,
			coalesce(sum(l.quantity) FILTER (WHERE o.status IN ('pending', 'processing')), 0),
			coalesce(sum(l.quantity) FILTER (WHERE o.status IN ('paid', 'refunded')), 0)
		FROM products p LEFT JOIN order_lines l ON l.product_id = p.id LEFT JOIN orders o ON o.id = l.order_id
		GROUP BY p.id, p.stock`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var parts []string
	seen := 0
	for rows.Next() {
		var (
			id         string
			stock      *int64
			held, sold int64
		)
		if err := rows.Scan(&id, &stock, &held, &sold); err != nil {
			t.Fatal(err)
		}
		init, ok := initial[id]
		if !ok {
			continue
		}
		seen++
		if stock == nil {
			t.Errorf("product %s: stock became unlimited", id)
			continue
		}
		f := stockFigures{init, *stock, held, sold}
		if f.initial != f.available+f.held+f.sold {
			t.Errorf("stock invariant broken for %s: initial %d != available %d + held %d + sold %d",
				id, f.initial, f.available, f.held, f.sold)
		}
		if f.available < 0 {
			t.Errorf("product %s: negative stock %d", id, f.available)
		}
		parts = append(parts, fmt.Sprintf("%d=%d+%d+%d", f.initial, f.available, f.held, f.sold))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != len(initial) {
		t.Errorf("invariant: found %d of %d products", seen, len(initial))
	}
	sort.Strings(parts)
	return "initial=available+held+sold: " + strings.Join(parts, " ")
}

// dbOrder is an order as the checks read it.
type dbOrder struct {
	ID, Status, SessionID, PaymentIntent, FlagReason string
	Quantity                                         int64
	Flagged, HasPaidAt                               bool
}

func orders(t testing.TB, w *world) []dbOrder {
	t.Helper()
	rows, err := w.db.Query(context.Background(), `
		SELECT id::text, status, coalesce(session_id, ''), coalesce(payment_intent_id, ''), flag_reason,
			quantity, flagged, paid_at IS NOT NULL
		FROM orders ORDER BY created_at`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []dbOrder
	for rows.Next() {
		var o dbOrder
		if err := rows.Scan(&o.ID, &o.Status, &o.SessionID, &o.PaymentIntent, &o.FlagReason, &o.Quantity, &o.Flagged, &o.HasPaidAt); err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// productOrder reads the one order of a product, and the product's stock.
func productOrder(t testing.TB, w *world, product string) (o dbOrder, stock int64) {
	t.Helper()
	err := w.db.QueryRow(context.Background(), `
		SELECT o.id::text, o.status, coalesce(o.session_id, ''), p.stock
		FROM orders o JOIN products p ON p.id = o.product_id WHERE p.id = $1`, product).Scan(&o.ID, &o.Status, &o.SessionID, &stock)
	if err != nil {
		t.Fatalf("the order of product %s: %v", product, err)
	}
	return o, stock
}

// settleOptions tunes checkSettled.
type settleOptions struct {
	allowOpen bool // sessions still open are fine (pending orders)
}

// checkSettled compares every order with what Stripe (the simulator) says
// of its session, after the webhooks have drained and the reconciler has
// run. It also checks that no order has two sessions, that every event in
// the inbox was processed, and that every event the shop acknowledged with
// a 2xx is in the inbox. It returns the orders' statuses as figures.
func checkSettled(t testing.TB, w *world, opt settleOptions) map[string]int {
	t.Helper()
	ctx := context.Background()
	byOrder := map[string][]simSession{}
	for _, s := range w.sessions() {
		byOrder[s.ClientReferenceID] = append(byOrder[s.ClientReferenceID], s)
	}
	refunded := map[string]bool{}
	events := w.events()
	for _, e := range events {
		if e.Type != "charge.refunded" {
			continue
		}
		var p struct {
			Data struct {
				Object struct {
					PaymentIntent  string `json:"payment_intent"`
					Amount         int64  `json:"amount"`
					AmountRefunded int64  `json:"amount_refunded"`
				} `json:"object"`
			} `json:"data"`
		}
		_ = json.Unmarshal(e.Payload, &p)
		if o := p.Data.Object; o.AmountRefunded >= o.Amount {
			refunded[o.PaymentIntent] = true
		}
	}

	figures := map[string]int{}
	for _, o := range orders(t, w) {
		figures[o.Status]++
		if o.Flagged {
			figures["flagged"]++
		}
		sess := byOrder[o.ID]
		if len(sess) > 1 {
			t.Errorf("order %s has %d Checkout Sessions at Stripe, want at most 1", o.ID, len(sess))
		}
		want := "expired" // no session: nothing could be paid, the units go back
		if len(sess) > 0 {
			s := sess[0]
			if o.SessionID != "" && o.SessionID != s.ID {
				t.Errorf("order %s records session %s, Stripe made %s", o.ID, o.SessionID, s.ID)
			}
			switch {
			case s.Status == "open":
				want = "pending"
			case s.Status == "expired":
				want = "expired"
			case s.Status == "complete" && s.PaymentStatus == "paid" && refunded[s.PaymentIntent]:
				want = "refunded"
			case s.Status == "complete" && s.PaymentStatus == "paid":
				want = "paid"
			case s.Status == "complete":
				want = "failed" // the simulator's delayed methods settle at once
			}
			if want == "pending" && !opt.allowOpen {
				t.Errorf("order %s: its session is still open at Stripe after the expiry", o.ID)
			}
		}
		if o.Status != want {
			t.Errorf("order %s is %s, Stripe says %s (sessions %+v, flag %q)", o.ID, o.Status, want, sess, o.FlagReason)
		}
		if (o.Status == "paid" || o.Status == "refunded") && (!o.HasPaidAt || o.PaymentIntent == "" || o.SessionID == "") {
			t.Errorf("order %s is %s but half-written: %+v", o.ID, o.Status, o)
		}
		if o.Flagged {
			t.Errorf("order %s flagged: %s", o.ID, o.FlagReason)
		}
	}

	var unprocessed int
	if err := w.db.QueryRow(ctx, `SELECT count(*) FROM stripe_events WHERE processed_at IS NULL`).Scan(&unprocessed); err != nil {
		t.Fatal(err)
	}
	if unprocessed > 0 {
		t.Errorf("%d inbox events recorded but not processed", unprocessed)
	}
	checkAcked(t, w, events)
	return figures
}

// checkAcked asserts that every event the shop answered 2xx to is in the
// inbox: a 2xx is a promise that it was committed.
func checkAcked(t testing.TB, w *world, events []simEvent) (acked int) {
	t.Helper()
	inbox := map[string]bool{}
	rows, err := w.db.Query(context.Background(), `SELECT id FROM stripe_events`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		inbox[id] = true
	}
	rows.Close()
	for _, e := range events {
		if !e.acked() {
			continue
		}
		acked++
		if !inbox[e.ID] {
			t.Errorf("event %s (%s) was answered 2xx but is not in the inbox", e.ID, e.Type)
		}
	}
	return acked
}

// attemptFigures counts webhook delivery attempts by answer.
func attemptFigures(events []simEvent) *tally {
	var tl tally
	for _, e := range events {
		for _, a := range e.Attempts {
			switch {
			case a.StatusCode >= 200 && a.StatusCode < 300:
				tl.add("2xx")
			case a.StatusCode >= 500:
				tl.add("5xx")
			case a.StatusCode >= 400:
				tl.add(fmt.Sprintf("%d", a.StatusCode))
			default:
				tl.add("neterr")
			}
		}
	}
	return &tl
}

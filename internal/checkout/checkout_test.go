package checkout_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stripeshop/stripeshop/internal/checkout"
	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
	"github.com/stripeshop/stripeshop/internal/testdb"
)

const (
	initialStock = 10
	quantity     = 2
	unitAmount   = 1500
)

// order is one pending order of `quantity` units with its session, and
// the events Stripe may send about it.
type order struct {
	id, session, payment string
}

type event func(o order, n int) string

func sessionEvent(kind, status, paymentStatus string, amount int64, payment bool) event {
	return func(o order, n int) string {
		pi := "null"
		if payment {
			pi = `"` + o.payment + `"`
		}
		return fmt.Sprintf(`{"id":"evt_%s_%d","object":"event","type":%q,"api_version":"2023-10-16","created":1767225600,
			"data":{"object":{"id":%q,"object":"checkout.session","status":%q,"payment_status":%q,"currency":"usd",
			"amount_total":%d,"amount_subtotal":%d,"customer_details":{"email":"buyer@example.com"},"payment_intent":%s,
			"client_reference_id":%q,"metadata":{"order_id":%q}}}}`,
			o.session, n, kind, o.session, status, paymentStatus, amount, amount, pi, o.id, o.id)
	}
}

func chargeRefunded(refunded int64) event {
	return func(o order, n int) string {
		return fmt.Sprintf(`{"id":"evt_%s_%d","object":"event","type":"charge.refunded","api_version":"2023-10-16","created":1767225600,
			"data":{"object":{"id":"ch_%s","object":"charge","amount":%d,"amount_refunded":%d,"refunded":%t,"currency":"usd",
			"payment_intent":%q}}}`,
			o.session, n, o.session, quantity*unitAmount, refunded, refunded == quantity*unitAmount, o.payment)
	}
}

var (
	total          = int64(quantity * unitAmount)
	completed      = sessionEvent("checkout.session.completed", "complete", "paid", total, true)
	completedDelay = sessionEvent("checkout.session.completed", "complete", "unpaid", total, true)
	asyncSucceeded = sessionEvent("checkout.session.async_payment_succeeded", "complete", "paid", total, true)
	asyncFailed    = sessionEvent("checkout.session.async_payment_failed", "complete", "unpaid", total, true)
	expired        = sessionEvent("checkout.session.expired", "expired", "unpaid", total, false)
	wrongAmount    = sessionEvent("checkout.session.completed", "complete", "paid", total-1, true)
	refunded       = chargeRefunded(total)
	partialRefund  = chargeRefunded(total / 2)
)

// final is what a customer and an admin see once the events are in.
type final struct {
	status  shop.Status
	stock   int64
	flagged bool
}

type shopUnderTest struct {
	pool *pgxpool.Pool
	svc  *checkout.Service
	prod string
}

func newShop(t *testing.T) *shopUnderTest {
	t.Helper()
	pool, _ := testdb.New(t)
	stock := int64(initialStock)
	p, err := postgres.NewProducts(pool).Create(context.Background(),
		shop.Product{Name: "Mug", UnitAmount: unitAmount, Currency: "usd", Stock: &stock, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	return &shopUnderTest{pool: pool, svc: checkout.New(checkout.Config{Pool: pool}), prod: p.ID}
}

func (s *shopUnderTest) place(t *testing.T, n int) order {
	t.Helper()
	ctx := context.Background()
	o, err := postgres.NewOrders(s.pool).Place(ctx, s.prod, quantity, time.Now().Add(checkout.SessionLifetime))
	if err != nil {
		t.Fatal(err)
	}
	ord := order{id: o.ID, session: fmt.Sprintf("cs_test_%d_%s", n, o.ID[:8]), payment: fmt.Sprintf("pi_%d_%s", n, o.ID[:8])}
	if err := postgres.NewOrders(s.pool).SetSession(ctx, o.ID, ord.session); err != nil {
		t.Fatal(err)
	}
	return ord
}

// deliver sends each event as the webhook does once its signature checked
// out, and returns the outcomes.
func (s *shopUnderTest) deliver(t *testing.T, o order, evs []event) []string {
	t.Helper()
	var outcomes []string
	for i, e := range evs {
		ev, err := payments.ParseEvent([]byte(e(o, i)))
		if err != nil {
			t.Fatal(err)
		}
		outcome, err := s.svc.HandleEvent(context.Background(), ev)
		if err != nil {
			t.Fatalf("event %d (%s): %v", i, ev.Type, err)
		}
		outcomes = append(outcomes, outcome)
	}
	return outcomes
}

func (s *shopUnderTest) final(t *testing.T, o order) final {
	t.Helper()
	got, err := postgres.NewOrders(s.pool).Get(context.Background(), o.id)
	if err != nil {
		t.Fatal(err)
	}
	p, err := postgres.NewProducts(s.pool).Get(context.Background(), s.prod)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing is lost or made up: what the shelf lacks, orders hold.
	var held int64
	if err := s.pool.QueryRow(context.Background(), `SELECT coalesce(sum(reserved), 0) FROM order_lines WHERE product_id = $1`, s.prod).Scan(&held); err != nil {
		t.Fatal(err)
	}
	if *p.Stock+held != initialStock {
		t.Errorf("stock %d + reserved %d != %d", *p.Stock, held, initialStock)
	}
	return final{status: got.Status, stock: *p.Stock, flagged: got.Flagged}
}

func TestEventSequences(t *testing.T) {
	t.Parallel()
	held := int64(initialStock - quantity)
	cases := []struct {
		name   string
		events []event
		want   final
		notes  []string // a note for the admin per event; "" for none
	}{
		{"paid", []event{completed}, final{shop.StatusPaid, held, false}, []string{""}},
		{"paid, delivered twice", []event{completed, completed}, final{shop.StatusPaid, held, false}, nil},
		{"delayed payment pending", []event{completedDelay}, final{shop.StatusProcessing, held, false}, nil},
		{"delayed payment succeeded", []event{completedDelay, asyncSucceeded}, final{shop.StatusPaid, held, false}, nil},
		{"delayed payment failed", []event{completedDelay, asyncFailed}, final{shop.StatusFailed, initialStock, false}, nil},
		{"expired", []event{expired}, final{shop.StatusExpired, initialStock, false}, nil},
		{"paid, then refunded", []event{completed, refunded}, final{shop.StatusRefunded, held, false}, nil},
		{"partial refund", []event{completed, partialRefund}, final{shop.StatusPaid, held, false},
			[]string{"", "partial refund: the order stays paid"}},
		{"amount mismatch", []event{wrongAmount}, final{shop.StatusPending, held, true},
			[]string{"Stripe reported a subtotal of 2999 usd for an order of 3000 usd; not marked paid"}},
		{"paid after it expired", []event{expired, completed}, final{shop.StatusExpired, initialStock, true},
			[]string{"", "paid after the order was expired: refund the customer or fulfil by hand"}},
		{"expiry after payment", []event{completed, expired}, final{shop.StatusPaid, held, false},
			[]string{"", "ignored: paid → expired is not allowed"}},
		{"async success before the completion", []event{asyncSucceeded, completedDelay}, final{shop.StatusPaid, held, false},
			[]string{"", "ignored: paid → processing is not allowed"}},
		{"refund before the payment", []event{refunded, completed}, final{shop.StatusRefunded, held, false}, nil},
		{"failure after the payment", []event{completed, asyncFailed}, final{shop.StatusPaid, held, false}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newShop(t)
			o := s.place(t, 0)
			s.deliver(t, o, tc.events)
			// The same events delivered again change nothing.
			for _, outcome := range s.deliver(t, o, tc.events) {
				if outcome != checkout.OutcomeDuplicate {
					t.Errorf("a redelivery was %s, want duplicate", outcome)
				}
			}
			if got := s.final(t, o); got != tc.want {
				t.Errorf("%+v, want %+v", got, tc.want)
			}
			if tc.notes != nil {
				if got := s.notes(t, o, len(tc.events)); strings.Join(got, "|") != strings.Join(tc.notes, "|") {
					t.Errorf("notes %q, want %q", got, tc.notes)
				}
			}
		})
	}
}

// notes are the admin's notes on the first n events delivered for o.
func (s *shopUnderTest) notes(t *testing.T, o order, n int) []string {
	t.Helper()
	var out []string
	for i := range n {
		e, err := postgres.NewEvents(s.pool).Get(context.Background(), fmt.Sprintf("evt_%s_%d", o.session, i))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e.Note)
	}
	return out
}

// Stripe does not promise an order of delivery: whatever order the events
// of one payment arrive in, and however often, the order ends the same,
// and the shelf's stock with it.
func TestEveryOrderOfArrival(t *testing.T) {
	t.Parallel()
	held := int64(initialStock - quantity)
	cases := []struct {
		name   string
		events []event
		want   final
	}{
		{"delayed payment, succeeded, refunded", []event{completedDelay, asyncSucceeded, refunded}, final{shop.StatusRefunded, held, false}},
		{"delayed payment failed", []event{completedDelay, asyncFailed}, final{shop.StatusFailed, initialStock, false}},
		{"paid and refunded", []event{completed, refunded}, final{shop.StatusRefunded, held, false}},
		{"paid, partly then fully refunded", []event{completed, partialRefund, refunded}, final{shop.StatusRefunded, held, false}},
		{"paid, completed and succeeded", []event{completed, completedDelay, asyncSucceeded}, final{shop.StatusPaid, held, false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, p := range permutations(len(tc.events)) {
				s := newShop(t)
				o := s.place(t, 0)
				evs := make([]event, 0, 2*len(p))
				for _, i := range p {
					evs = append(evs, numbered(tc.events[i], i))
				}
				evs = append(evs, evs[0]) // a duplicate after the rest
				s.deliver(t, o, evs)
				if got := s.final(t, o); got != tc.want {
					t.Errorf("arrival %v: %+v, want %+v", p, got, tc.want)
				}
			}
		})
	}
}

// numbered gives an event the same id wherever it arrives, so a second
// delivery is recognised as the duplicate it is.
func numbered(e event, i int) event {
	return func(o order, _ int) string { return e(o, i) }
}

func permutations(n int) [][]int {
	if n == 1 {
		return [][]int{{0}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for at := 0; at <= len(p); at++ {
			q := append(append(append([]int{}, p[:at]...), n-1), p[at:]...)
			out = append(out, q)
		}
	}
	return out
}

// charge.refunded for less than the charge records what was refunded and
// leaves the order paid; an older, smaller report changes nothing; the
// full refund makes it refunded.
func TestPartialRefundEventsRecordTheAmount(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	o := s.place(t, 0)
	s.deliver(t, o, []event{completed, chargeRefunded(total / 2), chargeRefunded(total / 4)})
	got, err := postgres.NewOrders(s.pool).Get(context.Background(), o.id)
	if err != nil || got.Status != shop.StatusPaid || got.AmountRefunded != total/2 {
		t.Fatalf("after partial refunds: %s refunded %d, %v; want paid with %d", got.Status, got.AmountRefunded, err, total/2)
	}
	later := func(o order, n int) string { return refunded(o, n+10) } // an event id of its own
	s.deliver(t, o, []event{later})
	got, err = postgres.NewOrders(s.pool).Get(context.Background(), o.id)
	if err != nil || got.Status != shop.StatusRefunded || got.AmountRefunded != total || got.Lines[0].RefundedQuantity != quantity {
		t.Fatalf("after the full refund: %+v, %v", got, err)
	}
}

package stripesim_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/stripemock"
)

// TestContractWithStripeMock runs the calls internal/payments makes, and
// some it must never make, against both the simulator and stripe-mock
// (Stripe's OpenAPI spec in a server). It fails when the simulator accepts
// what stripe-mock rejects or answers in a shape stripe-go cannot decode.
// stripe-mock keeps no state, so only acceptance and decodability are
// compared, not values.
func TestContractWithStripeMock(t *testing.T) {
	t.Parallel()
	mockURL := startStripeMock(t)
	sim := newEnv(t)
	now := time.Now()
	ctx := context.Background()

	type target struct {
		name string
		url  string
		pay  *payments.Client
		api  *client.API
		// paidIntent returns a payment intent that can be refunded.
		paidIntent func(t *testing.T) string
		// openSession returns a session that can be expired.
		openSession func(t *testing.T) string
	}
	newTarget := func(name, url string) *target {
		return &target{name: name, url: url, api: newClient(url),
			pay: payments.New(payments.Config{SecretKey: testKey, APIURL: url, Timeout: 10 * time.Second})}
	}
	simT, mockT := newTarget("stripesim", sim.srv.URL), newTarget("stripe-mock", mockURL)
	orderN := 0
	var orderMu sync.Mutex
	newOrder := func() string {
		orderMu.Lock()
		defer orderMu.Unlock()
		orderN++
		return fmt.Sprintf("order-contract-%d-%d", now.UnixNano(), orderN)
	}
	params := func() payments.SessionParams {
		return payments.SessionParams{OrderID: newOrder(), OrderNumber: 1001, ProductName: "Mug", Currency: "usd", UnitAmount: 1250, Quantity: 2,
			SuccessURL: "http://shop.test/success?session_id={CHECKOUT_SESSION_ID}", CancelURL: "http://shop.test/cancel",
			ExpiresAt: now.Add(45 * time.Minute)}
	}
	simT.openSession = func(t *testing.T) string {
		s, err := simT.pay.CreateSession(ctx, params())
		if err != nil {
			t.Fatal(err)
		}
		return s.ID
	}
	simT.paidIntent = func(t *testing.T) string {
		id := simT.openSession(t)
		sim.complete(t, id, "paid", "contract@example.com")
		s, err := simT.pay.GetSession(ctx, id)
		if err != nil || s.PaymentIntentID == "" {
			t.Fatalf("paid session: %+v, %v", s, err)
		}
		return s.PaymentIntentID
	}
	mockT.openSession = func(*testing.T) string { return "cs_test_contract" }
	mockT.paidIntent = func(*testing.T) string { return "pi_contract" }

	// checkSession checks the fields stripeshop reads were decoded; only the
	// simulator's values mean anything.
	checkSession := func(t *testing.T, tg *target, s payments.Session, status string) {
		t.Helper()
		if s.ID == "" {
			t.Errorf("%s: session id not decoded", tg.name)
		}
		if tg != simT {
			return
		}
		if s.URL == "" && status == "open" || s.Status != status || s.PaymentStatus != "unpaid" || s.Currency != "usd" ||
			s.AmountTotal != 2500 || s.ClientReferenceID == "" || s.OrderID != s.ClientReferenceID || s.ExpiresAt.IsZero() {
			t.Errorf("%s: session fields not populated: %+v", tg.name, s)
		}
	}

	// Calls internal/payments makes: both must accept them.
	payCases := []struct {
		name string
		run  func(t *testing.T, tg *target) error
	}{
		{"create session with expires_at", func(t *testing.T, tg *target) error {
			s, err := tg.pay.CreateSession(ctx, params())
			if err == nil {
				checkSession(t, tg, s, "open")
			}
			return err
		}},
		{"get session", func(t *testing.T, tg *target) error {
			s, err := tg.pay.GetSession(ctx, tg.openSession(t))
			if err == nil {
				checkSession(t, tg, s, "open")
			}
			return err
		}},
		{"expire session", func(t *testing.T, tg *target) error {
			s, err := tg.pay.ExpireSession(ctx, tg.openSession(t))
			if err == nil {
				checkSession(t, tg, s, "expired")
			}
			return err
		}},
		{"refund by payment_intent", func(t *testing.T, tg *target) error {
			pi := tg.paidIntent(t)
			r, err := tg.pay.Refund(ctx, pi, "refund-"+newOrder())
			if err == nil && (r.ID == "" || r.Status == "" || r.Amount == 0 || r.PaymentIntentID != pi) {
				t.Errorf("%s: refund fields not populated: %+v", tg.name, r)
			}
			return err
		}},
	}
	for _, c := range payCases {
		t.Run(c.name, func(t *testing.T) {
			for _, tg := range []*target{simT, mockT} {
				if err := c.run(t, tg); err != nil {
					t.Errorf("%s rejected a call internal/payments makes: %v", tg.name, err)
				}
			}
		})
	}

	// Raw stripe-go calls, valid and not. want: "accept", "reject", or ""
	// when only the rule applies (the simulator may be stricter than the
	// spec, never more lenient).
	valid := func() *stripe.CheckoutSessionParams { return sessionParams(newOrder(), now) }
	rawCases := []struct {
		name string
		want string
		run  func(api *client.API) error
	}{
		{"create session", "accept", func(api *client.API) error {
			cs, err := api.CheckoutSessions.New(valid())
			if err == nil && cs.ID == "" {
				return errors.New("session id not decoded")
			}
			return err
		}},
		{"line item price_data without currency", "reject", func(api *client.API) error {
			p := valid()
			p.LineItems[0].PriceData.Currency = nil
			_, err := api.CheckoutSessions.New(p)
			return err
		}},
		{"line item without any price", "", func(api *client.API) error {
			p := valid()
			p.LineItems[0].PriceData = nil
			_, err := api.CheckoutSessions.New(p)
			return err
		}},
		{"unknown top-level parameter", "reject", func(api *client.API) error {
			p := valid()
			p.AddExtra("foo", "bar")
			_, err := api.CheckoutSessions.New(p)
			return err
		}},
		// stripe-mock does not check nested objects for unknown keys; Stripe
		// (and the simulator) does.
		{"unknown line item parameter", "", func(api *client.API) error {
			p := valid()
			p.AddExtra("line_items[0][colour]", "red")
			_, err := api.CheckoutSessions.New(p)
			return err
		}},
		{"mode outside its enum", "reject", func(api *client.API) error {
			p := valid()
			p.Mode = stripe.String("buy")
			_, err := api.CheckoutSessions.New(p)
			return err
		}},
		{"expires_at not an integer", "reject", func(api *client.API) error {
			p := valid()
			p.ExpiresAt = nil
			p.AddExtra("expires_at", "soon")
			_, err := api.CheckoutSessions.New(p)
			return err
		}},
		{"create a cart session with shipping, promotion codes and tax", "accept", func(api *client.API) error {
			cs, err := api.CheckoutSessions.New(cartParams(newOrder(), now))
			if err == nil && cs.ID == "" {
				return errors.New("session id not decoded")
			}
			return err
		}},
		{"get a session with totals and shipping expanded", "accept", func(api *client.API) error {
			p := &stripe.CheckoutSessionParams{}
			p.AddExpand("total_details.breakdown")
			p.AddExpand("shipping_cost.shipping_rate")
			p.AddExpand("line_items")
			id := "cs_test_contract"
			if api == simT.api {
				id = simT.openSession(t)
			}
			_, err := api.CheckoutSessions.Get(id, p)
			return err
		}},
		{"list a session's line items", "accept", func(api *client.API) error {
			id := "cs_test_contract"
			if api == simT.api {
				id = simT.openSession(t)
			}
			it := api.CheckoutSessions.ListLineItems(&stripe.CheckoutSessionListLineItemsParams{Session: stripe.String(id)})
			it.Next()
			return it.Err()
		}},
		{"shipping country outside Stripe's list", "reject", func(api *client.API) error {
			p := cartParams(newOrder(), now)
			p.ShippingAddressCollection.AllowedCountries = []*string{stripe.String("XX")}
			_, err := api.CheckoutSessions.New(p)
			return err
		}},
		{"shipping rate of a type Stripe has not", "reject", func(api *client.API) error {
			p := cartParams(newOrder(), now)
			p.ShippingOptions[0].ShippingRateData.Type = stripe.String("calculated")
			_, err := api.CheckoutSessions.New(p)
			return err
		}},
		{"line item tax behaviour outside its enum", "reject", func(api *client.API) error {
			p := cartParams(newOrder(), now)
			p.LineItems[0].PriceData.TaxBehavior = stripe.String("sometimes")
			_, err := api.CheckoutSessions.New(p)
			return err
		}},
		{"automatic tax not a boolean", "reject", func(api *client.API) error {
			p := cartParams(newOrder(), now)
			p.AutomaticTax = nil
			p.AddExtra("automatic_tax[enabled]", "yes")
			_, err := api.CheckoutSessions.New(p)
			return err
		}},
		{"shipping rate without a name", "", func(api *client.API) error {
			p := cartParams(newOrder(), now)
			p.ShippingOptions[0].ShippingRateData.DisplayName = nil
			_, err := api.CheckoutSessions.New(p)
			return err
		}},
		{"list sessions", "accept", func(api *client.API) error {
			it := api.CheckoutSessions.List(&stripe.CheckoutSessionListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(3)}})
			it.Next()
			return it.Err()
		}},
		{"refund with an unknown parameter", "reject", func(api *client.API) error {
			p := &stripe.RefundParams{PaymentIntent: stripe.String("pi_contract")}
			p.AddExtra("refund_everything", "true")
			_, err := api.Refunds.New(p)
			return err
		}},
		{"refund with an amount that is not an integer", "reject", func(api *client.API) error {
			p := &stripe.RefundParams{PaymentIntent: stripe.String("pi_contract")}
			p.AddExtra("amount", "all")
			_, err := api.Refunds.New(p)
			return err
		}},
	}
	for _, c := range rawCases {
		t.Run(c.name, func(t *testing.T) {
			simErr, mockErr := c.run(simT.api), c.run(mockT.api)
			for _, r := range []struct {
				name string
				err  error
			}{{"stripesim", simErr}, {"stripe-mock", mockErr}} {
				var se *stripe.Error
				switch {
				case r.err != nil && !errors.As(r.err, &se):
					t.Errorf("%s: answer stripe-go could not use: %v", r.name, r.err)
				case se != nil && (se.HTTPStatusCode < 400 || se.HTTPStatusCode > 499):
					t.Errorf("%s: status %d, want a 4xx rejection: %v", r.name, se.HTTPStatusCode, r.err)
				case c.want == "accept" && r.err != nil:
					t.Errorf("%s rejected a valid request: %v", r.name, r.err)
				case c.want == "reject" && r.err == nil:
					t.Errorf("%s accepted an invalid request", r.name)
				}
			}
			if mockErr != nil && simErr == nil {
				t.Errorf("stripesim accepts a request stripe-mock rejects: %v", mockErr)
			}
		})
	}
}

// startStripeMock runs stripe-mock (pinned in go.mod as a tool) on free
// ports and returns its URL. Without Go or the tool the test is skipped,
// unless STRIPESHOP_REQUIRE_STRIPE_MOCK is set (make test sets it).
func startStripeMock(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	url, stop, err := stripemock.Start(ctx)
	if err != nil {
		if os.Getenv("STRIPESHOP_REQUIRE_STRIPE_MOCK") != "" {
			t.Fatalf("stripe-mock is required (STRIPESHOP_REQUIRE_STRIPE_MOCK is set): %v", err)
		}
		t.Skipf("skipping the stripe-mock contract check: %v; set STRIPESHOP_REQUIRE_STRIPE_MOCK=1 to fail instead", err)
	}
	t.Cleanup(stop)
	return url
}

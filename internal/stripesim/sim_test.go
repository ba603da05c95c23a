package stripesim_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/stripeshop/stripeshop/internal/stripesim"
)

func TestCreateGetListExpire(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	now := e.clock.Now()

	cs := e.createSession(t, "order-1")
	switch {
	case !strings.HasPrefix(cs.ID, "cs_test_"):
		t.Errorf("id = %q, want cs_test_…", cs.ID)
	case cs.Object != "checkout.session", cs.Livemode:
		t.Errorf("object = %q livemode = %v", cs.Object, cs.Livemode)
	case cs.URL != e.srv.URL+"/pay/"+cs.ID:
		t.Errorf("url = %q", cs.URL)
	case cs.Status != stripe.CheckoutSessionStatusOpen, cs.PaymentStatus != stripe.CheckoutSessionPaymentStatusUnpaid:
		t.Errorf("status = %s/%s, want open/unpaid", cs.Status, cs.PaymentStatus)
	case cs.AmountTotal != 2500, cs.AmountSubtotal != 2500, cs.Currency != "usd":
		t.Errorf("amounts = %d/%d %s, want 2500 usd", cs.AmountSubtotal, cs.AmountTotal, cs.Currency)
	case cs.ClientReferenceID != "order-1", cs.Metadata["order_id"] != "order-1":
		t.Errorf("client_reference_id = %q metadata = %v", cs.ClientReferenceID, cs.Metadata)
	case cs.ExpiresAt != now.Add(45*time.Minute).Unix(), cs.Created != now.Unix():
		t.Errorf("expires_at = %d created = %d", cs.ExpiresAt, cs.Created)
	case cs.CustomerDetails != nil, cs.PaymentIntent != nil:
		t.Errorf("customer_details and payment_intent should be null until paid")
	case cs.Mode != stripe.CheckoutSessionModePayment, cs.SuccessURL == "", cs.CancelURL != "http://shop.test/cancel":
		t.Errorf("mode = %s success_url = %q cancel_url = %q", cs.Mode, cs.SuccessURL, cs.CancelURL)
	}

	got, err := e.api.CheckoutSessions.Get(cs.ID, nil)
	if err != nil || got.ID != cs.ID || got.AmountTotal != 2500 {
		t.Fatalf("get = %+v, %v", got, err)
	}
	_, err = e.api.CheckoutSessions.Get("cs_test_nope", nil)
	if se := asStripeError(t, err); se.HTTPStatusCode != 404 || se.Code != stripe.ErrorCodeResourceMissing {
		t.Errorf("get unknown: status %d code %s", se.HTTPStatusCode, se.Code)
	}

	cs2 := e.createSession(t, "order-2")
	cs3 := e.createSession(t, "order-3")
	lp := &stripe.CheckoutSessionListParams{}
	lp.Limit = stripe.Int64(2)
	it := e.api.CheckoutSessions.List(lp)
	var ids []string
	for it.Next() {
		ids = append(ids, it.CheckoutSession().ID)
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	if want := []string{cs3.ID, cs2.ID, cs.ID}; strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("list (auto-paged by 2) = %v, want newest first %v", ids, want)
	}
	if page := it.CheckoutSessionList(); page.URL != "/v1/checkout/sessions" || page.HasMore {
		t.Errorf("last page = url %q has_more %v", page.URL, page.HasMore)
	}

	var page struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
		HasMore bool `json:"has_more"`
	}
	if code := e.rawGet(t, "/v1/checkout/sessions?limit=1&ending_before="+cs.ID, &page); code != 200 ||
		len(page.Data) != 1 || page.Data[0].ID != cs2.ID || !page.HasMore {
		t.Errorf("ending_before the oldest, limit 1: %d %+v; want [%s] with more", code, page, cs2.ID)
	}
	if code := e.rawGet(t, "/v1/checkout/sessions?limit=101", nil); code != 400 {
		t.Errorf("limit 101: status %d", code)
	}

	withItems, err := e.api.CheckoutSessions.Get(cs.ID, &stripe.CheckoutSessionParams{Expand: []*string{stripe.String("line_items")}})
	if err != nil || withItems.LineItems == nil || len(withItems.LineItems.Data) != 1 {
		t.Fatalf("expand line_items: %+v, %v", withItems, err)
	}
	if li := withItems.LineItems.Data[0]; li.Quantity != 2 || li.Price.UnitAmount != 1250 || li.Description != "Mug" || li.AmountTotal != 2500 {
		t.Errorf("line item = %+v", li)
	}
	_, err = e.api.CheckoutSessions.Get(cs.ID, &stripe.CheckoutSessionParams{Expand: []*string{stripe.String("colour")}})
	if se := asStripeError(t, err); se.HTTPStatusCode != 400 || se.Param != "expand" {
		t.Errorf("expand of an unknown field: status %d param %q", se.HTTPStatusCode, se.Param)
	}

	expired, err := e.api.CheckoutSessions.Expire(cs.ID, nil)
	if err != nil || expired.Status != stripe.CheckoutSessionStatusExpired || expired.URL != "" {
		t.Fatalf("expire = %+v, %v", expired, err)
	}
	_, err = e.api.CheckoutSessions.Expire(cs.ID, nil)
	if se := asStripeError(t, err); se.HTTPStatusCode != 400 || se.Type != stripe.ErrorTypeInvalidRequest {
		t.Errorf("expire twice: status %d type %s", se.HTTPStatusCode, se.Type)
	}
	ev := waitEvent(t, e, "checkout.session.expired")
	if s := sessionOf(t, ev); s.ID != cs.ID || s.Status != stripe.CheckoutSessionStatusExpired {
		t.Errorf("expired event session = %s %s", s.ID, s.Status)
	}
	if ev.Request == nil || ev.Request.ID == "" {
		t.Errorf("an event caused by an API call names the request: %+v", ev.Request)
	}

	lp = &stripe.CheckoutSessionListParams{Status: stripe.String("open")}
	it = e.api.CheckoutSessions.List(lp)
	n := 0
	for it.Next() {
		n++
	}
	if n != 2 {
		t.Errorf("open sessions = %d, want 2", n)
	}
}

func waitEvent(t *testing.T, e *env, typ string) stripe.Event {
	t.Helper()
	eventually(t, typ, func() bool { return len(e.hooks.received(typ)) > 0 })
	return e.hooks.received(typ)[0]
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	now := e.clock.Now()
	tests := []struct {
		name   string
		edit   func(p *stripe.CheckoutSessionParams)
		status int
		code   stripe.ErrorCode
		param  string
	}{
		{"unknown parameter", func(p *stripe.CheckoutSessionParams) { p.AddExtra("foo", "bar") }, 400, "parameter_unknown", "foo"},
		{"unknown nested parameter", func(p *stripe.CheckoutSessionParams) { p.AddExtra("line_items[0][colour]", "red") }, 400, "parameter_unknown", "line_items[0][colour]"},
		{"missing mode", func(p *stripe.CheckoutSessionParams) { p.Mode = nil }, 400, "parameter_missing", "mode"},
		{"mode not an enum value", func(p *stripe.CheckoutSessionParams) { p.Mode = stripe.String("buy") }, 400, "", "mode"},
		{"missing line items", func(p *stripe.CheckoutSessionParams) { p.LineItems = nil }, 400, "parameter_missing", "line_items"},
		{"missing success_url", func(p *stripe.CheckoutSessionParams) { p.SuccessURL = nil }, 400, "parameter_missing", "success_url"},
		{"success_url not a URL", func(p *stripe.CheckoutSessionParams) { p.SuccessURL = stripe.String("shop/success") }, 400, "url_invalid", "success_url"},
		{"line item without price", func(p *stripe.CheckoutSessionParams) { p.LineItems[0].PriceData = nil }, 400, "parameter_missing", "line_items[0][price]"},
		{"price_data without currency", func(p *stripe.CheckoutSessionParams) { p.LineItems[0].PriceData.Currency = nil }, 400, "parameter_missing", "line_items[0][price_data][currency]"},
		{"price_data without unit_amount", func(p *stripe.CheckoutSessionParams) { p.LineItems[0].PriceData.UnitAmount = nil }, 400, "parameter_missing", "line_items[0][price_data][unit_amount]"},
		{"product_data without name", func(p *stripe.CheckoutSessionParams) {
			p.LineItems[0].PriceData.ProductData.Name = nil
			p.LineItems[0].PriceData.ProductData.Description = stripe.String("A mug")
		}, 400, "parameter_missing", "line_items[0][price_data][product_data][name]"},
		{"price_data without product", func(p *stripe.CheckoutSessionParams) { p.LineItems[0].PriceData.ProductData = nil }, 400, "parameter_missing", "line_items[0][price_data][product_data]"},
		{"unknown currency", func(p *stripe.CheckoutSessionParams) { p.LineItems[0].PriceData.Currency = stripe.String("xyz") }, 400, "", "line_items[0][price_data][currency]"},
		{"missing quantity", func(p *stripe.CheckoutSessionParams) { p.LineItems[0].Quantity = nil }, 400, "parameter_missing", "line_items[0][quantity]"},
		{"zero quantity", func(p *stripe.CheckoutSessionParams) { p.LineItems[0].Quantity = stripe.Int64(0) }, 400, "", "line_items[0][quantity]"},
		{"unknown price id", func(p *stripe.CheckoutSessionParams) {
			p.LineItems[0].PriceData = nil
			p.LineItems[0].Price = stripe.String("price_123")
		}, 400, "resource_missing", "line_items[0][price]"},
		{"below the minimum charge", func(p *stripe.CheckoutSessionParams) { p.LineItems[0].PriceData.UnitAmount = stripe.Int64(10) }, 400, "amount_too_small", ""},
		{"expires_at under 30 minutes", func(p *stripe.CheckoutSessionParams) { p.ExpiresAt = stripe.Int64(now.Add(29 * time.Minute).Unix()) }, 400, "", "expires_at"},
		{"expires_at over 24 hours", func(p *stripe.CheckoutSessionParams) { p.ExpiresAt = stripe.Int64(now.Add(25 * time.Hour).Unix()) }, 400, "", "expires_at"},
		{"customer_creation not an enum value", func(p *stripe.CheckoutSessionParams) { p.CustomerCreation = stripe.String("sometimes") }, 400, "", "customer_creation"},
		{"client_reference_id too long", func(p *stripe.CheckoutSessionParams) { p.ClientReferenceID = stripe.String(strings.Repeat("x", 201)) }, 400, "", "client_reference_id"},
		{"subscription mode", func(p *stripe.CheckoutSessionParams) { p.Mode = stripe.String("subscription") }, 400, "", "mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := sessionParams("order-v", now)
			tt.edit(p)
			_, err := e.api.CheckoutSessions.New(p)
			se := asStripeError(t, err)
			if se.HTTPStatusCode != tt.status || se.Code != tt.code || se.Param != tt.param || se.Type != stripe.ErrorTypeInvalidRequest {
				t.Errorf("got status %d type %s code %q param %q (%s); want %d %q %q",
					se.HTTPStatusCode, se.Type, se.Code, se.Param, se.Msg, tt.status, tt.code, tt.param)
			}
			if se.Msg == "" {
				t.Errorf("error without a message")
			}
		})
	}

	t.Run("integer that is not one", func(t *testing.T) {
		form := url.Values{"mode": {"payment"}, "success_url": {"http://shop.test/s"},
			"line_items[0][price_data][currency]": {"usd"}, "line_items[0][price_data][unit_amount]": {"12.50"},
			"line_items[0][price_data][product_data][name]": {"Mug"}, "line_items[0][quantity]": {"1"}}
		status, body := e.rawPost(t, "/v1/checkout/sessions", form, testKey)
		errObj, _ := body["error"].(map[string]any)
		if status != 400 || errObj["code"] != "parameter_invalid_integer" || errObj["param"] != "line_items[0][price_data][unit_amount]" {
			t.Errorf("status %d body %v", status, body)
		}
	})
	t.Run("zero-decimal currency", func(t *testing.T) {
		p := sessionParams("order-jpy", now)
		p.LineItems[0].PriceData.Currency = stripe.String("jpy")
		p.LineItems[0].PriceData.UnitAmount = stripe.Int64(1500)
		cs, err := e.api.CheckoutSessions.New(p)
		if err != nil || cs.AmountTotal != 3000 || cs.Currency != "jpy" {
			t.Fatalf("jpy session = %+v, %v", cs, err)
		}
	})
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	status, body := e.rawPost(t, "/v1/checkout/sessions", url.Values{"mode": {"payment"}}, "")
	errObj, _ := body["error"].(map[string]any)
	if status != 401 || errObj["type"] != "invalid_request_error" || !strings.Contains(errObj["message"].(string), "API key") {
		t.Errorf("no key: status %d body %v", status, body)
	}
	bad := newClient(e.srv.URL)
	bad.CheckoutSessions.Key = "pk_test_publishable"
	_, err := bad.CheckoutSessions.Get("cs_test_x", nil)
	if se := asStripeError(t, err); se.HTTPStatusCode != 401 {
		t.Errorf("publishable key: status %d", se.HTTPStatusCode)
	}
	status, _ = e.rawPost(t, "/v1/customers", url.Values{}, testKey)
	if status != 404 {
		t.Errorf("unknown endpoint: status %d, want 404", status)
	}
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	now := e.clock.Now()
	p := sessionParams("order-i", now)
	p.SetIdempotencyKey("checkout-order-i")
	first, err := e.api.CheckoutSessions.New(p)
	if err != nil {
		t.Fatal(err)
	}
	p = sessionParams("order-i", now)
	p.SetIdempotencyKey("checkout-order-i")
	again, err := e.api.CheckoutSessions.New(p)
	if err != nil || again.ID != first.ID {
		t.Fatalf("same key and params: got %v, %v; want session %s again", again, err, first.ID)
	}
	if again.LastResponse.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay lacks Idempotent-Replayed: true")
	}

	p = sessionParams("order-i", now)
	p.LineItems[0].Quantity = stripe.Int64(3)
	p.SetIdempotencyKey("checkout-order-i")
	_, err = e.api.CheckoutSessions.New(p)
	se := asStripeError(t, err)
	if se.HTTPStatusCode != 400 || se.Type != stripe.ErrorTypeIdempotency || !strings.Contains(se.Msg, "same parameters") {
		t.Errorf("same key, other params: status %d type %s msg %q", se.HTTPStatusCode, se.Type, se.Msg)
	}

	// A request refused by validation is not stored: fixed, it may reuse the key.
	bad := sessionParams("order-j", now)
	bad.Mode = nil
	bad.SetIdempotencyKey("checkout-order-j")
	if _, err := e.api.CheckoutSessions.New(bad); err == nil {
		t.Fatal("invalid request accepted")
	}
	good := sessionParams("order-j", now)
	good.SetIdempotencyKey("checkout-order-j")
	if _, err := e.api.CheckoutSessions.New(good); err != nil {
		t.Fatalf("fixed request with the same key: %v", err)
	}
}

func TestPayFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cs := e.createSession(t, "order-p")
	redirect := e.complete(t, cs.ID, "paid", "ada@example.com")
	if want := "http://shop.test/success?session_id=" + cs.ID; redirect != want {
		t.Errorf("redirect_url = %q, want %q", redirect, want)
	}
	// The control call returns after delivery, so the event is already here.
	evs := e.hooks.received()
	if len(evs) != 1 || evs[0].Type != "checkout.session.completed" {
		t.Fatalf("events = %v, want one checkout.session.completed", types(evs))
	}
	ev := evs[0]
	if ev.APIVersion != stripe.APIVersion || ev.Livemode || !strings.HasPrefix(ev.ID, "evt_") {
		t.Errorf("event header: %+v", ev)
	}
	s := sessionOf(t, ev)
	switch {
	case s.ID != cs.ID, s.Status != stripe.CheckoutSessionStatusComplete, s.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid:
		t.Errorf("session %s is %s/%s", s.ID, s.Status, s.PaymentStatus)
	case s.AmountTotal != 2500, s.Currency != "usd", s.ClientReferenceID != "order-p", s.Metadata["order_id"] != "order-p":
		t.Errorf("session amounts/refs: %d %s %q %v", s.AmountTotal, s.Currency, s.ClientReferenceID, s.Metadata)
	case s.PaymentIntent == nil || !strings.HasPrefix(s.PaymentIntent.ID, "pi_"):
		t.Errorf("payment_intent = %+v", s.PaymentIntent)
	case s.CustomerDetails == nil || s.CustomerDetails.Email != "ada@example.com", s.CustomerEmail != "ada@example.com":
		t.Errorf("customer email not filled: %+v %q", s.CustomerDetails, s.CustomerEmail)
	}

	got, err := e.api.CheckoutSessions.Get(cs.ID, &stripe.CheckoutSessionParams{Expand: []*string{stripe.String("payment_intent")}})
	if err != nil || got.PaymentIntent == nil || got.PaymentIntent.Status != stripe.PaymentIntentStatusSucceeded || got.PaymentIntent.Amount != 2500 {
		t.Fatalf("get with expanded payment_intent = %+v, %v", got.PaymentIntent, err)
	}
	it := e.api.CheckoutSessions.List(&stripe.CheckoutSessionListParams{PaymentIntent: stripe.String(s.PaymentIntent.ID)})
	var found []string
	for it.Next() {
		found = append(found, it.CheckoutSession().ID)
	}
	if len(found) != 1 || found[0] != cs.ID {
		t.Errorf("list by payment_intent = %v", found)
	}

	fetched, err := e.api.Events.Get(ev.ID, nil)
	if err != nil || fetched.Type != "checkout.session.completed" || fetched.PendingWebhooks != 0 {
		t.Errorf("GET /v1/events/%s = %+v, %v", ev.ID, fetched, err)
	}

	var conflict map[string]any
	if code := e.control(t, "POST", "/_sim/checkout/sessions/"+cs.ID+"/complete", nil, &conflict); code != http.StatusConflict {
		t.Errorf("paying twice: status %d", code)
	}
}

func types(evs []stripe.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, string(ev.Type))
	}
	return out
}

func TestAsyncOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		outcome    string
		second     string
		finalState stripe.CheckoutSessionPaymentStatus
	}{
		{"async_succeeded", "checkout.session.async_payment_succeeded", stripe.CheckoutSessionPaymentStatusPaid},
		{"async_failed", "checkout.session.async_payment_failed", stripe.CheckoutSessionPaymentStatusUnpaid},
	}
	for _, tt := range tests {
		t.Run(tt.outcome, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			cs := e.createSession(t, "order-a")
			e.complete(t, cs.ID, tt.outcome, "bo@example.com")
			evs := e.hooks.received()
			if got := types(evs); len(got) != 2 || got[0] != "checkout.session.completed" || got[1] != tt.second {
				t.Fatalf("events = %v, want completed then %s", got, tt.second)
			}
			first, second := sessionOf(t, evs[0]), sessionOf(t, evs[1])
			if first.Status != "complete" || first.PaymentStatus != stripe.CheckoutSessionPaymentStatusUnpaid {
				t.Errorf("completed event: %s/%s, want complete/unpaid", first.Status, first.PaymentStatus)
			}
			if second.PaymentStatus != tt.finalState || second.PaymentIntent == nil || second.CustomerDetails.Email != "bo@example.com" {
				t.Errorf("%s event: payment_status %s", tt.second, second.PaymentStatus)
			}
			got, _ := e.api.CheckoutSessions.Get(cs.ID, nil)
			if got.PaymentStatus != tt.finalState {
				t.Errorf("session payment_status = %s, want %s", got.PaymentStatus, tt.finalState)
			}
		})
	}
}

func TestExpiryByTime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cs := e.createSession(t, "order-e") // expires in 45 minutes
	// One that expires sooner shows when a sweep has run past 44 minutes.
	sooner := sessionParams("order-e-sooner", e.clock.Now())
	sooner.ExpiresAt = stripe.Int64(e.clock.Now().Add(31 * time.Minute).Unix())
	if _, err := e.api.CheckoutSessions.New(sooner); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(44 * time.Minute)
	waitEvent(t, e, "checkout.session.expired")
	if got, _ := e.api.CheckoutSessions.Get(cs.ID, nil); got.Status != stripe.CheckoutSessionStatusOpen {
		t.Fatalf("status before expires_at = %s", got.Status)
	}
	e.clock.Advance(time.Minute)
	var ev stripe.Event
	eventually(t, "the expiry of "+cs.ID, func() bool {
		for _, got := range e.hooks.received("checkout.session.expired") {
			if sessionOf(t, got).ID == cs.ID {
				ev = got
				return true
			}
		}
		return false
	})
	if s := sessionOf(t, ev); s.Status != stripe.CheckoutSessionStatusExpired || s.URL != "" {
		t.Errorf("expired event: %s %s url %q", s.ID, s.Status, s.URL)
	}
	if ev.Request == nil || ev.Request.ID != "" {
		t.Errorf("an expiry by time names no request: %+v", ev.Request)
	}
	if got, _ := e.api.CheckoutSessions.Get(cs.ID, nil); got.Status != stripe.CheckoutSessionStatusExpired {
		t.Errorf("status after expires_at = %s", got.Status)
	}
	var out map[string]any
	if code := e.control(t, "POST", "/_sim/checkout/sessions/"+cs.ID+"/complete", nil, &out); code != http.StatusConflict {
		t.Errorf("paying an expired session: status %d", code)
	}
}

func TestRefund(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cs := e.createSession(t, "order-r")
	e.complete(t, cs.ID, "paid", "cy@example.com")
	paid, _ := e.api.CheckoutSessions.Get(cs.ID, nil)
	pi := paid.PaymentIntent.ID

	partial, err := e.api.Refunds.New(&stripe.RefundParams{PaymentIntent: stripe.String(pi), Amount: stripe.Int64(500)})
	if err != nil || partial.Amount != 500 || partial.Status != stripe.RefundStatusSucceeded || partial.PaymentIntent.ID != pi {
		t.Fatalf("partial refund = %+v, %v", partial, err)
	}
	rest, err := e.api.Refunds.New(&stripe.RefundParams{PaymentIntent: stripe.String(pi)})
	if err != nil || rest.Amount != 2000 || !strings.HasPrefix(rest.ID, "re_") || rest.Charge == nil || rest.Currency != "usd" {
		t.Fatalf("refund of the rest = %+v, %v", rest, err)
	}
	eventually(t, "two charge.refunded", func() bool { return len(e.hooks.received("charge.refunded")) == 2 })
	var charges []stripe.Charge
	for _, ev := range e.hooks.received("charge.refunded") {
		var ch stripe.Charge
		if err := json.Unmarshal(ev.Data.Raw, &ch); err != nil {
			t.Fatal(err)
		}
		charges = append(charges, ch)
	}
	if c := charges[0]; c.Amount != 2500 || c.AmountRefunded != 500 || c.Refunded || c.PaymentIntent.ID != pi || c.Currency != "usd" {
		t.Errorf("first charge.refunded: amount %d refunded %d (%v) pi %v", c.Amount, c.AmountRefunded, c.Refunded, c.PaymentIntent)
	}
	if c := charges[1]; c.AmountRefunded != 2500 || !c.Refunded || c.ID != rest.Charge.ID {
		t.Errorf("second charge.refunded: refunded %d (%v)", c.AmountRefunded, c.Refunded)
	}

	_, err = e.api.Refunds.New(&stripe.RefundParams{PaymentIntent: stripe.String(pi)})
	if se := asStripeError(t, err); se.HTTPStatusCode != 400 || se.Code != stripe.ErrorCodeChargeAlreadyRefunded {
		t.Errorf("refund twice: status %d code %s", se.HTTPStatusCode, se.Code)
	}
	_, err = e.api.Refunds.New(&stripe.RefundParams{PaymentIntent: stripe.String("pi_unknown")})
	if se := asStripeError(t, err); se.Code != stripe.ErrorCodeResourceMissing || se.Param != "payment_intent" {
		t.Errorf("unknown payment intent: code %s param %s", se.Code, se.Param)
	}
	_, err = e.api.Refunds.New(&stripe.RefundParams{})
	if se := asStripeError(t, err); se.HTTPStatusCode != 400 {
		t.Errorf("refund of nothing: status %d", se.HTTPStatusCode)
	}

	unpaid := e.createSession(t, "order-r2")
	e.complete(t, unpaid.ID, "async_failed", "")
	failed, _ := e.api.CheckoutSessions.Get(unpaid.ID, nil)
	_, err = e.api.Refunds.New(&stripe.RefundParams{PaymentIntent: stripe.String(failed.PaymentIntent.ID)})
	if se := asStripeError(t, err); se.Code != stripe.ErrorCodeChargeNotRefundable {
		t.Errorf("refund of a failed payment: code %s", se.Code)
	}
}

func TestWebhookRetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.hooks.failNext(2)
	cs := e.createSession(t, "order-w")
	e.complete(t, cs.ID, "paid", "")
	ev := waitEvent(t, e, "checkout.session.completed")
	if s := sessionOf(t, ev); s.CustomerDetails.Email != "customer@example.com" {
		t.Errorf("default email = %q", s.CustomerDetails.Email)
	}
	var rec simEvent
	eventually(t, "delivered state", func() bool {
		rec = e.simEvents(t)[0]
		return rec.State == "delivered"
	})
	if len(rec.Attempts) != 3 {
		t.Fatalf("attempts = %+v, want 3", rec.Attempts)
	}
	for i, want := range []int{500, 500, 200} {
		if rec.Attempts[i].StatusCode != want {
			t.Errorf("attempt %d: status %d, want %d", i+1, rec.Attempts[i].StatusCode, want)
		}
	}
	if rec.ID != ev.ID || len(rec.Payload) == 0 {
		t.Errorf("record %s payload %d bytes", rec.ID, len(rec.Payload))
	}
}

func TestWebhookUnreachableGivesUp(t *testing.T) {
	t.Parallel()
	dead := newReceiver(t)
	dead.srv.Close() // nothing listens there any more
	e := newEnv(t, func(c *stripesim.Config) { c.WebhookURL = dead.srv.URL; c.MaxAttempts = 3 })
	cs := e.createSession(t, "order-u")
	e.complete(t, cs.ID, "paid", "")
	var rec simEvent
	eventually(t, "failed state", func() bool {
		rec = e.simEvents(t)[0]
		return rec.State == "failed"
	})
	if len(rec.Attempts) != 3 || rec.Attempts[0].Error == "" || rec.Attempts[0].StatusCode != 0 {
		t.Errorf("attempts = %+v, want 3 network errors", rec.Attempts)
	}

	// Pointing the simulator at a live receiver and redelivering succeeds.
	e.sim.SetWebhookURL(e.hooks.srv.URL)
	var after simEvent
	if code := e.control(t, "POST", "/_sim/events/"+rec.ID+"/redeliver", nil, &after); code != 200 || after.State != "delivered" {
		t.Errorf("redeliver: status %d state %s", code, after.State)
	}
	if got := e.hooks.received(); len(got) != 1 || got[0].ID != rec.ID {
		t.Errorf("received %v after redelivery", types(got))
	}
}

func TestWebhookPause(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var state map[string]any
	e.control(t, "POST", "/_sim/webhooks", map[string]any{"paused": true}, &state)
	if state["paused"] != true {
		t.Fatalf("pause: %v", state)
	}
	cs := e.createSession(t, "order-z")
	e.complete(t, cs.ID, "paid", "") // returns at once: delivery is paused
	if n := len(e.hooks.received()); n != 0 {
		t.Fatalf("%d events delivered while paused", n)
	}
	if evs := e.simEvents(t); len(evs) != 1 || evs[0].State != "pending" || len(evs[0].Attempts) != 0 {
		t.Fatalf("while paused: %+v", evs)
	}
	e.control(t, "POST", "/_sim/webhooks", map[string]any{"paused": false}, &state)
	waitEvent(t, e, "checkout.session.completed")
}

func TestFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var out map[string]any
	e.control(t, "POST", "/_sim/faults", map[string]any{"status": 500, "count": 1, "path": "/v1/checkout/sessions"}, &out)
	e.control(t, "POST", "/_sim/faults", map[string]any{"status": 429, "count": 1}, &out)

	_, err := e.api.CheckoutSessions.New(sessionParams("order-f", e.clock.Now()))
	if se := asStripeError(t, err); se.HTTPStatusCode != 500 || se.Type != stripe.ErrorTypeAPI {
		t.Errorf("injected 500: status %d type %s", se.HTTPStatusCode, se.Type)
	}
	_, err = e.api.CheckoutSessions.New(sessionParams("order-f", e.clock.Now()))
	if se := asStripeError(t, err); se.HTTPStatusCode != 429 || se.Code != stripe.ErrorCodeRateLimit {
		t.Errorf("injected 429: status %d code %s", se.HTTPStatusCode, se.Code)
	}
	if _, err := e.api.CheckoutSessions.New(sessionParams("order-f", e.clock.Now())); err != nil {
		t.Errorf("after the faults: %v", err)
	}

	e.control(t, "POST", "/_sim/faults", map[string]any{"delay_ms": 300}, &out)
	slow := newClient(e.srv.URL)
	bc := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
		URL: stripe.String(e.srv.URL), MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
		HTTPClient:    &http.Client{Timeout: 50 * time.Millisecond},
	})
	slow.CheckoutSessions.B = bc
	if _, err := slow.CheckoutSessions.Get("cs_test_x", nil); err == nil || !strings.Contains(err.Error(), "Timeout") {
		t.Errorf("delayed request with a 50ms client timeout: %v", err)
	}
	e.control(t, "DELETE", "/_sim/faults", nil, &out)
	if faults := out["faults"].([]any); len(faults) != 0 {
		t.Errorf("faults after DELETE: %v", faults)
	}
}

// goneClient is the body of a request whose client goes away once the
// simulator has taken the request's fault, as a shop killed while Stripe
// holds its answer: reading it after that fails as a reset connection does.
type goneClient struct {
	body io.Reader
	e    *env
	t    *testing.T
}

func (g *goneClient) Read(p []byte) (int, error) {
	var out struct {
		Faults []json.RawMessage `json:"faults"`
	}
	if g.e.control(g.t, "GET", "/_sim/faults", nil, &out); len(out.Faults) == 0 {
		return 0, errors.New("connection reset by peer")
	}
	return g.body.Read(p)
}

// A fault's delay holds a request Stripe has received whole: when its client
// goes away meanwhile, the session is made all the same (the client never
// hears of it), as at Stripe, where the shop's reconciler then finds it.
func TestFaultDelayHoldsARequestReceivedWhole(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.control(t, "POST", "/_sim/faults", map[string]any{"delay_ms": 1, "count": 1, "path": "/v1/checkout/sessions"}, nil)
	form := url.Values{
		"mode":                                          {"payment"},
		"client_reference_id":                           {"order-gone"},
		"success_url":                                   {"http://shop.test/success"},
		"line_items[0][price_data][currency]":           {"usd"},
		"line_items[0][price_data][unit_amount]":        {"1250"},
		"line_items[0][price_data][product_data][name]": {"Mug"},
		"line_items[0][quantity]":                       {"1"},
	}.Encode()
	req := httptest.NewRequest("POST", "/v1/checkout/sessions", &goneClient{body: strings.NewReader(form), e: e, t: t})
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+testKey)
	rec := httptest.NewRecorder()
	e.sim.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("the held request was answered %d: %s", rec.Code, rec.Body)
	}
	params := &stripe.CheckoutSessionListParams{}
	params.Filters.AddFilter("limit", "", "100")
	made := 0
	it := e.api.CheckoutSessions.List(params)
	for it.Next() {
		if it.CheckoutSession().ClientReferenceID == "order-gone" {
			made++
		}
	}
	if err := it.Err(); err != nil || made != 1 {
		t.Fatalf("sessions made for the gone client: %d (%v), want 1", made, err)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// During a rotation every delivery is signed with each secret, one v1
// apiece, so receivers holding either the new or the old secret accept it.
func TestSignatureCarriesEverySecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cs := e.createSession(t, "order-s")
	e.complete(t, cs.ID, "paid", "")
	raw := e.hooks.deliveries()
	if len(raw) != 1 {
		t.Fatalf("%d deliveries", len(raw))
	}
	sig := raw[0].signature
	if !strings.HasPrefix(sig, "t=") || strings.Count(sig, "t=") != 1 || strings.Count(sig, ",v1=") != 2 {
		t.Errorf("Stripe-Signature = %q, want one t= and two v1=", sig)
	}
	for _, secret := range []string{testSecret, "whsec_older_secret"} {
		if _, err := webhook.ConstructEvent(raw[0].body, sig, secret); err != nil {
			t.Errorf("not verified with %s: %v", secret, err)
		}
	}
	if _, err := webhook.ConstructEvent(raw[0].body, sig, "whsec_someone_else"); err == nil {
		t.Errorf("verified with a secret that is not in the list")
	}
}

package stripesim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/stripeshop/stripeshop/internal/stripesim"
)

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// card is a filled-in card form.
func card(number string) url.Values {
	return url.Values{"action": {"pay"}, "email": {"dee@example.com"}, "method": {"card"},
		"cardnumber": {number}, "exp": {"12 / 34"}, "cvc": {"123"}, "name": {"Dee Buyer"},
		"country": {"US"}, "postal": {"94107"}}
}

func post(t *testing.T, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := noRedirect.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readAll(t, resp)
}

func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := noRedirect.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readAll(t, resp)
}

func TestHostedPageShowsTheOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *stripesim.Config) { c.MerchantName = "Camp Coffee Co." })
	p := sessionParams("order-h", e.clock.Now())
	p.LineItems[0].PriceData.ProductData.Images = []*string{stripe.String("http://shop.test/mug.png")}
	cs, err := e.api.CheckoutSessions.New(p)
	if err != nil {
		t.Fatal(err)
	}
	_, page := get(t, cs.URL)
	for _, want := range []string{
		`<a class="back" href="http://shop.test/cancel" id="cancel"`, "Back to </span>", "Camp Coffee Co.",
		"<header", "<aside", "<main", `<form class="pay-form" id="pay-form" method="post"`, "<footer",
		`<img class="thumb" src="http://shop.test/mug.png"`, "Mug", "Qty 2", "$12.50 each", "$25.00",
		"Subtotal", "Shipping", "Discount", "Tax", "Total due",
		`<label for="email">Email</label>`, `<label class="vh" for="card-number">Card number</label>`,
		`for="card-expiry"`, `for="card-cvc"`, `<label for="card-name">Name on card</label>`,
		`<label for="country">Country or region</label>`, `<option value="US" selected>United States</option>`,
		`<label for="postal">ZIP or postal code</label>`, "Bank debit",
		`id="pay" data-testid="pay" data-label="pay">Pay $25.00</button>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}

	p = sessionParams("order-h2", e.clock.Now())
	p.LineItems[0].PriceData.Currency = stripe.String("jpy")
	p.LineItems[0].PriceData.UnitAmount = stripe.Int64(1500)
	yen, err := e.api.CheckoutSessions.New(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, body := get(t, yen.URL); !strings.Contains(body, "Pay ¥3,000") {
		t.Errorf("jpy total not formatted as ¥3,000")
	}

	exp := e.createSession(t, "order-h3")
	e.control(t, "POST", "/_sim/checkout/sessions/"+exp.ID+"/expire", nil, nil)
	if _, body := get(t, exp.URL); !strings.Contains(body, "expired") || strings.Contains(body, `data-testid="pay"`) {
		t.Errorf("page of an expired session: %s", body)
	}
	if resp, _ := get(t, e.srv.URL+"/pay/cs_test_unknown"); resp.StatusCode != 404 {
		t.Errorf("unknown session page: status %d", resp.StatusCode)
	}

	resp, _ := post(t, cs.URL, url.Values{"action": {"cancel"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "http://shop.test/cancel" {
		t.Errorf("cancel: %v %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestHostedPageTestCards(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cs := e.createSession(t, "order-cards")
	for _, c := range []struct{ number, message string }{
		{"4000 0000 0000 0002", "Your card was declined."},
		{"4000 0000 0000 9995", "Your card has insufficient funds."},
		{"4000 0000 0000 0069", "Your card has expired."},
		{"4000 0000 0000 0127", "Your card&#39;s security code is incorrect."},
		{"4111 1111 1111 1111", "used a non test (live) card"},
	} {
		resp, body := post(t, cs.URL, card(c.number))
		if resp.StatusCode != http.StatusPaymentRequired || !strings.Contains(body, `role="alert">Your card`) || !strings.Contains(body, c.message) {
			t.Errorf("%s: status %d, message %q missing", c.number, resp.StatusCode, c.message)
		}
		if !strings.Contains(body, `value="`+c.number+`"`) || !strings.Contains(body, `value="dee@example.com"`) {
			t.Errorf("%s: the form lost what the customer typed", c.number)
		}
	}
	// As at Stripe, the declines were tried on the session's payment
	// intent, which now waits for another payment method.
	got, _ := e.api.CheckoutSessions.Get(cs.ID, &stripe.CheckoutSessionParams{Params: stripe.Params{Expand: []*string{stripe.String("payment_intent")}}})
	if pi := got.PaymentIntent; got.Status != stripe.CheckoutSessionStatusOpen || pi == nil ||
		pi.Status != stripe.PaymentIntentStatusRequiresPaymentMethod || pi.LastPaymentError == nil || pi.LastPaymentError.Code != "card_declined" {
		t.Errorf("after the declines the session is %s, payment intent %+v; want open, requires_payment_method", got.Status, pi)
	}
	// The shop's endpoint listens to none of charge.failed and
	// payment_intent.payment_failed.
	if n := len(e.simEvents(t)); n != 0 {
		t.Errorf("%d events after declines only", n)
	}

	for _, c := range []struct{ field, value, id, message string }{
		{"cardnumber", "4242 4242 4242 4241", "card-number", "Your card number is invalid."},
		{"cardnumber", "4242 4242", "card-number", "Your card number is incomplete."},
		{"exp", "01 / 20", "card-expiry", "Your card&#39;s expiration year is in the past."},
		{"cvc", "1", "card-cvc", "Your card&#39;s security code is incomplete."},
		{"postal", "", "postal", "Your ZIP is incomplete."},
		{"email", "dee@", "email", "Your email address is invalid."},
	} {
		form := card("4242 4242 4242 4242")
		form.Set(c.field, c.value)
		resp, body := post(t, cs.URL, form)
		if resp.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(body, `aria-invalid="true" aria-describedby="`+c.id+`-error"`) ||
			!strings.Contains(body, `<p class="err" id="`+c.id+`-error">`+c.message+`</p>`) {
			t.Errorf("%s=%q: status %d; want the inline error %q tied to #%s", c.field, c.value, resp.StatusCode, c.message, c.id)
		}
	}

	resp, _ := post(t, cs.URL, card("4242424242424242"))
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "http://shop.test/success?session_id="+cs.ID {
		t.Fatalf("4242: status %d to %q", resp.StatusCode, loc)
	}
	if evs := e.hooks.received("checkout.session.completed"); len(evs) != 1 || sessionOf(t, evs[0]).CustomerDetails.Email != "dee@example.com" ||
		sessionOf(t, evs[0]).PaymentStatus != "paid" {
		t.Errorf("completed events after paying with 4242: %v", types(evs))
	}
	if _, body := get(t, cs.URL); !strings.Contains(body, "already complete") {
		t.Errorf("page of a paid session does not say so")
	}
	if resp, _ := post(t, cs.URL, card("4242424242424242")); resp.StatusCode != http.StatusConflict {
		t.Errorf("paying twice: status %d", resp.StatusCode)
	}
}

func TestHostedPageThreeDSecure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cs := e.createSession(t, "order-3ds")
	authURL := cs.URL + "/authenticate"
	if resp, _ := get(t, authURL); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("authentication page with nothing to authenticate: status %d", resp.StatusCode)
	}

	resp, _ := post(t, cs.URL, card("4000 0027 6000 3184"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/pay/"+cs.ID+"/authenticate" {
		t.Fatalf("3DS card: status %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body := get(t, authURL)
	for _, want := range []string{"Confirm this payment with your bank", "$25.00", "ending in <strong>3184</strong>", `id="authenticate-complete"`, `id="authenticate-fail"`} {
		if !strings.Contains(body, want) {
			t.Errorf("authentication page lacks %q", want)
		}
	}
	resp, _ = post(t, authURL, url.Values{"action": {"fail"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/pay/"+cs.ID {
		t.Fatalf("failed authentication: status %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = get(t, cs.URL)
	if !strings.Contains(body, "We are unable to authenticate your payment method.") || !strings.Contains(body, `value="dee@example.com"`) {
		t.Errorf("after a failed authentication the page does not say so")
	}
	if _, body = get(t, cs.URL); strings.Contains(body, "unable to authenticate") {
		t.Errorf("the failure message is shown again on the next view")
	}

	post(t, cs.URL, card("4000 0027 6000 3184"))
	resp, _ = post(t, authURL, url.Values{"action": {"complete"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "http://shop.test/success?session_id="+cs.ID {
		t.Fatalf("completed authentication: status %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if evs := e.hooks.received("checkout.session.completed"); len(evs) != 1 || sessionOf(t, evs[0]).PaymentStatus != "paid" {
		t.Errorf("events after 3-D Secure: %v", types(e.hooks.received()))
	}
}

func TestHostedPageBankDebit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *stripesim.Config) { c.BankDebitDelay = 300 * time.Millisecond })
	bank := func(account string) url.Values {
		return url.Values{"action": {"pay"}, "email": {"dee@example.com"}, "method": {"bank"},
			"bank_name": {"Dee Buyer"}, "routing": {"110000000"}, "account": {account}}
	}
	if resp, body := post(t, e.createSession(t, "order-b0").URL, bank("000999999999")); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `id="bank-account-error">Use a test account number`) {
		t.Errorf("an account number that is no test number: status %d", resp.StatusCode)
	}

	for _, c := range []struct {
		account, then string
		piStatus      stripe.PaymentIntentStatus
	}{
		{"000123456789", "checkout.session.async_payment_succeeded", stripe.PaymentIntentStatusSucceeded},
		{"000111111113", "checkout.session.async_payment_failed", stripe.PaymentIntentStatusRequiresPaymentMethod},
	} {
		cs := e.createSession(t, "order-b-"+c.account)
		resp, _ := post(t, cs.URL, bank(c.account))
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "http://shop.test/success") {
			t.Fatalf("%s: status %d to %q", c.account, resp.StatusCode, resp.Header.Get("Location"))
		}
		got, err := e.api.CheckoutSessions.Get(cs.ID, &stripe.CheckoutSessionParams{Expand: []*string{stripe.String("payment_intent")}})
		if err != nil {
			t.Fatal(err)
		}
		// Still processing: the page answered before the delay ran out,
		// unless the machine was slow enough for it to settle already.
		if got.PaymentIntent.Status == stripe.PaymentIntentStatusProcessing && got.PaymentStatus != "unpaid" {
			t.Errorf("%s: processing yet payment_status %s", c.account, got.PaymentStatus)
		}
		eventually(t, c.then, func() bool {
			for _, ev := range e.hooks.received(c.then) {
				if sessionOf(t, ev).ID == cs.ID {
					return true
				}
			}
			return false
		})
		got, _ = e.api.CheckoutSessions.Get(cs.ID, &stripe.CheckoutSessionParams{Expand: []*string{stripe.String("payment_intent")}})
		if got.PaymentIntent.Status != c.piStatus {
			t.Errorf("%s: payment intent %s after settling; want %s", c.account, got.PaymentIntent.Status, c.piStatus)
		}
	}
}

// Tests that post the earlier page's form (an outcome and an e-mail, no
// card) still pay; internal/httpapi's flow tests do.
func TestHostedPageTakesTheEarlierForm(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cs := e.createSession(t, "order-old-form")
	if resp, body := post(t, cs.URL, url.Values{"action": {"paid"}, "email": {"not-an-email"}}); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "Your email address is invalid.") {
		t.Errorf("bad e-mail: status %d", resp.StatusCode)
	}
	resp, _ := post(t, cs.URL, url.Values{"action": {"async_failed"}, "email": {"dee@example.com"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("action=async_failed: status %d", resp.StatusCode)
	}
	// Settled before the answer, as before.
	if evs := e.hooks.received("checkout.session.async_payment_failed"); len(evs) != 1 {
		t.Errorf("events: %v", types(e.hooks.received()))
	}
}

// The control API can hold a delayed payment processing too, and by
// default still settles it before answering.
func TestControlSettleAfter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cs := e.createSession(t, "order-settle")
	var out struct {
		Events []string `json:"events"`
	}
	if code := e.control(t, "POST", "/_sim/checkout/sessions/"+cs.ID+"/complete",
		map[string]any{"outcome": "async_succeeded", "settle_after_ms": 200}, &out); code != 200 || len(out.Events) != 1 {
		t.Fatalf("complete with settle_after_ms: status %d, events %v", code, out.Events)
	}
	eventually(t, "the async success event", func() bool {
		return len(e.hooks.received("checkout.session.async_payment_succeeded")) == 1
	})
}

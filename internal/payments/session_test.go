package payments_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/stripemock"
)

// cartSession is a session with every parameter a cart can bring: lines
// with and without a tax code, an address in two countries, two shipping
// options (one with a delivery estimate), promotion codes, automatic tax.
func cartSession() payments.SessionParams {
	return payments.SessionParams{OrderID: "9d0c8f0e-0000-4000-8000-000000000001", OrderNumber: 1001, Currency: "usd",
		Lines: []payments.LineItem{
			{Name: "Mug", UnitAmount: 1250, Quantity: 2, TaxCode: "txcd_99999999"},
			{Name: "Cup", UnitAmount: 500, Quantity: 1},
		},
		SuccessURL: "http://shop.test/success?session_id={CHECKOUT_SESSION_ID}", CancelURL: "http://shop.test/cancel",
		ExpiresAt:         time.Now().Add(45 * time.Minute),
		ShippingCountries: []string{"US", "CA"},
		ShippingOptions: []payments.ShippingOption{
			{ID: "free", Name: "Free shipping", Amount: 0},
			{ID: "3c1e0d52-0000-4000-8000-000000000002", Name: "Express", Amount: 1500, MinDays: 1, MaxDays: 2},
		},
		AllowPromotionCodes: true, AutomaticTax: true, TaxBehavior: "exclusive",
	}
}

// stripe-mock (Stripe's OpenAPI spec in a server) accepts every parameter
// a cart's session sends, and a refund of an amount.
func TestCartSessionAgainstStripeMock(t *testing.T) {
	url, stop, err := stripemock.Start(context.Background())
	if err != nil {
		if os.Getenv("STRIPESHOP_REQUIRE_STRIPE_MOCK") != "" {
			t.Fatal(err)
		}
		t.Skipf("stripe-mock: %v", err)
	}
	defer stop()
	c := payments.New(payments.Config{SecretKey: "sk_test_123", APIURL: url})
	s, err := c.CreateSession(context.Background(), cartSession())
	if err != nil {
		t.Fatalf("stripe-mock refused the cart's session: %v", err)
	}
	if s.ID == "" {
		t.Fatalf("no session decoded: %+v", s)
	}
	// A partial refund (an amount) is accepted too.
	if _, err := c.RefundAmount(context.Background(), "pi_contract", 500, "stripeshop-refund-partial-test"); err != nil {
		t.Fatalf("stripe-mock refused a partial refund: %v", err)
	}
}

// The parameters, as stripe-go form-encodes them, say what the shop meant.
func TestCartSessionParameters(t *testing.T) {
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ = url.ParseQuery(string(body))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"cs_test_1","object":"checkout.session","status":"open","payment_status":"unpaid"}`)
	}))
	defer srv.Close()
	c := payments.New(payments.Config{SecretKey: "sk_test_123", APIURL: srv.URL})
	if _, err := c.CreateSession(context.Background(), cartSession()); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"line_items[0][price_data][product_data][name]":                              "Mug",
		"line_items[0][price_data][product_data][tax_code]":                          "txcd_99999999",
		"line_items[0][price_data][tax_behavior]":                                    "exclusive",
		"line_items[0][quantity]":                                                    "2",
		"line_items[1][price_data][unit_amount]":                                     "500",
		"line_items[1][price_data][product_data][tax_code]":                          "",
		"shipping_address_collection[allowed_countries][0]":                          "US",
		"shipping_address_collection[allowed_countries][1]":                          "CA",
		"shipping_options[0][shipping_rate_data][display_name]":                      "Free shipping",
		"shipping_options[0][shipping_rate_data][fixed_amount][amount]":              "0",
		"shipping_options[0][shipping_rate_data][type]":                              "fixed_amount",
		"shipping_options[1][shipping_rate_data][fixed_amount][currency]":            "usd",
		"shipping_options[1][shipping_rate_data][delivery_estimate][minimum][unit]":  "business_day",
		"shipping_options[1][shipping_rate_data][delivery_estimate][maximum][value]": "2",
		"shipping_options[1][shipping_rate_data][tax_behavior]":                      "exclusive",
		"allow_promotion_codes":                                                      "true",
		"automatic_tax[enabled]":                                                     "true",
		"metadata[shipping_rates]":                                                   "0=free,1500=3c1e0d52-0000-4000-8000-000000000002",
	}
	for k, v := range want {
		if got := form.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	// A one-product session of a shop with none of it asks for nothing more.
	p := cartSession()
	p.Lines, p.ProductName, p.UnitAmount, p.Quantity = nil, "Mug", 1250, 1
	p.ShippingCountries, p.ShippingOptions, p.AllowPromotionCodes, p.AutomaticTax = nil, nil, false, false
	if _, err := c.CreateSession(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	for k := range form {
		switch k {
		case "allow_promotion_codes", "automatic_tax[enabled]", "metadata[shipping_rates]",
			"shipping_address_collection[allowed_countries][0]", "line_items[0][price_data][tax_behavior]", "line_items[1][quantity]":
			t.Errorf("a plain session sent %s", k)
		}
	}
	if form.Get("line_items[0][price_data][product_data][name]") != "Mug" {
		t.Errorf("the one-product form's line: %v", form)
	}
}

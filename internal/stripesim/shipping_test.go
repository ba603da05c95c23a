package stripesim_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/stripeshop/stripeshop/internal/stripesim"
)

// withShop is a simulator configured as the shop's cart would use it:
// two promotion codes and an 8.25 % tax rate.
func withShop(c *stripesim.Config) {
	codes, err := stripesim.ParsePromotionCodes("SAVE10=10%,FIVEOFF=500")
	if err != nil {
		panic(err)
	}
	c.PromotionCodes, c.TaxRate = codes, 8.25
}

// cartParams are a three-line cart shipped to the US or Canada with two
// rates, promotion codes allowed and automatic tax, as the shop sends it.
func cartParams(orderID string, now time.Time) *stripe.CheckoutSessionParams {
	p := sessionParams(orderID, now)
	line := func(name string, unit, qty int64) *stripe.CheckoutSessionLineItemParams {
		return &stripe.CheckoutSessionLineItemParams{
			PriceData: &stripe.CheckoutSessionLineItemPriceDataParams{
				Currency: stripe.String("usd"), UnitAmount: stripe.Int64(unit), TaxBehavior: stripe.String("exclusive"),
				ProductData: &stripe.CheckoutSessionLineItemPriceDataProductDataParams{
					Name: stripe.String(name), TaxCode: stripe.String("txcd_99999999"),
					Images:   []*string{stripe.String("https://shop.test/media/" + strings.ToLower(name) + "/640.jpg"), stripe.String("https://shop.test/media/" + strings.ToLower(name) + "/1280.jpg")},
					Metadata: map[string]string{"product_id": strings.ToLower(name)},
				},
			},
			Quantity: stripe.Int64(qty),
		}
	}
	p.LineItems = []*stripe.CheckoutSessionLineItemParams{line("Mug", 1250, 2), line("Tee", 2000, 1), line("Sticker", 333, 3)}
	p.ShippingAddressCollection = &stripe.CheckoutSessionShippingAddressCollectionParams{AllowedCountries: []*string{stripe.String("US"), stripe.String("CA")}}
	rate := func(name string, amount, lo, hi int64) *stripe.CheckoutSessionShippingOptionParams {
		return &stripe.CheckoutSessionShippingOptionParams{ShippingRateData: &stripe.CheckoutSessionShippingOptionShippingRateDataParams{
			DisplayName: stripe.String(name), Type: stripe.String("fixed_amount"), TaxBehavior: stripe.String("exclusive"),
			FixedAmount: &stripe.CheckoutSessionShippingOptionShippingRateDataFixedAmountParams{Amount: stripe.Int64(amount), Currency: stripe.String("usd")},
			DeliveryEstimate: &stripe.CheckoutSessionShippingOptionShippingRateDataDeliveryEstimateParams{
				Minimum: &stripe.CheckoutSessionShippingOptionShippingRateDataDeliveryEstimateMinimumParams{Unit: stripe.String("business_day"), Value: stripe.Int64(lo)},
				Maximum: &stripe.CheckoutSessionShippingOptionShippingRateDataDeliveryEstimateMaximumParams{Unit: stripe.String("business_day"), Value: stripe.Int64(hi)},
			},
			Metadata: map[string]string{"rate_id": strings.ToLower(name)},
		}}
	}
	p.ShippingOptions = []*stripe.CheckoutSessionShippingOptionParams{rate("Standard", 500, 3, 5), rate("Express", 1500, 1, 2)}
	p.AllowPromotionCodes = stripe.Bool(true)
	p.AutomaticTax = &stripe.CheckoutSessionAutomaticTaxParams{Enabled: stripe.Bool(true)}
	return p
}

// shipTo is the page's form filled in: address, rate, code and a card.
func shipTo(rate, code string) url.Values {
	f := card("4242 4242 4242 4242")
	f.Del("country")
	f.Del("postal")
	for k, v := range map[string]string{"shipping_name": "Dee Buyer", "shipping_line1": "1 Main St", "shipping_line2": "Apt 2",
		"shipping_city": "Springfield", "shipping_state": "IL", "shipping_postal": "62701", "shipping_country": "US",
		"shipping_rate": rate, "promotion_code": code} {
		f.Set(k, v)
	}
	return f
}

// The browser's walk through a cart's payment page: address, a rate, a
// promotion code, a card; then the session, its line items, the event and
// the charge all carry the same totals, at both API versions.
//
// The cart: 2 × $12.50 + $20.00 + 3 × $3.33 = $54.99; SAVE10 takes
// $2.50 + $2.00 + $1.00 (99.9¢ rounded) = $5.50; tax at 8.25 % of each
// discounted line, rounded half up: $1.86 + $1.49 + $0.74, and $1.24 of
// Express's $15.00; total $54.99 − $5.50 + $15.00 + $5.33 = $69.82.
func TestHostedPageShippingPromotionCodeAndTax(t *testing.T) {
	t.Parallel()
	for _, ver := range stripesim.APIVersions {
		t.Run(ver, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, withShop, func(c *stripesim.Config) { c.APIVersion = ver })
			cs, err := e.api.CheckoutSessions.New(cartParams("order-cart-"+ver, e.clock.Now()))
			if err != nil {
				t.Fatal(err)
			}
			if len(cs.ShippingOptions) != 2 || cs.ShippingCost == nil || cs.ShippingCost.ShippingRate.ID != cs.ShippingOptions[0].ShippingRate.ID ||
				cs.AmountSubtotal != 5499 || cs.AmountTotal != 5999 || cs.TotalDetails.AmountShipping != 500 || cs.TotalDetails.AmountTax != 0 ||
				!cs.AutomaticTax.Enabled || cs.AutomaticTax.Status != "requires_location_inputs" {
				t.Errorf("open session: %+v %+v %+v", cs.ShippingCost, cs.TotalDetails, cs.AutomaticTax)
			}
			express := cs.ShippingOptions[1].ShippingRate.ID

			_, page := get(t, cs.URL)
			for _, want := range []string{
				`<label for="shipping-name">Full name</label>`, `<label for="shipping-country">Country or region</label>`,
				`<option value="CA">Canada</option>`, `<option value="US" selected>United States</option>`,
				`<label for="shipping-line1">Address line 1</label>`, `<label for="shipping-line2">Address line 2 (optional)</label>`,
				`<label for="shipping-city">City</label>`, `<label for="shipping-state">State or province</label>`,
				`<label for="shipping-postal">Shipping ZIP or postal code</label>`,
				`id="shipping-rate-0" data-testid="shipping-rate-0" value="` + cs.ShippingOptions[0].ShippingRate.ID + `" checked`,
				"Standard", "3–5 business days", "$5.00", "Express", "1–2 business days", "$15.00",
				`<summary id="add-promotion-code" data-testid="add-promotion-code">Add promotion code</summary>`,
				`<label for="promotion-code">Promotion code</label>`, "8.25%",
				`data-testid="total-due" aria-live="polite">$64.93</dd>`, // $54.99 + $5.00 + $4.94 tax
			} {
				if !strings.Contains(page, want) {
					t.Errorf("page lacks %q", want)
				}
			}
			if strings.Contains(page, "United Kingdom") {
				t.Errorf("the page offers a country the session does not ship to")
			}

			form := shipTo(express, "NOPE")
			form.Set("action", "apply_code")
			resp, body := post(t, cs.URL, form)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `aria-invalid="true" aria-describedby="promotion-code-error"`) ||
				!strings.Contains(body, `<p class="err" id="promotion-code-error">This code is invalid.</p>`) || !strings.Contains(body, `value="Springfield"`) {
				t.Errorf("an unknown code: status %d", resp.StatusCode)
			}
			form = shipTo(express, "save10")
			form.Set("action", "apply_code")
			resp, body = post(t, cs.URL, form)
			for _, want := range []string{"SAVE10 applied: 10% off", `data-testid="discount">−$5.50`, `data-testid="shipping">$15.00`,
				`data-testid="tax">$5.33`, `data-testid="summary-rate">Express`, `data-label="pay">Pay $69.82</button>`,
				`value="` + express + `" checked`} {
				if resp.StatusCode != http.StatusOK || !strings.Contains(body, want) {
					t.Errorf("code applied: status %d, page lacks %q", resp.StatusCode, want)
				}
			}
			bad := shipTo(express, "save10")
			bad.Set("shipping_city", "")
			if resp, body := post(t, cs.URL, bad); resp.StatusCode != http.StatusUnprocessableEntity ||
				!strings.Contains(body, `<p class="err" id="shipping-city-error">This field is incomplete.</p>`) {
				t.Errorf("no city: status %d", resp.StatusCode)
			}
			if resp, _ := post(t, cs.URL, shipTo(express, "save10")); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("pay: status %d", resp.StatusCode)
			}

			got := map[string]any{}
			e.rawGet(t, "/v1/checkout/sessions/"+cs.ID+"?expand[0]=total_details.breakdown.discounts.discount.promotion_code&expand[1]=line_items&expand[2]=payment_intent&expand[3]=shipping_cost.shipping_rate", &got)
			checkCartSession(t, got, ver, express)
			pi := got["payment_intent"].(map[string]any)
			if pi["amount"] != 6982.0 {
				t.Errorf("payment intent amount %v, want the session's 6982", pi["amount"])
			}
			items := got["line_items"].(map[string]any)["data"].([]any)
			for i, want := range []map[string]any{
				{"amount_subtotal": 2500.0, "amount_discount": 250.0, "amount_tax": 186.0, "amount_total": 2436.0, "description": "Mug", "quantity": 2.0},
				{"amount_subtotal": 2000.0, "amount_discount": 200.0, "amount_tax": 149.0, "amount_total": 1949.0, "description": "Tee", "quantity": 1.0},
				{"amount_subtotal": 999.0, "amount_discount": 100.0, "amount_tax": 74.0, "amount_total": 973.0, "description": "Sticker", "quantity": 3.0},
			} {
				for k, v := range want {
					if items[i].(map[string]any)[k] != v {
						t.Errorf("line %d %s = %v, want %v", i, k, items[i].(map[string]any)[k], v)
					}
				}
			}

			evs := e.hooks.received("checkout.session.completed")
			if len(evs) != 1 {
				t.Fatalf("completed events: %v", types(e.hooks.received()))
			}
			var ev map[string]any
			if err := json.Unmarshal(evs[0].Data.Raw, &ev); err != nil {
				t.Fatal(err)
			}
			checkCartSession(t, ev, ver, express)

			// The charge is the session's total; a partial refund leaves it
			// refunded=false, and more than is left is refused.
			piID := pi["id"].(string)
			if _, err := e.api.Refunds.New(&stripe.RefundParams{PaymentIntent: stripe.String(piID), Amount: stripe.Int64(1000)}); err != nil {
				t.Fatal(err)
			}
			_, err = e.api.Refunds.New(&stripe.RefundParams{PaymentIntent: stripe.String(piID), Amount: stripe.Int64(5983)})
			if se := asStripeError(t, err); se.Param != "amount" || se.Code != "amount_too_large" {
				t.Errorf("refunding more than is left: %v", err)
			}
			eventually(t, "charge.refunded", func() bool { return len(e.hooks.received("charge.refunded")) == 1 })
			refunded := e.hooks.received("charge.refunded")
			var ch stripe.Charge
			if err := json.Unmarshal(refunded[0].Data.Raw, &ch); err != nil {
				t.Fatal(err)
			}
			if ch.Amount != 6982 || ch.AmountRefunded != 1000 || ch.Refunded {
				t.Errorf("charge after a partial refund: amount %d, refunded %d (%v)", ch.Amount, ch.AmountRefunded, ch.Refunded)
			}
		})
	}
}

// checkCartSession checks a paid cart session (an API answer with
// total_details.breakdown expanded, or an event's object).
func checkCartSession(t *testing.T, s map[string]any, ver, express string) {
	t.Helper()
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	want := map[string]string{
		"amount_subtotal":             `5499`,
		"amount_total":                `6982`,
		"automatic_tax":               `{"enabled":true,"liability":{"type":"self"},"status":"complete"}`,
		"shipping_address_collection": `{"allowed_countries":["US","CA"]}`,
		"discounts":                   `[{"coupon":"simSAVE10","promotion_code":"promo_simSAVE10"}]`,
		"allow_promotion_codes":       `true`,
	}
	for k, v := range want {
		if got := js(s[k]); got != v {
			t.Errorf("%s = %s, want %s", k, got, v)
		}
	}
	td := s["total_details"].(map[string]any)
	if td["amount_discount"] != 550.0 || td["amount_shipping"] != 1500.0 || td["amount_tax"] != 533.0 {
		t.Errorf("total_details %s", js(td))
	}
	if b, ok := td["breakdown"].(map[string]any); ok {
		if promo, ok := b["discounts"].([]any)[0].(map[string]any)["discount"].(map[string]any)["promotion_code"].(map[string]any); !ok || promo["code"] != "SAVE10" {
			t.Errorf("the code applied, expanded: %s", js(b["discounts"]))
		}
		taxes, discounts := b["taxes"].([]any), b["discounts"].([]any)
		if len(taxes) != 1 || len(discounts) != 1 || js(taxes[0].(map[string]any)["amount"]) != "533" ||
			js(taxes[0].(map[string]any)["taxable_amount"]) != "6449" || js(taxes[0].(map[string]any)["rate"].(map[string]any)["percentage"]) != "8.25" ||
			js(discounts[0].(map[string]any)["amount"]) != "550" {
			t.Errorf("breakdown %s", js(b))
		}
	}
	sc := s["shipping_cost"].(map[string]any)
	rate := sc["shipping_rate"]
	if m, ok := rate.(map[string]any); ok {
		rate = m["id"]
		if m["display_name"] != "Express" || js(m["metadata"]) != `{"rate_id":"express"}` {
			t.Errorf("shipping rate %s", js(m))
		}
	}
	if sc["amount_subtotal"] != 1500.0 || sc["amount_tax"] != 124.0 || sc["amount_total"] != 1624.0 || rate != express {
		t.Errorf("shipping_cost %s", js(sc))
	}
	address := `{"address":{"city":"Springfield","country":"US","line1":"1 Main St","line2":"Apt 2","postal_code":"62701","state":"IL"},"name":"Dee Buyer"}`
	_, has := s["shipping_details"]
	switch ver {
	case stripesim.APIVersion:
		if js(s["shipping_details"]) != address {
			t.Errorf("shipping_details %s", js(s["shipping_details"]))
		}
	default:
		if has || js(s["collected_information"]) != `{"shipping_details":`+address+`}` {
			t.Errorf("at %s: shipping_details present %v, collected_information %s", ver, has, js(s["collected_information"]))
		}
	}
	cd := s["customer_details"].(map[string]any)
	if cd["name"] != "Dee Buyer" || cd["email"] != "dee@example.com" || cd["address"].(map[string]any)["postal_code"] != "62701" {
		t.Errorf("customer_details %s", js(cd))
	}
}

func TestLineItemsList(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withShop)
	cs, err := e.api.CheckoutSessions.New(cartParams("order-lines", e.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	it := e.api.CheckoutSessions.ListLineItems(&stripe.CheckoutSessionListLineItemsParams{Session: stripe.String(cs.ID),
		ListParams: stripe.ListParams{Limit: stripe.Int64(2)}})
	for it.Next() {
		li := it.LineItem()
		names = append(names, li.Description)
		if li.AmountSubtotal != li.Price.UnitAmount*li.Quantity || li.AmountTotal != li.AmountSubtotal || li.Price.TaxBehavior != "exclusive" {
			t.Errorf("line %s: %+v", li.Description, li)
		}
	}
	if err := it.Err(); err != nil || strings.Join(names, ",") != "Mug,Tee,Sticker" {
		t.Errorf("line items %v, %v", names, err)
	}
	var page map[string]any
	e.rawGet(t, "/v1/checkout/sessions/"+cs.ID+"/line_items?expand[]=data.price.product&limit=1", &page)
	prod := page["data"].([]any)[0].(map[string]any)["price"].(map[string]any)["product"].(map[string]any)
	if page["has_more"] != true || prod["tax_code"] != "txcd_99999999" || prod["metadata"].(map[string]any)["product_id"] != "mug" || len(prod["images"].([]any)) != 2 {
		t.Errorf("expanded product %v (has_more %v)", prod, page["has_more"])
	}
	if code := e.rawGet(t, "/v1/checkout/sessions/cs_test_nope/line_items", nil); code != 404 {
		t.Errorf("line items of an unknown session: %d", code)
	}
}

// The control API pays a cart as the page does: a rate, a code and an
// address, or a test address in the first allowed country.
func TestControlCompletesACart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withShop)
	cs, err := e.api.CheckoutSessions.New(cartParams("order-control-cart", e.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if code := e.control(t, "POST", "/_sim/checkout/sessions/"+cs.ID+"/complete", map[string]any{
		"outcome": "paid", "promotion_code": "NOPE"}, &out); code != 400 {
		t.Errorf("an unknown code: status %d", code)
	}
	if code := e.control(t, "POST", "/_sim/checkout/sessions/"+cs.ID+"/complete", map[string]any{
		"outcome": "paid", "shipping": map[string]any{"name": "Al", "address": map[string]any{"country": "GB"}}}, &out); code != 400 {
		t.Errorf("a country not allowed: status %d", code)
	}
	if code := e.control(t, "POST", "/_sim/checkout/sessions/"+cs.ID+"/complete", map[string]any{
		"outcome": "paid", "promotion_code": "fiveoff", "shipping_rate": cs.ShippingOptions[1].ShippingRate.ID}, &out); code != 200 {
		t.Fatalf("complete: status %d", code)
	}
	got, err := e.api.CheckoutSessions.Get(cs.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	// FIVEOFF: $5.00 shared 228/182/90; tax 187+150+75 on the items
	// ($2272, $1818, $909) and 124 on shipping.
	if got.TotalDetails.AmountDiscount != 500 || got.TotalDetails.AmountTax != 536 || got.AmountTotal != 5499-500+1500+536 ||
		got.ShippingDetails == nil || got.ShippingDetails.Address.Country != "US" || got.ShippingDetails.Address.PostalCode != "94080" {
		t.Errorf("paid through the control API: %+v, shipping %+v", got.TotalDetails, got.ShippingDetails)
	}
}

func TestCheckoutSessionShippingParamsValidated(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withShop)
	for _, c := range []struct {
		name, param string
		edit        func(p *stripe.CheckoutSessionParams)
	}{
		{"an unknown country", "shipping_address_collection[allowed_countries][0]", func(p *stripe.CheckoutSessionParams) {
			p.ShippingAddressCollection.AllowedCountries = []*string{stripe.String("XX")}
		}},
		{"a rate in another currency", "shipping_options[1][shipping_rate_data][fixed_amount][currency]", func(p *stripe.CheckoutSessionParams) {
			p.ShippingOptions[1].ShippingRateData.FixedAmount.Currency = stripe.String("eur")
		}},
		{"a rate without a name", "shipping_options[0][shipping_rate_data][display_name]", func(p *stripe.CheckoutSessionParams) {
			p.ShippingOptions[0].ShippingRateData.DisplayName = nil
		}},
		{"a rate without an amount", "shipping_options[0][shipping_rate_data][fixed_amount]", func(p *stripe.CheckoutSessionParams) {
			p.ShippingOptions[0].ShippingRateData.FixedAmount = nil
		}},
		{"a negative rate", "shipping_options[0][shipping_rate_data][fixed_amount][amount]", func(p *stripe.CheckoutSessionParams) {
			p.ShippingOptions[0].ShippingRateData.FixedAmount.Amount = stripe.Int64(-1)
		}},
		{"a delivery unit Stripe has not", "shipping_options[0][shipping_rate_data][delivery_estimate][minimum][unit]", func(p *stripe.CheckoutSessionParams) {
			p.ShippingOptions[0].ShippingRateData.DeliveryEstimate.Minimum.Unit = stripe.String("fortnight")
		}},
		{"an unknown shipping rate id", "shipping_options[0][shipping_rate]", func(p *stripe.CheckoutSessionParams) {
			p.ShippingOptions[0] = &stripe.CheckoutSessionShippingOptionParams{ShippingRate: stripe.String("shr_nope")}
		}},
		{"a tax behaviour Stripe has not", "line_items[0][price_data][tax_behavior]", func(p *stripe.CheckoutSessionParams) {
			p.LineItems[0].PriceData.TaxBehavior = stripe.String("sometimes")
		}},
		{"a malformed tax code", "line_items[1][price_data][product_data][tax_code]", func(p *stripe.CheckoutSessionParams) {
			p.LineItems[1].PriceData.ProductData.TaxCode = stripe.String("food")
		}},
		{"an image that is no URL", "line_items[0][price_data][product_data][images][1]", func(p *stripe.CheckoutSessionParams) {
			p.LineItems[0].PriceData.ProductData.Images[1] = stripe.String("/media/mug.jpg")
		}},
		{"automatic tax without enabled", "automatic_tax[enabled]", func(p *stripe.CheckoutSessionParams) {
			p.AutomaticTax.Enabled = nil
			p.AutomaticTax.Liability = &stripe.CheckoutSessionAutomaticTaxLiabilityParams{Type: stripe.String("self")}
		}},
		{"discounts beside allow_promotion_codes", "discounts", func(p *stripe.CheckoutSessionParams) {
			p.Discounts = []*stripe.CheckoutSessionDiscountParams{{PromotionCode: stripe.String("promo_simSAVE10")}}
		}},
		{"more than five rates", "shipping_options", func(p *stripe.CheckoutSessionParams) {
			for range 4 {
				p.ShippingOptions = append(p.ShippingOptions, p.ShippingOptions[0])
			}
		}},
	} {
		p := cartParams("order-bad", e.clock.Now())
		c.edit(p)
		_, err := e.api.CheckoutSessions.New(p)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if se := asStripeError(t, err); se.HTTPStatusCode != 400 || se.Type != stripe.ErrorTypeInvalidRequest || se.Param != c.param {
			t.Errorf("%s: %d %s param %q, want 400 invalid_request_error param %q (%s)", c.name, se.HTTPStatusCode, se.Type, se.Param, c.param, se.Msg)
		}
	}

	// A code applied up front, by the id of a configured one.
	p := cartParams("order-discount", e.clock.Now())
	p.AllowPromotionCodes = nil
	p.Discounts = []*stripe.CheckoutSessionDiscountParams{{Coupon: stripe.String("simSAVE10")}}
	cs, err := e.api.CheckoutSessions.New(p)
	if err != nil || cs.TotalDetails.AmountDiscount != 550 || cs.AmountTotal != 5499-550+500 {
		t.Errorf("a session with a discount: %v %+v", err, cs)
	}
}

func TestParsePromotionCodesAndTaxRate(t *testing.T) {
	t.Parallel()
	codes, err := stripesim.ParsePromotionCodes(" SAVE10=10%, FIVEOFF=500 ,HALF=12.5%,")
	if err != nil || len(codes) != 3 || codes[0] != (stripesim.PromotionCode{Code: "SAVE10", PercentOff: 10}) ||
		codes[1] != (stripesim.PromotionCode{Code: "FIVEOFF", AmountOff: 500}) || codes[2].PercentOff != 12.5 {
		t.Errorf("ParsePromotionCodes: %+v, %v", codes, err)
	}
	if codes, err := stripesim.ParsePromotionCodes(""); err != nil || codes != nil {
		t.Errorf("empty: %v, %v", codes, err)
	}
	for _, bad := range []string{"SAVE10", "SAVE10=", "=10%", "SAVE10=0%", "SAVE10=101%", "SAVE10=ten", "SAVE10=-5",
		"SAVE10=0", "SAVE 10=10%", "SAVE10=10.12345%", "A=1,a=2"} {
		if _, err := stripesim.ParsePromotionCodes(bad); err == nil {
			t.Errorf("ParsePromotionCodes(%q) accepted", bad)
		}
	}
	for in, want := range map[string]float64{"": 0, "8.25": 8.25, "8.25%": 8.25, "0": 0, "100": 100, "7.1234": 7.1234} {
		if got, err := stripesim.ParseTaxRate(in); err != nil || got != want {
			t.Errorf("ParseTaxRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"high", "-1", "100.01", "8.12345", "1e2", "+5"} {
		if _, err := stripesim.ParseTaxRate(bad); err == nil {
			t.Errorf("ParseTaxRate(%q) accepted", bad)
		}
	}
}

// A cart opened before a restart keeps its rates, codes and tax; a card
// that asks for 3-D Secure pays with the address, rate and code chosen
// before the bank's page.
func TestCartAcrossRestartAndThreeDSecure(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "stripesim.json")
	withFile := func(c *stripesim.Config) { c.StateFile = file }
	before := newEnv(t, withShop, withFile)
	cs, err := before.api.CheckoutSessions.New(cartParams("order-restart-cart", before.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	before.sim.Close()

	after := newEnv(t, withShop, withFile)
	express := cs.ShippingOptions[1].ShippingRate.ID
	if r, err := after.api.ShippingRates.Get(express, nil); err != nil || r.DisplayName != "Express" || r.FixedAmount.Amount != 1500 {
		t.Errorf("the shipping rate after a restart: %+v, %v", r, err)
	}
	page := strings.Replace(cs.URL, before.srv.URL, after.srv.URL, 1)
	form := shipTo(express, "SAVE10")
	form.Set("cardnumber", "4000 0027 6000 3184")
	if resp, _ := post(t, page, form); resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "/authenticate") {
		t.Fatalf("3-D Secure card: status %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := post(t, page+"/authenticate", url.Values{"action": {"complete"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("authenticated: status %d", resp.StatusCode)
	}
	got := map[string]any{}
	after.rawGet(t, "/v1/checkout/sessions/"+cs.ID, &got)
	checkCartSession(t, got, stripesim.APIVersion, express)
}

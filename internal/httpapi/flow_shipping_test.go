package httpapi_test

import (
	"testing"

	"github.com/stripeshop/stripeshop/internal/shoptest"
	"github.com/stripeshop/stripeshop/internal/stripesim"
)

// A cart paid on the simulator with an address, a shipping rate and a
// promotion code gets the address, the rate and what the simulator charged,
// whether its events are at 2023-10-16 (shipping_details) or at basil
// (collected_information.shipping_details).
func TestFlowCartShipping(t *testing.T) {
	for _, version := range []string{stripesim.APIVersion, stripesim.APIVersionBasil} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			f := newFlowWith(t,
				stripesim.Config{APIVersion: version, TaxRate: 8.25,
					PromotionCodes: []stripesim.PromotionCode{{Code: "SAVE10", PercentOff: 10}}},
				shoptest.Options{ShippingCountries: "US,CA", PromotionCodes: true, AutomaticTax: true})
			mug, tea := f.createProduct(1250, 5), f.createProduct(800, 5)
			var rate struct {
				ID string `json:"id"`
			}
			f.admin().MustDo("POST", "/api/admin/shipping-rates",
				map[string]any{"name": "Standard", "amount": 500, "currency": "usd", "min_days": 3, "max_days": 5}, 201, &rate)
			var s started
			f.client().MustDo("POST", "/api/checkout", map[string]any{"items": []map[string]any{item(mug.ID, 2), item(tea.ID, 1)}}, 201, &s)

			f.simControl("POST", "/_sim/checkout/sessions/"+s.SessionID+"/complete", `{"email": "ada@example.com",
				"shipping": {"name": "Ada Lovelace", "address": {"line1": "1 Main St", "city": "Springfield",
				"state": "IL", "postal_code": "62701", "country": "US"}}, "promotion_code": "SAVE10"}`)
			f.waitStatus(s.OrderID, "paid")

			var charged simSessionAmounts
			f.simSession(s.SessionID, &charged)
			if charged.AmountSubtotal != 3300 || charged.TotalDetails.AmountDiscount != 330 ||
				charged.TotalDetails.AmountShipping != 500 || charged.TotalDetails.AmountTax == 0 {
				t.Fatalf("the simulator charged %+v", charged)
			}
			var o struct {
				cartOrder
				AmountDiscount int64  `json:"amount_discount"`
				AmountShipping int64  `json:"amount_shipping"`
				AmountTax      int64  `json:"amount_tax"`
				PromotionCode  string `json:"promotion_code"`
				Shipping       *struct {
					Name     string            `json:"name"`
					Address  map[string]string `json:"address"`
					RateName string            `json:"rate_name"`
					RateID   string            `json:"rate_id"`
				} `json:"shipping"`
			}
			f.admin().MustDo("GET", "/api/admin/orders/"+s.OrderID, nil, 200, &o)
			got := [5]int64{o.AmountSubtotal, o.AmountDiscount, o.AmountShipping, o.AmountTax, o.AmountTotal}
			want := [5]int64{charged.AmountSubtotal, charged.TotalDetails.AmountDiscount, charged.TotalDetails.AmountShipping,
				charged.TotalDetails.AmountTax, charged.AmountTotal}
			if got != want || o.Flagged {
				t.Fatalf("order amounts %v (flagged %v), the simulator charged %v", got, o.Flagged, want)
			}
			if o.Shipping == nil {
				t.Fatal("the order has no shipping")
			}
			sh := o.Shipping
			if sh.Name != "Ada Lovelace" || sh.Address["line1"] != "1 Main St" || sh.Address["city"] != "Springfield" ||
				sh.Address["state"] != "IL" || sh.Address["postal_code"] != "62701" || sh.Address["country"] != "US" {
				t.Fatalf("shipping address %+v", sh)
			}
			if sh.RateID != rate.ID || sh.RateName != "Standard" {
				t.Fatalf("shipping rate %q %q, want %q Standard", sh.RateID, sh.RateName, rate.ID)
			}
			if o.PromotionCode == "" {
				t.Fatal("the order does not name its promotion code")
			}
		})
	}
}

// simSessionAmounts is what the simulator's API says a session charged.
type simSessionAmounts struct {
	AmountSubtotal int64 `json:"amount_subtotal"`
	AmountTotal    int64 `json:"amount_total"`
	TotalDetails   struct {
		AmountDiscount int64 `json:"amount_discount"`
		AmountShipping int64 `json:"amount_shipping"`
		AmountTax      int64 `json:"amount_tax"`
	} `json:"total_details"`
}

package payments_test

import (
	"os"
	"testing"

	"github.com/stripeshop/stripeshop/internal/payments"
)

// A completed session's totals, address, rate and promotion code are read
// at 2023-10-16 (shipping_details) and at a newer version, where the
// address moved to collected_information.shipping_details.
func TestCompletedSessionShippingAtBothVersions(t *testing.T) {
	for _, c := range []struct {
		file, promo string
	}{
		{"testdata/session_completed_shipping_2023-10-16.json", ""},
		{"testdata/session_completed_shipping_2025-03-31.basil.json", "promo_1QHk0aJ4x9y8w7v6SAVE10ab"},
	} {
		raw, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := payments.ParseEvent(raw)
		if err != nil || ev.Session == nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		s := *ev.Session
		want := payments.ShippingDetails{Name: "Ada Lovelace", Line1: "742 Evergreen Terrace", Line2: "Apt 2", City: "Springfield",
			State: "OR", PostalCode: "97403", Country: "US"}
		if s.Shipping == nil || *s.Shipping != want {
			t.Errorf("%s: shipping %+v, want %+v", c.file, s.Shipping, want)
		}
		if s.AmountSubtotal != 3500 || s.AmountDiscount != 350 || s.AmountShipping != 500 || s.AmountTax != 239 || s.AmountTotal != 3889 {
			t.Errorf("%s: totals %+v", c.file, s)
		}
		if s.ShippingRateID != "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d" || s.ShippingRate != "shr_1QHk1wJ4x9y8w7v6QwErTyUi" {
			t.Errorf("%s: rate %q (Stripe's %q)", c.file, s.ShippingRateID, s.ShippingRate)
		}
		if s.PromotionCode != c.promo {
			t.Errorf("%s: promotion code %q, want %q", c.file, s.PromotionCode, c.promo)
		}
	}
}

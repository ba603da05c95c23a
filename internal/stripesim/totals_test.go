package stripesim

import (
	"fmt"
	"testing"
)

func TestComputeTotals(t *testing.T) {
	t.Parallel()
	items := []lineItem{
		{UnitAmount: 1000, Quantity: 1, TaxBehavior: "inclusive"},
		{UnitAmount: 333, Quantity: 3, TaxBehavior: "exclusive"},
		{UnitAmount: 1, Quantity: 1, TaxBehavior: "unspecified"},
	}
	rate := &shippingRate{Amount: 550, TaxBehavior: "inclusive"}
	for _, c := range []struct {
		name  string
		promo *PromotionCode
		taxed bool
		want  totals
	}{
		{"no tax, no code", nil, false, totals{
			Lines:    []lineTotals{{1000, 0, 0, 1000}, {999, 0, 0, 999}, {1, 0, 0, 1}},
			Subtotal: 2000, Shipping: 550, ShippingTotal: 550, Total: 2550}},
		// 10 % inclusive: 1000 × 10/110 = 90.9 → 91 inside the price; 999
		// × 10 % = 99.9 → 100 on top; 1 × 10 % = 0.1 → 0; shipping 550 ×
		// 10/110 = 50 inside.
		{"tax", nil, true, totals{
			Lines:    []lineTotals{{1000, 0, 91, 1000}, {999, 0, 100, 1099}, {1, 0, 0, 1}},
			Subtotal: 2000, Shipping: 550, ShippingTax: 50, ShippingTotal: 550, Tax: 241, TaxableAmounts: 2550, Total: 2650}},
		// 25 % off, half up per line: 250, 249.75 → 250, 0.25 → 0.
		{"percent off", &PromotionCode{PercentOff: 25}, false, totals{
			Lines:    []lineTotals{{1000, 250, 0, 750}, {999, 250, 0, 749}, {1, 0, 0, 1}},
			Subtotal: 2000, Discount: 500, Shipping: 550, ShippingTotal: 550, Total: 2050}},
		// 7 off shared 1000:999:1 → 3, 3, 0 rounded down, 1 left for the
		// first line.
		{"amount off", &PromotionCode{AmountOff: 7}, false, totals{
			Lines:    []lineTotals{{1000, 4, 0, 996}, {999, 3, 0, 996}, {1, 0, 0, 1}},
			Subtotal: 2000, Discount: 7, Shipping: 550, ShippingTotal: 550, Total: 2543}},
		// More off than the items cost: the items are free, not shipping.
		{"amount off above the subtotal", &PromotionCode{AmountOff: 5000}, true, totals{
			Lines:    []lineTotals{{1000, 1000, 0, 0}, {999, 999, 0, 0}, {1, 1, 0, 0}},
			Subtotal: 2000, Discount: 2000, Shipping: 550, ShippingTax: 50, ShippingTotal: 550, Tax: 50, TaxableAmounts: 550, Total: 550}},
	} {
		got := computeTotals(items, rate, c.promo, c.taxed, 10*percentScale)
		if g, w := fmtTotals(got), fmtTotals(c.want); g != w {
			t.Errorf("%s:\n got %s\nwant %s", c.name, g, w)
		}
	}
	if got := computeTotals(items[1:2], nil, nil, true, 82500); got.Tax != 82 || got.Total != 1081 {
		t.Errorf("8.25%% of 999: tax %d total %d, want 82 (82.4175) and 1081", got.Tax, got.Total)
	}
}

func fmtTotals(t totals) string {
	return fmt.Sprintf("%+v", t)
}

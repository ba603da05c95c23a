package shop_test

import (
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/shop"
)

func paidCart() shop.Order {
	return shop.Order{Status: shop.StatusPaid, AmountSubtotal: 3000, AmountTotal: 3300, Lines: []shop.Line{
		{ProductID: "a", UnitAmount: 1000, Quantity: 2, Reserved: 2},
		{ProductID: "b", UnitAmount: 250, Quantity: 4, Reserved: 0},
	}}
}

func TestRefundAmount(t *testing.T) {
	o := paidCart()
	cases := []struct {
		name string
		req  shop.RefundRequest
		want int64
		code string
	}{
		{"all that is left", shop.RefundRequest{Restock: true}, 0, ""},
		{"lines at their price", shop.RefundRequest{Lines: []shop.Item{{ProductID: "a", Quantity: 1}, {ProductID: "b", Quantity: 2}}}, 1500, ""},
		{"an amount", shop.RefundRequest{Amount: 3300}, 3300, ""},
		{"more than was paid", shop.RefundRequest{Amount: 3301}, 0, shop.ErrInvalid},
		{"lines and an amount", shop.RefundRequest{Amount: 1, Lines: []shop.Item{{ProductID: "a", Quantity: 1}}}, 0, shop.ErrInvalid},
		{"a line not in the order", shop.RefundRequest{Lines: []shop.Item{{ProductID: "c", Quantity: 1}}}, 0, shop.ErrInvalid},
		{"more units than the line", shop.RefundRequest{Lines: []shop.Item{{ProductID: "a", Quantity: 3}}}, 0, shop.ErrInvalid},
	}
	for _, c := range cases {
		got, err := o.RefundAmount(c.req)
		if shop.ErrorCode(err) != c.code && !(c.code == "" && err == nil) || err == nil && got != c.want {
			t.Errorf("%s: %d, %v; want %d %s", c.name, got, err, c.want, c.code)
		}
	}
	o.Status = shop.StatusPending
	if _, err := o.RefundAmount(shop.RefundRequest{}); shop.ErrorCode(err) != shop.ErrConflict {
		t.Errorf("a pending order: %v, want conflict", err)
	}
}

func TestRefunded(t *testing.T) {
	at := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	o := paidCart()
	req := shop.RefundRequest{Lines: []shop.Item{{ProductID: "a", Quantity: 1}}, Restock: true}
	m, ok := o.Refunded(req, 1000, at)
	if !ok || m.Order.Status != shop.StatusPaid || m.Order.AmountRefunded != 1000 || m.Order.Lines[0].RefundedQuantity != 1 ||
		m.Order.Lines[0].Reserved != 1 || len(m.Released) != 1 || m.Released[0] != (shop.Release{ProductID: "a", Units: 1}) {
		t.Fatalf("a partial refund: %+v", m)
	}
	if o.Lines[0].Reserved != 2 {
		t.Fatal("the move changed the order it was made from")
	}
	// Stripe's charge.refunded recorded it first: not counted twice.
	o.AmountRefunded = 1000
	if m, _ := o.Refunded(req, 1000, at); m.Order.AmountRefunded != 1000 {
		t.Fatalf("counted twice: %d", m.Order.AmountRefunded)
	}
	// What is left, in full: refunded, every line, every unit back.
	m, ok = m.Order.Refunded(shop.RefundRequest{Restock: true}, 3300, at)
	if !ok || m.From != shop.StatusPaid || m.Order.Status != shop.StatusRefunded || m.Order.AmountRefunded != 3300 ||
		m.Order.RefundedAt == nil || m.Order.Lines[1].RefundedQuantity != 4 || m.Order.Reserved() != 0 {
		t.Fatalf("the full refund: %+v", m)
	}
	if r, ok := (shop.Order{Status: shop.StatusPaid, AmountTotal: 3300, AmountRefunded: 500}).RefundReported(400); ok {
		t.Fatalf("a smaller reported amount moved the order: %+v", r)
	}
}

func TestShippingOptions(t *testing.T) {
	rates := []shop.ShippingRate{{ID: "pickup", Amount: 0, Active: true}, {ID: "std", Amount: 500, Active: true},
		{ID: "old", Amount: 300}, {ID: "x1", Amount: 900, Active: true}, {ID: "x2", Amount: 901, Active: true},
		{ID: "x3", Amount: 902, Active: true}, {ID: "x4", Amount: 903, Active: true}}
	ids := func(rs []shop.ShippingRate) (out []string) {
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	if got := ids(shop.ShippingOptions(rates, 4999, 5000)); len(got) != 5 || got[0] != "pickup" || got[1] != "std" {
		t.Errorf("under the threshold: %v", got)
	}
	if got := ids(shop.ShippingOptions(rates, 5000, 5000)); len(got) != 5 || got[0] != "free" || got[1] != "std" {
		t.Errorf("at the threshold: %v", got)
	}
	if got := ids(shop.ShippingOptions(nil, 100, 0)); got != nil {
		t.Errorf("no rates: %v", got)
	}
}

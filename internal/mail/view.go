// Package mail renders the e-mails an order causes (html/template and
// plain text, embedded) and sends them over SMTP with go-mail. It knows no
// database and no workflow: it is given an order's view and a kind.
package mail

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/stripeshop/stripeshop/internal/shop"
)

// View is everything a template shows of an order. Amounts are formatted.
type View struct {
	ShopName string
	ShopURL  string
	Number   string // "#1001"
	OrderURL string
	Customer string
	Lines    []Line
	Subtotal string
	Discount string // "" when none
	Shipping string // "" when none
	Tax      string // "" when none
	Total    string
	// ShipTo is the address, one line each, and ShippingRate the rate
	// chosen; empty when the order ships nowhere.
	ShipTo       []string
	ShippingRate string
	Refunded     string
	Status       string
	// Staff-only facts.
	FlagReason    string
	DisputeReason string
	DisputeAmount string
	AdminURL      string
}

// Line is one line of an order.
type Line struct {
	Name       string
	Quantity   int64
	UnitAmount string
	Amount     string
}

// Shop is who sends: the name in every e-mail and the address links lead to.
type Shop struct {
	Name string
	URL  string
}

// NewView is the one place an order becomes what the e-mails show: its
// lines, Stripe's totals (discount, shipping, tax), where it ships and
// what was refunded.
func NewView(s Shop, o shop.Order, d shop.Dispute) View {
	m := func(n int64) string { return Money(n, o.Currency) }
	opt := func(n int64) string {
		if n == 0 {
			return ""
		}
		return m(n)
	}
	v := View{
		ShopName: s.Name, ShopURL: s.URL,
		Number:     "#" + strconv.FormatInt(o.Number, 10),
		Customer:   o.CustomerEmail,
		Subtotal:   m(o.AmountSubtotal),
		Discount:   opt(o.AmountDiscount),
		Shipping:   opt(o.AmountShipping),
		Tax:        opt(o.AmountTax),
		Total:      m(o.AmountTotal),
		Status:     string(o.Status),
		FlagReason: o.FlagReason,
		AdminURL:   fmt.Sprintf("%s/admin/orders/%s", s.URL, o.ID),
	}
	for _, l := range o.Lines {
		v.Lines = append(v.Lines, Line{Name: l.ProductName, Quantity: l.Quantity, UnitAmount: m(l.UnitAmount), Amount: m(l.UnitAmount * l.Quantity)})
	}
	if len(v.Lines) == 0 { // an order written without lines (by hand, or a bench's)
		v.Lines = []Line{{Name: o.ProductName, Quantity: o.Quantity, UnitAmount: m(o.UnitAmount), Amount: m(o.UnitAmount * o.Quantity)}}
		if o.AmountSubtotal == 0 {
			v.Subtotal = m(o.UnitAmount * o.Quantity)
		}
	}
	if sh := o.Shipping; sh != nil {
		a := sh.Address
		for _, l := range []string{sh.Name, a.Line1, a.Line2, strings.TrimSpace(strings.Join([]string{a.PostalCode, a.City, a.State}, " ")), a.Country} {
			if l = strings.TrimSpace(l); l != "" {
				v.ShipTo = append(v.ShipTo, l)
			}
		}
		v.ShippingRate = sh.RateName
	}
	if o.SessionID != "" {
		v.OrderURL = s.URL + "/checkout/success?session_id=" + o.SessionID
	}
	if o.AmountRefunded > 0 {
		v.Refunded = m(o.AmountRefunded)
	} else if o.Status == shop.StatusRefunded {
		v.Refunded = m(o.AmountTotal)
	}
	if d.Reason != "" || d.Amount != 0 {
		v.DisputeReason, v.DisputeAmount = d.Reason, m(d.Amount)
	}
	return v
}

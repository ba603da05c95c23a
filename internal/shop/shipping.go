package shop

import (
	"strings"
	"time"
	"unicode/utf8"
)

// ShippingRate is a way to ship an order, offered on Stripe's page to
// orders in its currency while active. A rate is archived (Active false),
// never deleted, so the orders that chose it keep naming it.
type ShippingRate struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	// MinDays and MaxDays estimate the delivery in business days; nil
	// for no bound.
	MinDays   *int64    `json:"min_days"`
	MaxDays   *int64    `json:"max_days"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// FreeShipping is the rate offered, first, to an order whose subtotal
// reaches FREE_SHIPPING_OVER; its id is the one Stripe's answer is mapped
// back to.
var FreeShipping = ShippingRate{ID: "free", Name: "Free shipping", Active: true}

// MaxShippingOptions is the most shipping options Stripe takes on a session.
const MaxShippingOptions = 5

// ShippingOptions are the rates offered to an order of subtotal: the
// active rates of its currency (cheapest first, as the store lists them),
// after a free one when the subtotal reaches freeOver (minor units; 0 is
// never), at most MaxShippingOptions.
func ShippingOptions(rates []ShippingRate, subtotal, freeOver int64) []ShippingRate {
	var out []ShippingRate
	free := freeOver > 0 && subtotal >= freeOver
	if free {
		out = append(out, FreeShipping)
	}
	for _, r := range rates {
		if r.Active && !(free && r.Amount == 0) { // one free option is enough
			out = append(out, r)
		}
	}
	if len(out) > MaxShippingOptions {
		out = out[:MaxShippingOptions]
	}
	return out
}

// Validate checks a shipping rate's fields and names each one at fault.
func (r ShippingRate) Validate() error {
	f := map[string]string{}
	switch n := strings.TrimSpace(r.Name); {
	case n == "":
		f["name"] = "is required"
	case utf8.RuneCountInString(r.Name) > 100:
		f["name"] = "must be at most 100 characters"
	case strings.ContainsRune(r.Name, 0):
		f["name"] = "must not contain NUL characters"
	}
	if r.Amount < 0 || r.Amount > MaxUnitAmount {
		f["amount"] = "must be between 0 and 99999999"
	}
	if _, ok := minimumCharge[r.Currency]; !ok {
		f["currency"] = "must be one of " + strings.Join(Currencies(), ", ")
	}
	for k, v := range map[string]*int64{"min_days": r.MinDays, "max_days": r.MaxDays} {
		if v != nil && (*v < 1 || *v > 365) {
			f[k] = "must be between 1 and 365, or null"
		}
	}
	if r.MinDays != nil && r.MaxDays != nil && *r.MinDays > *r.MaxDays && f["max_days"] == "" {
		f["max_days"] = "must not be below min_days"
	}
	if len(f) > 0 {
		return Invalid(f)
	}
	return nil
}

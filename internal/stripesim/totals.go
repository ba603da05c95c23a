package stripesim

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// Promotion codes, tax and the totals of a session, computed the same way
// for the hosted page, the API objects and the payment.
//
// Rules (documented in docs/api.md):
//
//   - a line's subtotal is unit_amount × quantity;
//   - a promotion code's discount applies to the items, not to shipping: a
//     percentage is taken of each line and rounded half up; an amount
//     (at most the items' subtotal) is shared among the lines in
//     proportion to their subtotals, rounded down, the cents left over
//     going one each to the first lines;
//   - with automatic tax, each line's tax is taken of its discounted
//     amount at the session's rate and rounded half up: added on top for
//     tax_behavior exclusive (or unspecified), contained in the price for
//     inclusive (amount × rate / (100 + rate)); shipping is taxed the same
//     way by its rate's tax_behavior;
//   - amount_total = amount_subtotal − amount_discount + amount_shipping +
//     the exclusive part of amount_tax.

// percentScale is the unit percentages are kept in: 1 = 0.0001 %.
const percentScale = 10_000

// hundredPercent is 100 % in percentScale units.
const hundredPercent = 100 * percentScale

// PromotionCode is a code a customer may type on the hosted page, as if
// made in Stripe's dashboard: a percentage off or an amount off (in the
// minor unit of whatever currency the session is in). It applies to the
// items of a session, not to its shipping.
type PromotionCode struct {
	Code string
	// PercentOff is a percentage (up to four decimals); zero when
	// AmountOff is set.
	PercentOff float64
	AmountOff  int64
}

// percentUnits is PercentOff in percentScale units.
func (p PromotionCode) percentUnits() int64 { return int64(math.Round(p.PercentOff * percentScale)) }

// ID is the promotion code's id, the same across restarts.
func (p PromotionCode) ID() string { return "promo_sim" + strings.ToUpper(p.Code) }

// CouponID is the id of the coupon behind the code.
func (p PromotionCode) CouponID() string { return "sim" + strings.ToUpper(p.Code) }

// describe says what the code takes off: "10% off" or "$5.00 off".
func (p PromotionCode) describe(currency string) string {
	if p.AmountOff > 0 {
		return formatAmount(p.AmountOff, currency) + " off"
	}
	return formatPercent(p.percentUnits()) + " off"
}

// ParsePromotionCodes reads STRIPESIM_PROMOTION_CODES: a comma-separated
// list of CODE=N% (percent off, up to four decimals, at most 100) or
// CODE=N (an amount off in minor units). Codes are letters, digits, '-'
// and '_', matched without regard to case, as Stripe matches them.
func ParsePromotionCodes(list string) ([]PromotionCode, error) {
	var out []PromotionCode
	seen := map[string]bool{}
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		code, value, ok := strings.Cut(item, "=")
		code, value = strings.TrimSpace(code), strings.TrimSpace(value)
		if !ok || code == "" || value == "" {
			return nil, fmt.Errorf("%q: want CODE=10%% or CODE=500 (minor units)", item)
		}
		if len(code) > 50 || strings.TrimFunc(code, func(r rune) bool {
			return r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		}) != "" {
			return nil, fmt.Errorf("%q: a code is 1 to 50 letters, digits, - or _", code)
		}
		if seen[strings.ToUpper(code)] {
			return nil, fmt.Errorf("%q is given twice", code)
		}
		seen[strings.ToUpper(code)] = true
		pc := PromotionCode{Code: code}
		if pct, isPct := strings.CutSuffix(value, "%"); isPct {
			n, err := parsePercent(pct)
			if err != nil || n <= 0 || n > hundredPercent {
				return nil, fmt.Errorf("%q: a percentage above 0 and at most 100", item)
			}
			pc.PercentOff = percentFloat(n)
		} else {
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n <= 0 || n > maximumAmount {
				return nil, fmt.Errorf("%q: an amount off is a whole number of minor units from 1 to %d (or write N%% for a percentage)", item, maximumAmount)
			}
			pc.AmountOff = n
		}
		out = append(out, pc)
	}
	return out, nil
}

// ParseTaxRate reads STRIPESIM_TAX_RATE: a percentage from 0 to 100 with
// up to four decimals ("8.25"). Empty is 0.
func ParseTaxRate(s string) (float64, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	if s == "" {
		return 0, nil
	}
	n, err := parsePercent(s)
	if err != nil || n < 0 || n > hundredPercent {
		return 0, fmt.Errorf("%q: want a percentage from 0 to 100 such as 8.25", s)
	}
	return percentFloat(n), nil
}

// parsePercent reads a decimal with up to four decimals into percentScale
// units, exactly (no floating point).
func parsePercent(s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 4 || strings.HasPrefix(whole, "+") || strings.HasPrefix(whole, "-") {
		return 0, fmt.Errorf("invalid percentage %q", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 1000 {
		return 0, fmt.Errorf("invalid percentage %q", s)
	}
	f := int64(0)
	if frac != "" {
		if f, err = strconv.ParseInt(frac+strings.Repeat("0", 4-len(frac)), 10, 64); err != nil || f < 0 || strings.ContainsAny(frac, "+-") {
			return 0, fmt.Errorf("invalid percentage %q", s)
		}
	}
	return w*percentScale + f, nil
}

// formatPercent writes percentScale units as "8.25%".
func formatPercent(n int64) string {
	s := strconv.FormatInt(n/percentScale, 10)
	if frac := n % percentScale; frac != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%04d", frac), "0")
	}
	return s + "%"
}

// percentFloat is n percentScale units as the float Stripe's objects carry.
func percentFloat(n int64) float64 { return float64(n) / percentScale }

// roundDiv is n/d rounded half up, for n ≥ 0 and d > 0.
func roundDiv(n, d int64) int64 { return (2*n + d) / (2 * d) }

// lineTotals are the amounts of one line item.
type lineTotals struct {
	Subtotal, Discount, Tax, Total int64
}

// totals are a session's amounts for a choice of shipping rate and
// promotion code.
type totals struct {
	Lines          []lineTotals
	Subtotal       int64
	Discount       int64
	Shipping       int64 // the rate's amount (shipping_cost.amount_subtotal)
	ShippingTax    int64
	ShippingTotal  int64
	Tax            int64 // of the items and of shipping, exclusive and inclusive
	TaxableAmounts int64 // what the tax was taken of
	Total          int64
}

// computeTotals works out the amounts; rate is nil without shipping, promo
// nil without a discount, and taxRate is in percentScale units (taxed
// reports whether tax is charged at all).
func computeTotals(items []lineItem, rate *shippingRate, promo *PromotionCode, taxed bool, taxRate int64) totals {
	var t totals
	t.Lines = make([]lineTotals, len(items))
	for i, li := range items {
		t.Lines[i].Subtotal = li.UnitAmount * li.Quantity
		t.Subtotal += t.Lines[i].Subtotal
	}
	if promo != nil && t.Subtotal > 0 {
		if pct := promo.percentUnits(); pct > 0 {
			for i := range t.Lines {
				t.Lines[i].Discount = roundDiv(t.Lines[i].Subtotal*pct, hundredPercent)
			}
		} else {
			off := min(promo.AmountOff, t.Subtotal)
			given := int64(0)
			for i := range t.Lines {
				t.Lines[i].Discount = off * t.Lines[i].Subtotal / t.Subtotal
				given += t.Lines[i].Discount
			}
			for i := 0; given < off; i = (i + 1) % len(t.Lines) {
				if t.Lines[i].Discount < t.Lines[i].Subtotal {
					t.Lines[i].Discount++
					given++
				}
			}
		}
	}
	taxOf := func(amount int64, behavior string) (tax int64, exclusive bool) {
		if !taxed || amount <= 0 {
			return 0, false
		}
		if behavior == "inclusive" {
			return roundDiv(amount*taxRate, hundredPercent+taxRate), false
		}
		return roundDiv(amount*taxRate, hundredPercent), true
	}
	for i, li := range items {
		l := &t.Lines[i]
		taxable := l.Subtotal - l.Discount
		var excl bool
		l.Tax, excl = taxOf(taxable, li.TaxBehavior)
		l.Total = taxable
		if excl {
			l.Total += l.Tax
		}
		if taxed {
			t.TaxableAmounts += taxable
		}
		t.Discount += l.Discount
		t.Tax += l.Tax
		t.Total += l.Total
	}
	if rate != nil {
		t.Shipping = rate.Amount
		var excl bool
		t.ShippingTax, excl = taxOf(rate.Amount, rate.TaxBehavior)
		t.ShippingTotal = rate.Amount
		if excl {
			t.ShippingTotal += t.ShippingTax
		}
		if taxed {
			t.TaxableAmounts += rate.Amount
		}
		t.Tax += t.ShippingTax
		t.Total += t.ShippingTotal
	}
	return t
}

// shippingRate is the rate the customer chose (the first offered until
// they choose), nil without shipping options.
func (cs *session) shippingRate() *shippingRate {
	for i := range cs.ShippingOptions {
		if cs.ShippingOptions[i].ID == cs.ShippingRateID {
			return &cs.ShippingOptions[i]
		}
	}
	return nil
}

// totals are the session's amounts as they stand: with the chosen rate
// and the applied code, and tax once the customer's address is known.
func (cs *session) totals() totals {
	return computeTotals(cs.LineItems, cs.shippingRate(), cs.Promotion, cs.AutomaticTax && cs.Located, cs.TaxRate)
}

// refreshTotals sets AmountSubtotal and AmountTotal from totals.
func (cs *session) refreshTotals() {
	t := cs.totals()
	cs.AmountSubtotal, cs.AmountTotal = t.Subtotal, t.Total
}

// findPromotion looks a code up as a customer typed it.
func (s *Server) findPromotion(code string) *PromotionCode {
	code = strings.TrimSpace(code)
	for _, pc := range s.cfg.PromotionCodes {
		if strings.EqualFold(pc.Code, code) {
			return &pc
		}
	}
	return nil
}

// parseDiscounts reads a session's discounts parameter: one coupon or
// promotion code applied up front, by the ids of the configured codes
// (PromotionCode.ID and CouponID); Stripe allows no more than one.
func (s *Server) parseDiscounts(list []any, allowPromo bool) (*PromotionCode, error) {
	if len(list) == 0 {
		return nil, nil
	}
	if allowPromo {
		return nil, invalidRequest("discounts", "", "You may only specify one of these parameters: allow_promotion_codes, discounts.")
	}
	if len(list) > 1 {
		return nil, invalidRequest("discounts", "", "You can only apply one discount to a Checkout Session.")
	}
	d, _ := list[0].(map[string]any)
	coupon, promo := getString(d, "coupon"), getString(d, "promotion_code")
	switch {
	case coupon != "" && promo != "":
		return nil, invalidRequest("discounts[0][promotion_code]", "", "You may only specify one of these parameters: coupon, promotion_code.")
	case coupon == "" && promo == "":
		return nil, invalidRequest("discounts[0]", "parameter_missing", "You must specify either `coupon` or `promotion_code` in `discounts[0]`.")
	}
	for _, pc := range s.cfg.PromotionCodes {
		if coupon != "" && pc.CouponID() == coupon || promo != "" && pc.ID() == promo {
			return &pc, nil
		}
	}
	if coupon != "" {
		return nil, noSuch(http.StatusBadRequest, "coupon", "discounts[0][coupon]", coupon)
	}
	return nil, noSuch(http.StatusBadRequest, "promotion code", "discounts[0][promotion_code]", promo)
}

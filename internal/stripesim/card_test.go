package stripesim

import (
	"testing"
	"time"
)

func TestCheckCard(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 14, 12, 0, 0, 0, time.UTC)
	good := cardInput{Number: "4242 4242 4242 4242", Expiry: "12 / 34", CVC: "123", Name: "Dee Buyer", Country: "US", Postal: "94107"}
	for _, c := range []struct {
		name  string
		edit  func(*cardInput)
		field string
		want  string
	}{
		{"good", func(*cardInput) {}, "", ""},
		{"amex with a four-digit cvc", func(c *cardInput) { c.Number, c.CVC = "3782 822463 10005", "1234" }, "", ""},
		{"empty number", func(c *cardInput) { c.Number = "" }, "cardnumber", "Your card number is incomplete."},
		{"short number", func(c *cardInput) { c.Number = "4242 4242" }, "cardnumber", "Your card number is incomplete."},
		{"Luhn fails", func(c *cardInput) { c.Number = "4242 4242 4242 4241" }, "cardnumber", "Your card number is invalid."},
		{"letters", func(c *cardInput) { c.Number = "4242 abcd 4242 4242" }, "cardnumber", "Your card number is invalid."},
		{"too long", func(c *cardInput) { c.Number = "4242 4242 4242 4242 0" }, "cardnumber", "Your card number is invalid."},
		{"expiry year past", func(c *cardInput) { c.Expiry = "12/25" }, "exp", "Your card's expiration year is in the past."},
		{"expiry month past", func(c *cardInput) { c.Expiry = "04/26" }, "exp", "Your card's expiration date is in the past."},
		{"expiry this month is fine", func(c *cardInput) { c.Expiry = "05/26" }, "", ""},
		{"expiry with a four-digit year", func(c *cardInput) { c.Expiry = "05/2031" }, "", ""},
		{"expiry incomplete", func(c *cardInput) { c.Expiry = "1" }, "exp", "Your card's expiration date is incomplete."},
		{"expiry month 13", func(c *cardInput) { c.Expiry = "13/30" }, "exp", "Your card's expiration date is invalid."},
		{"cvc short", func(c *cardInput) { c.CVC = "12" }, "cvc", "Your card's security code is incomplete."},
		{"amex cvc short", func(c *cardInput) { c.Number, c.CVC = "378282246310005", "123" }, "cvc", "Your card's security code is incomplete."},
		{"no name", func(c *cardInput) { c.Name = " " }, "name", "Enter the name on the card."},
		{"no ZIP", func(c *cardInput) { c.Postal = "" }, "postal", "Your ZIP is incomplete."},
		{"bad ZIP", func(c *cardInput) { c.Postal = "941" }, "postal", "Your ZIP is invalid."},
		{"no postal code needed", func(c *cardInput) { c.Country, c.Postal = "DE", "" }, "", ""},
		{"unknown country", func(c *cardInput) { c.Country = "XX" }, "country", "Choose your country or region."},
	} {
		in := good
		c.edit(&in)
		_, errs := checkCard(in, now)
		if c.field == "" {
			if len(errs) != 0 {
				t.Errorf("%s: errors %v", c.name, errs)
			}
			continue
		}
		if len(errs) != 1 || errs[c.field] != c.want {
			t.Errorf("%s: errors %v; want %s: %q", c.name, errs, c.field, c.want)
		}
	}
}

func TestTestCards(t *testing.T) {
	t.Parallel()
	for number, o := range testCards {
		if !luhn(number) || len(number) != cardNumberLength(brandOf(number)) || brandOf(number) != o.Brand {
			t.Errorf("%s: not a well-formed %s number", number, o.Brand)
		}
	}
	if o := outcomeOf("4111111111111111"); o.Decline != "live_mode_test_card" {
		t.Errorf("a number that is no test card: %+v", o)
	}
}

func TestCheckBank(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in       bankInput
		settles  bool
		badField string
	}{
		{bankInput{"Dee Buyer", "110000000", "000123456789"}, true, ""},
		{bankInput{"Dee Buyer", "110000000", "000111111113"}, false, ""},
		{bankInput{"Dee Buyer", "110000000", "000999999999"}, false, "account"},
		{bankInput{"Dee Buyer", "12345", "000123456789"}, true, "routing"},
		{bankInput{"", "110000000", "000123456789"}, true, "bank_name"},
	} {
		settles, errs := checkBank(c.in)
		if settles != c.settles || (c.badField == "" && len(errs) != 0) || (c.badField != "" && (len(errs) != 1 || errs[c.badField] == "")) {
			t.Errorf("%+v: settles %v, errors %v", c.in, settles, errs)
		}
	}
}

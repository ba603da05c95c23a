package stripesim

import (
	"strconv"
	"strings"
	"time"
)

// What the hosted page does with the payment details a customer types:
// Stripe's documented test card and bank account numbers decide the
// outcome, and the checks Stripe's card form makes in the browser are made
// here on submit, with Stripe's wording.

// cardOutcome is what paying with a card number leads to.
type cardOutcome struct {
	Brand string
	// Decline is the decline code; empty when the card pays.
	Decline string
	Message string
	// ThreeDS means the bank asks the customer to authenticate first.
	ThreeDS bool
}

// Stripe's messages for the decline codes the test cards produce.
const (
	msgGenericDecline    = "Your card was declined."
	msgInsufficientFunds = "Your card has insufficient funds."
	msgExpiredCard       = "Your card has expired."
	msgIncorrectCVC      = "Your card's security code is incorrect."
	msgLiveCard          = "Your card was declined. Your request was in test mode, but used a non test (live) card. For a list of valid test cards, visit: https://stripe.com/docs/testing."
	msgAuthFailed        = "We are unable to authenticate your payment method. Please choose a different payment method and try again."
)

// testCards are Stripe's documented test numbers the simulator knows.
var testCards = map[string]cardOutcome{
	"4242424242424242": {Brand: "visa"},
	"4000056655665556": {Brand: "visa"},
	"5555555555554444": {Brand: "mastercard"},
	"2223003122003222": {Brand: "mastercard"},
	"5200828282828210": {Brand: "mastercard"},
	"378282246310005":  {Brand: "amex"},
	"371449635398431":  {Brand: "amex"},
	"6011111111111117": {Brand: "discover"},
	"4000000000000002": {Brand: "visa", Decline: "generic_decline", Message: msgGenericDecline},
	"4000000000009995": {Brand: "visa", Decline: "insufficient_funds", Message: msgInsufficientFunds},
	"4000000000000069": {Brand: "visa", Decline: "expired_card", Message: msgExpiredCard},
	"4000000000000127": {Brand: "visa", Decline: "incorrect_cvc", Message: msgIncorrectCVC},
	"4000002760003184": {Brand: "visa", ThreeDS: true},
	"4000002500003155": {Brand: "visa", ThreeDS: true},
}

// outcomeOf tells what paying with a well-formed card number does; a
// number Stripe does not list as a test card is a live card, which test
// mode declines.
func outcomeOf(number string) cardOutcome {
	if o, ok := testCards[number]; ok {
		return o
	}
	return cardOutcome{Brand: brandOf(number), Decline: "live_mode_test_card", Message: msgLiveCard}
}

func brandOf(number string) string {
	switch {
	case strings.HasPrefix(number, "4"):
		return "visa"
	case strings.HasPrefix(number, "34"), strings.HasPrefix(number, "37"):
		return "amex"
	case number != "" && (number[0] == '5' || number[0] == '2'):
		return "mastercard"
	case strings.HasPrefix(number, "6"):
		return "discover"
	}
	return "unknown"
}

// cardNumberLength is how many digits a number of this brand has.
func cardNumberLength(brand string) int {
	if brand == "amex" {
		return 15
	}
	return 16
}

// digitsOf drops the spaces and dashes people type between groups; ok is
// false when anything else is left that is not a digit.
func digitsOf(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '\u00a0':
		default:
			return "", false
		}
	}
	return b.String(), true
}

// luhn reports whether number passes the Luhn checksum every card number
// carries.
func luhn(number string) bool {
	sum := 0
	double := false
	for i := len(number) - 1; i >= 0; i-- {
		d := int(number[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return len(number) > 0 && sum%10 == 0
}

// cardInput is what the card form holds.
type cardInput struct {
	Number, Expiry, CVC, Name, Country, Postal string
}

// fieldErrors maps a form field to what is wrong with it.
type fieldErrors map[string]string

// checkCard validates a card form as Stripe's card fields do and returns
// the bare digits of the number.
func checkCard(in cardInput, now time.Time) (string, fieldErrors) {
	errs := fieldErrors{}
	number, ok := digitsOf(in.Number)
	brand := brandOf(number)
	switch {
	case !ok:
		errs["cardnumber"] = "Your card number is invalid."
	case len(number) < cardNumberLength(brand):
		errs["cardnumber"] = "Your card number is incomplete."
	case len(number) > cardNumberLength(brand) || !luhn(number):
		errs["cardnumber"] = "Your card number is invalid."
	}
	if msg := checkExpiry(in.Expiry, now); msg != "" {
		errs["exp"] = msg
	}
	cvcLen := 3
	if brand == "amex" {
		cvcLen = 4
	}
	if cvc, ok := digitsOf(in.CVC); !ok || len(cvc) < cvcLen || len(cvc) > 4 || strings.ContainsAny(in.CVC, " -") {
		errs["cvc"] = "Your card's security code is incomplete."
		if ok && len(cvc) > 4 {
			errs["cvc"] = "Your card's security code is invalid."
		}
	}
	if strings.TrimSpace(in.Name) == "" {
		errs["name"] = "Enter the name on the card."
	}
	if _, ok := countryNames[in.Country]; !ok {
		errs["country"] = "Choose your country or region."
	} else if msg := checkPostal(in.Country, in.Postal); msg != "" {
		errs["postal"] = msg
	}
	return number, errs
}

// checkExpiry accepts MM/YY, MM / YY, MMYY and MM/YYYY; a card is good
// through the last day of its month.
func checkExpiry(s string, now time.Time) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), "/", "")
	if _, ok := digitsOf(s); !ok {
		return "Your card's expiration date is invalid."
	}
	if len(s) != 4 && len(s) != 6 {
		return "Your card's expiration date is incomplete."
	}
	month, _ := strconv.Atoi(s[:2])
	year, _ := strconv.Atoi(s[2:])
	if len(s) == 4 {
		year += 2000
	}
	if month < 1 || month > 12 {
		return "Your card's expiration date is invalid."
	}
	y, m, _ := now.Date()
	switch {
	case year < y:
		return "Your card's expiration year is in the past."
	case year == y && time.Month(month) < m:
		return "Your card's expiration date is in the past."
	case year > y+50:
		return "Your card's expiration year is invalid."
	}
	return ""
}

func checkPostal(country, postal string) string {
	postal = strings.TrimSpace(postal)
	switch country {
	case "US":
		digits, ok := digitsOf(postal)
		switch {
		case postal == "":
			return "Your ZIP is incomplete."
		case !ok || (len(digits) != 5 && len(digits) != 9):
			return "Your ZIP is invalid."
		}
	case "GB", "CA":
		if postal == "" {
			return "Your postal code is incomplete."
		}
	}
	return ""
}

// Stripe's test bank account (US, ACH Direct Debit): routing number
// 110000000 with one account number that settles and one that fails.
const (
	testRoutingNumber  = "110000000"
	bankAccountSettles = "000123456789"
	bankAccountFails   = "000111111113"
)

type bankInput struct {
	Name, Routing, Account string
}

// checkBank validates the bank debit form and tells whether the debit
// will succeed.
func checkBank(in bankInput) (bool, fieldErrors) {
	errs := fieldErrors{}
	if strings.TrimSpace(in.Name) == "" {
		errs["bank_name"] = "Enter the account holder's name."
	}
	routing, ok := digitsOf(in.Routing)
	switch {
	case routing == "" && ok:
		errs["routing"] = "Your routing number is incomplete."
	case !ok || len(routing) != 9:
		errs["routing"] = "Your routing number is invalid."
	case routing != testRoutingNumber:
		errs["routing"] = "Use the test routing number " + testRoutingNumber + "."
	}
	account, ok := digitsOf(in.Account)
	switch {
	case account == "" && ok:
		errs["account"] = "Your account number is incomplete."
	case account != bankAccountSettles && account != bankAccountFails:
		errs["account"] = "Use a test account number: " + bankAccountSettles + " (succeeds) or " + bankAccountFails + " (fails)."
	}
	return account == bankAccountSettles, errs
}

// countryNames are the countries the billing address offers, by ISO code.
var countryNames = map[string]string{
	"AT": "Austria", "AU": "Australia", "BE": "Belgium", "BR": "Brazil", "CA": "Canada",
	"CH": "Switzerland", "CZ": "Czechia", "DE": "Germany", "DK": "Denmark", "ES": "Spain",
	"FI": "Finland", "FR": "France", "GB": "United Kingdom", "GR": "Greece", "HK": "Hong Kong",
	"IE": "Ireland", "IN": "India", "IT": "Italy", "JP": "Japan", "MX": "Mexico",
	"NL": "Netherlands", "NO": "Norway", "NZ": "New Zealand", "PL": "Poland", "PT": "Portugal",
	"SE": "Sweden", "SG": "Singapore", "US": "United States",
}

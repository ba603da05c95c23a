package payments

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/stripe/stripe-go/v76"
)

// chargeViaStripeGo decodes a charge the way stripe-go's own types do.
func chargeViaStripeGo(object []byte) (Charge, bool) {
	var c stripe.Charge
	if err := json.Unmarshal(object, &c); err != nil {
		return Charge{}, false
	}
	out := Charge{ID: c.ID, Currency: string(c.Currency), Amount: c.Amount, AmountRefunded: c.AmountRefunded, Refunded: c.Refunded}
	if c.PaymentIntent != nil {
		out.PaymentIntentID = c.PaymentIntent.ID
	}
	return out, true
}

// The webhook reads a charge's few fields itself, the same as stripe-go
// would, on Stripe's example charge in the shapes refund events carry it;
// and a field it does not read that a later API version retypes leaves the
// event readable, where stripe-go's whole Charge fails on it.
func TestEventChargeDecodesLikeStripeGo(t *testing.T) {
	fx := stripeFixtures(t)
	charge, intent := fx["charge"], fx["payment_intent"]
	if charge == nil || intent == nil {
		t.Fatal("fixtures lack charge or payment_intent")
	}
	var pi map[string]any
	if err := json.Unmarshal(intent, &pi); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"fixture as it is": charge,
		"refunded in full": with(t, charge, map[string]any{"amount": 2500, "amount_refunded": 2500, "refunded": true,
			"currency": "eur", "payment_intent": "pi_1"}),
		"partly refunded":         with(t, charge, map[string]any{"amount": 2500, "amount_refunded": 100, "refunded": false}),
		"payment intent expanded": with(t, charge, map[string]any{"payment_intent": pi}),
		"no payment intent":       with(t, charge, map[string]any{"payment_intent": nil}),
	}
	for name, object := range cases {
		want, ok := chargeViaStripeGo(object)
		if !ok {
			t.Fatalf("%s: stripe-go cannot decode it", name)
		}
		got, err := decodeEventCharge(object)
		if err != nil || got != want {
			t.Errorf("%s:\n ours       %+v (%v)\n stripe-go  %+v", name, got, err, want)
		}
	}

	retyped := with(t, charge, map[string]any{"payment_method_details": "a string in some later version",
		"outcome": []int{1}, "amount": 2500, "amount_refunded": 2500, "refunded": true, "payment_intent": "pi_1"})
	if _, ok := chargeViaStripeGo(retyped); ok {
		t.Fatal("stripe-go decoded the retyped fields: the case tests nothing")
	}
	got, err := decodeEventCharge(retyped)
	if err != nil || got.PaymentIntentID != "pi_1" || !got.Refunded || got.AmountRefunded != 2500 {
		t.Fatalf("retyped fields the shop does not read: %+v, %v", got, err)
	}
}

// FuzzEventChargeDecode: whatever charge stripe-go decodes, the webhook's
// own decode decodes too, with the same fields.
func FuzzEventChargeDecode(f *testing.F) {
	for _, s := range []string{
		`{"id":"ch_1","amount":2500,"amount_refunded":2500,"refunded":true,"currency":"usd","payment_intent":"pi_1"}`,
		`{"id":"ch_1","amount":2500,"amount_refunded":10,"refunded":false,"payment_intent":{"id":"pi_1","status":"succeeded"}}`,
		`{"id":"ch_1","payment_intent":null,"currency":null,"amount":null}`,
		`{"ID":"ch_1","Payment_Intent":"pi_2","payment_intent":"pi_1","REFUNDED":true}`,
		`{"id":"ch_1","payment_intent":{"id":"pi_1"},"payment_intent":"pi_2"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, object []byte) {
		want, ok := chargeViaStripeGo(object)
		if trimmed := bytes.TrimSpace(object); !ok || len(trimmed) == 0 || trimmed[0] != '{' || !utf8.Valid(object) {
			// An event's data.object is an object, in UTF-8; stripe-go also
			// reads a bare id, and keeps an id's bytes as they are where
			// JSON replaces invalid UTF-8.
			return
		}
		got, err := decodeEventCharge(object)
		if err != nil || got != want {
			t.Fatalf("%q:\n ours       %+v (%v)\n stripe-go  %+v", object, got, err, want)
		}
	})
}

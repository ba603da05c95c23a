package payments_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/payments"
)

// FuzzVerifyEvent feeds any body and Stripe-Signature header to the
// verifier. Nothing panics; a header we did not make with the secret never
// verifies; a body we signed always verifies, and then either decodes to an
// event with an id and a type or is refused as not an event.
func FuzzVerifyEvent(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	for _, body := range []string{
		sessionEvent,
		`{"id": "evt_2", "type": "charge.refunded", "data": {"object": {"id": "ch_1", "payment_intent": "pi_1", "amount": 100, "amount_refunded": 100, "refunded": true}}}`,
		`{"id": "evt_3", "type": "charge.refunded", "data": {"object": {"id": "ch_1", "payment_intent": {"id": "pi_2"}}}}`,
		`{"id": "evt_4", "type": "checkout.session.expired", "data": {"object": {"id": "cs_1", "status": "expired", "payment_status": "unpaid", "amount_total": -1}}}`,
		`{"id": "evt_5", "type": "customer.created", "data": {"object": {}}}`,
		`{"id": "evt_6", "type": "checkout.session.completed", "data": {"object": "not an object"}}`,
		`{"id": "evt_7", "type": "checkout.session.completed", "data": {"object": {"id": 1}}}`,
		`{"id": "", "type": "", "data": null}`, `[]`, `null`, ``, `{`, "\xff\xfe",
	} {
		f.Add([]byte(body), "t=1800000000,v1=00", true)
		f.Add([]byte(body), "", false)
	}
	f.Add([]byte(sessionEvent), "t=1800000000,v1="+strings.Repeat("a", 64)+",v0=x,t=1", false)
	f.Add([]byte(sessionEvent), "t=99999999999999999999,v1=", false)
	f.Add([]byte(sessionEvent), strings.Repeat("t=1,", 2000), false)
	f.Fuzz(func(t *testing.T, body []byte, header string, sign bool) {
		secrets := []string{"whsec_fuzz_a", "whsec_fuzz_b"}
		if sign {
			header = payments.Sign(body, secrets[1], now)
		}
		ev, err := payments.VerifyEvent(body, header, secrets, now)
		switch {
		case sign && errors.Is(err, payments.ErrSignature):
			t.Fatalf("a body signed with the secret was refused: %v", err)
		case !sign && !strings.Contains(header, "v1=") && err == nil:
			t.Fatalf("a header with no v1 signature verified: %q", header)
		case err == nil && (ev.ID == "" || ev.Type == "" || !bytes.Equal(ev.Raw, body)):
			t.Fatalf("verified event lacks id, type or raw body: %+v", ev)
		case err == nil && strings.HasPrefix(ev.Type, "checkout.session.") && ev.Session == nil:
			t.Fatalf("a session event without its session: %+v", ev)
		case err == nil && strings.HasPrefix(ev.Type, "charge.") && ev.Charge == nil:
			t.Fatalf("a charge event without its charge: %+v", ev)
		case errors.Is(err, payments.ErrUndecodable) && (ev.ID == "" || ev.Type == "" || !bytes.Equal(ev.Raw, body)):
			t.Fatalf("an undecodable event lacks the id, type or body to record it by: %+v", ev)
		case err != nil && !errors.Is(err, payments.ErrSignature) && !errors.Is(err, payments.ErrBadEvent) && !errors.Is(err, payments.ErrUndecodable):
			t.Fatalf("an error of no known kind: %v", err)
		}
		// A signature made with another secret, or for another body, or too
		// old, never verifies.
		if _, err := payments.VerifyEvent(body, payments.Sign(body, "whsec_attacker", now), secrets, now); err == nil {
			t.Fatal("a body signed with an unknown secret verified")
		}
		if _, err := payments.VerifyEvent(append(append([]byte{}, body...), ' '), payments.Sign(body, secrets[0], now), secrets, now); err == nil {
			t.Fatal("a signature verified a body it was not made for")
		}
		if _, err := payments.VerifyEvent(body, payments.Sign(body, secrets[0], now.Add(-payments.Tolerance-time.Second)), secrets, now); err == nil {
			t.Fatal("a stale signature verified")
		}
	})
}

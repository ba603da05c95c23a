package payments

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
)

// Tolerance is how old a signature may be: Stripe's own five minutes.
const Tolerance = webhook.DefaultTolerance

// Event is a verified Stripe event with the object we read from it.
type Event struct {
	ID         string
	Type       string
	APIVersion string
	Created    time.Time
	// Session is set for checkout.session.* events, Charge for charge.* events.
	Session *Session
	Charge  *Charge
	// Raw is the body as Stripe sent it.
	Raw []byte
}

// VersionMismatch reports whether the event was rendered at an API version
// other than the one stripe-go v76 decodes.
func (e Event) VersionMismatch() bool { return e.APIVersion != APIVersion }

// Charge is what we read of a charge.
type Charge struct {
	ID              string
	PaymentIntentID string
	Currency        string
	Amount          int64
	AmountRefunded  int64
	Refunded        bool
}

// ErrSignature is returned for a missing, forged or stale signature.
var ErrSignature = errors.New("invalid Stripe-Signature")

// ErrBadEvent is returned for a signed body that is not a usable event.
var ErrBadEvent = errors.New("not a Stripe event")

// VerifyEvent checks the Stripe-Signature header of payload against every
// secret (several during a rotation) with Stripe's tolerance, then decodes
// the event. An event of another API version is accepted when the fields we
// read are present; the caller logs and counts the mismatch.
func VerifyEvent(payload []byte, header string, secrets []string, now time.Time) (Event, error) {
	if !validSignature(payload, header, secrets, now) {
		return Event{}, ErrSignature
	}
	return ParseEvent(payload)
}

// ParseEvent decodes an event that was verified before (an inbox entry
// being reprocessed).
func ParseEvent(payload []byte) (Event, error) {
	// Only the envelope, not stripe.Event: it would also decode data.object
	// into a generic map, twice the work of the typed decode below.
	var raw struct {
		ID         string `json:"id"`
		Type       string `json:"type"`
		APIVersion string `json:"api_version"`
		Created    int64  `json:"created"`
		Data       struct {
			Object json.RawMessage `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrBadEvent, err)
	}
	if raw.ID == "" || raw.Type == "" || len(raw.Data.Object) == 0 || string(raw.Data.Object) == "null" {
		return Event{}, fmt.Errorf("%w: id, type and data.object are required", ErrBadEvent)
	}
	ev := Event{ID: raw.ID, Type: raw.Type, APIVersion: raw.APIVersion, Created: time.Unix(raw.Created, 0).UTC(), Raw: payload}
	switch {
	case strings.HasPrefix(ev.Type, "checkout.session."):
		var s stripe.CheckoutSession
		if err := json.Unmarshal(raw.Data.Object, &s); err != nil {
			return Event{}, fmt.Errorf("%w: data.object: %v", ErrBadEvent, err)
		}
		if s.ID == "" || s.Status == "" || s.PaymentStatus == "" {
			return Event{}, fmt.Errorf("%w: the session lacks id, status or payment_status", ErrBadEvent)
		}
		sess := sessionFrom(&s)
		ev.Session = &sess
	case strings.HasPrefix(ev.Type, "charge."):
		var c stripe.Charge
		if err := json.Unmarshal(raw.Data.Object, &c); err != nil {
			return Event{}, fmt.Errorf("%w: data.object: %v", ErrBadEvent, err)
		}
		if c.ID == "" {
			return Event{}, fmt.Errorf("%w: the charge lacks an id", ErrBadEvent)
		}
		ev.Charge = &Charge{ID: c.ID, Currency: string(c.Currency), Amount: c.Amount, AmountRefunded: c.AmountRefunded, Refunded: c.Refunded}
		if c.PaymentIntent != nil {
			ev.Charge.PaymentIntentID = c.PaymentIntent.ID
		}
	}
	return ev, nil
}

// validSignature tries each secret; stripe-go compares with hmac.Equal, in
// constant time.
func validSignature(payload []byte, header string, secrets []string, now time.Time) bool {
	if header == "" || len(header) > 4096 {
		return false
	}
	// stripe-go measures age against the wall clock; we also refuse
	// timestamps far in the future, which a replay could otherwise use.
	if ts, ok := signatureTime(header); !ok || ts.After(now.Add(Tolerance)) || now.Sub(ts) > Tolerance {
		return false
	}
	for _, secret := range secrets {
		if secret != "" && webhook.ValidatePayloadIgnoringTolerance(payload, header, secret) == nil {
			return true
		}
	}
	return false
}

// signatureTime reads the header's one timestamp. A header with several is
// refused: stripe-go believes the last, so checking the first would let an
// old signature through behind a fresh t=.
func signatureTime(header string) (time.Time, bool) {
	var (
		at    time.Time
		found bool
	)
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		if k != "t" {
			continue
		}
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil || found {
			return time.Time{}, false
		}
		at, found = time.Unix(sec, 0), true
	}
	return at, found
}

// Sign returns a Stripe-Signature header for payload, as Stripe computes it.
// Tests and the simulator use it.
func Sign(payload []byte, secret string, at time.Time) string {
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at})
	return sp.Header
}

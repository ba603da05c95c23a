package payments

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

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
	// Dispute is set for charge.dispute.* events.
	Dispute *Dispute
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

// Dispute is what we read of a dispute.
type Dispute struct {
	ID              string
	ChargeID        string
	PaymentIntentID string
	Currency        string
	Amount          int64
	Reason          string
	Status          string
}

// ErrSignature is returned for a missing, forged or stale signature.
var ErrSignature = errors.New("invalid Stripe-Signature")

// ErrBadEvent is returned for a signed body that is not a usable event.
var ErrBadEvent = errors.New("not a Stripe event")

// ErrUndecodable is returned, with the event's id, type and body, for an
// event whose object the shop cannot read (a later API version retyped a
// field it reads): it is recorded for the admin, not refused, since Stripe
// would retry a refused event for days with the same body.
var ErrUndecodable = errors.New("the event's object cannot be read")

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
		sess, err := decodeEventSession(raw.Data.Object)
		if err != nil {
			return ev, fmt.Errorf("%w: data.object: %v", ErrUndecodable, err)
		}
		if sess.ID == "" || sess.Status == "" || sess.PaymentStatus == "" {
			return ev, fmt.Errorf("%w: the session lacks id, status or payment_status", ErrUndecodable)
		}
		ev.Session = &sess
	case strings.HasPrefix(ev.Type, "charge.dispute."):
		d, err := decodeEventDispute(raw.Data.Object)
		if err != nil {
			return ev, fmt.Errorf("%w: data.object: %v", ErrUndecodable, err)
		}
		if d.ID == "" {
			return ev, fmt.Errorf("%w: the dispute lacks an id", ErrUndecodable)
		}
		ev.Dispute = &d
	case strings.HasPrefix(ev.Type, "charge."):
		c, err := decodeEventCharge(raw.Data.Object)
		if err != nil {
			return ev, fmt.Errorf("%w: data.object: %v", ErrUndecodable, err)
		}
		if c.ID == "" {
			return ev, fmt.Errorf("%w: the charge lacks an id", ErrUndecodable)
		}
		ev.Charge = &c
	}
	return ev, nil
}

// eventSession is the part of a Checkout Session the shop reads, with
// Stripe's field names and types. An event's session is decoded into it
// rather than into stripe.CheckoutSession, whose decode builds a hundred
// fields and their expandable objects that the shop never reads: that was a
// fifth of the webhook's CPU (docs/benchmarks.md). TestEventSessionDecodes-
// LikeStripeGo holds the two decodes to the same Session.
type eventSession struct {
	ID                string `json:"id"`
	URL               string `json:"url"`
	Status            string `json:"status"`
	PaymentStatus     string `json:"payment_status"`
	Currency          string `json:"currency"`
	CustomerEmail     string `json:"customer_email"`
	ClientReferenceID string `json:"client_reference_id"`
	AmountTotal       int64  `json:"amount_total"`
	ExpiresAt         int64  `json:"expires_at"`
	// A map, as in stripe-go: encoding/json matches struct fields without
	// regard to case, and only the key "order_id" names the order.
	Metadata        map[string]string `json:"metadata"`
	CustomerDetails *customerDetails  `json:"customer_details"`
	PaymentIntent   *expandable       `json:"payment_intent"`
	AmountSubtotal  int64             `json:"amount_subtotal"`
	TotalDetails    *totalDetails     `json:"total_details"`
	// shipping_details at 2023-10-16; collected_information.shipping_details
	// from 2024-… on (stripe-go v76 knows only the first).
	ShippingDetails      *shippingDetails `json:"shipping_details"`
	CollectedInformation *struct {
		ShippingDetails *shippingDetails `json:"shipping_details"`
	} `json:"collected_information"`
	ShippingCost *shippingCost `json:"shipping_cost"`
	Discounts    []struct {
		PromotionCode *expandable `json:"promotion_code"`
	} `json:"discounts"`
}

type totalDetails struct {
	AmountDiscount int64 `json:"amount_discount"`
	AmountShipping int64 `json:"amount_shipping"`
	AmountTax      int64 `json:"amount_tax"`
}

type shippingDetails struct {
	Name    string  `json:"name"`
	Address address `json:"address"`
}

type address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	City       string `json:"city"`
	State      string `json:"state"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

type shippingCost struct {
	AmountSubtotal int64       `json:"amount_subtotal"`
	ShippingRate   *expandable `json:"shipping_rate"`
}

type customerDetails struct {
	Email string `json:"email"`
}

// expandable is an expandable field: the object's id, or the object itself
// when it was expanded.
type expandable struct {
	ID     string
	Status string
}

func (e *expandable) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &e.ID)
	}
	var obj struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	e.ID, e.Status = obj.ID, obj.Status
	return nil
}

// eventCharge is the part of a charge the shop reads, as eventSession is
// of a session: a field a later API version retypes, and the shop does not
// read, cannot make the event undecodable. FuzzEventChargeDecode holds it
// to stripe-go's decode.
type eventCharge struct {
	ID             string      `json:"id"`
	Currency       string      `json:"currency"`
	Amount         int64       `json:"amount"`
	AmountRefunded int64       `json:"amount_refunded"`
	Refunded       bool        `json:"refunded"`
	PaymentIntent  *expandable `json:"payment_intent"`
}

func decodeEventCharge(object []byte) (Charge, error) {
	var c eventCharge
	if err := json.Unmarshal(object, &c); err != nil {
		return Charge{}, err
	}
	out := Charge{ID: c.ID, Currency: c.Currency, Amount: c.Amount, AmountRefunded: c.AmountRefunded, Refunded: c.Refunded}
	if c.PaymentIntent != nil {
		out.PaymentIntentID = c.PaymentIntent.ID
	}
	return out, nil
}

func decodeEventDispute(object []byte) (Dispute, error) {
	var d struct {
		ID            string      `json:"id"`
		Currency      string      `json:"currency"`
		Amount        int64       `json:"amount"`
		Reason        string      `json:"reason"`
		Status        string      `json:"status"`
		Charge        *expandable `json:"charge"`
		PaymentIntent *expandable `json:"payment_intent"`
	}
	if err := json.Unmarshal(object, &d); err != nil {
		return Dispute{}, err
	}
	out := Dispute{ID: d.ID, Currency: d.Currency, Amount: d.Amount, Reason: d.Reason, Status: d.Status}
	if d.Charge != nil {
		out.ChargeID = d.Charge.ID
	}
	if d.PaymentIntent != nil {
		out.PaymentIntentID = d.PaymentIntent.ID
	}
	return out, nil
}

func decodeEventSession(object []byte) (Session, error) {
	var s eventSession
	if err := json.Unmarshal(object, &s); err != nil {
		return Session{}, err
	}
	return s.session(), nil
}

// session is what the shop reads of a Checkout Session, however it was
// decoded (sessionFrom converts stripe-go's type to this one).
func (s *eventSession) session() Session {
	out := Session{
		ID:                s.ID,
		URL:               s.URL,
		Status:            s.Status,
		PaymentStatus:     s.PaymentStatus,
		Currency:          s.Currency,
		CustomerEmail:     s.CustomerEmail,
		ClientReferenceID: s.ClientReferenceID,
		OrderID:           s.Metadata["order_id"],
		AmountTotal:       s.AmountTotal,
	}
	if s.ExpiresAt != 0 {
		out.ExpiresAt = time.Unix(s.ExpiresAt, 0).UTC()
	}
	if s.CustomerDetails != nil && s.CustomerDetails.Email != "" {
		out.CustomerEmail = s.CustomerDetails.Email
	}
	if s.PaymentIntent != nil {
		out.PaymentIntentID = s.PaymentIntent.ID
		out.PaymentIntentStatus = s.PaymentIntent.Status
	}
	out.AmountSubtotal = s.AmountSubtotal
	if t := s.TotalDetails; t != nil {
		out.AmountDiscount, out.AmountShipping, out.AmountTax = t.AmountDiscount, t.AmountShipping, t.AmountTax
	}
	d := s.ShippingDetails
	if ci := s.CollectedInformation; ci != nil && ci.ShippingDetails != nil {
		d = ci.ShippingDetails
	}
	if d != nil {
		a := d.Address
		out.Shipping = &ShippingDetails{Name: d.Name, Line1: a.Line1, Line2: a.Line2, City: a.City, State: a.State,
			PostalCode: a.PostalCode, Country: a.Country}
	}
	if c := s.ShippingCost; c != nil {
		out.ShippingRateID = rateFor(s.Metadata, c.AmountSubtotal)
		if c.ShippingRate != nil {
			out.ShippingRate = c.ShippingRate.ID
		}
	}
	for _, d := range s.Discounts {
		if d.PromotionCode != nil && d.PromotionCode.ID != "" {
			out.PromotionCode = d.PromotionCode.ID
			break
		}
	}
	return out
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

// Sign returns a Stripe-Signature header for payload, as Stripe computes it,
// for the events tests and shopbench send. The simulator signs its own
// without importing payments.
func Sign(payload []byte, secret string, at time.Time) string {
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at})
	return sp.Header
}

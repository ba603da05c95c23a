package stripesim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// API versions the simulator renders objects and events at. Requests are
// answered at the version their Stripe-Version header names (stripe-go
// v76 sends 2023-10-16), or else at Config.APIVersion, the account's
// default; events are rendered at Config.APIVersion, the version of the
// webhook endpoint. What differs at 2025-03-31.basil, from Stripe's
// changelog of that release:
//
//   - a Checkout Session has no shipping_details; it moved to
//     collected_information.shipping_details (collected_information is
//     null until a shipping address is collected);
//   - a Charge and a PaymentIntent have no invoice field.
//
// The fields the shop reads (a session's id, status, payment_status,
// amounts, customer details, metadata, payment_intent, expires_at; a
// charge's amounts, refunded and payment_intent) are the same at both.
const (
	// APIVersion is the default version, the one stripe-go v76 speaks.
	APIVersion = "2023-10-16"
	// APIVersionBasil is the first version of Stripe's Basil release.
	APIVersionBasil = "2025-03-31.basil"
)

// APIVersions lists the versions the simulator renders, oldest first.
var APIVersions = []string{APIVersion, APIVersionBasil}

// basil reports whether ver has the 2025-03-31.basil shapes.
func basil(ver string) bool { return ver >= "2025-03-31" }

// requestVersion is the version to answer r at: its Stripe-Version header
// or the account's default.
func (s *Server) requestVersion(r *http.Request) (string, *apiError) {
	v := strings.TrimSpace(r.Header.Get("Stripe-Version"))
	if v == "" {
		return s.cfg.APIVersion, nil
	}
	if !slices.Contains(APIVersions, v) {
		return "", &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error",
			Message: "Invalid Stripe API version: " + v + ". stripesim renders " + strings.Join(APIVersions, " and ") + "."}
	}
	return v, nil
}

// EventTypes are the events the simulator makes, in Stripe's names.
var EventTypes = []string{
	"checkout.session.completed",
	"checkout.session.async_payment_succeeded",
	"checkout.session.async_payment_failed",
	"checkout.session.expired",
	"payment_intent.succeeded",
	"payment_intent.processing",
	"payment_intent.payment_failed",
	"charge.succeeded",
	"charge.pending",
	"charge.failed",
	"charge.refunded",
	"charge.refund.updated",
	"refund.created",
	"charge.dispute.created",
}

// DefaultEnabledEvents are the events the shop's webhook endpoint is set
// up to receive (docs/operations.md): the ones it acts on.
var DefaultEnabledEvents = []string{
	"checkout.session.completed",
	"checkout.session.async_payment_succeeded",
	"checkout.session.async_payment_failed",
	"checkout.session.expired",
	"charge.refunded",
	"charge.dispute.created",
}

// enabled reports whether the webhook endpoint listens to typ.
func (s *Server) enabled(typ string) bool {
	return slices.Contains(s.cfg.EnabledEvents, "*") || slices.Contains(s.cfg.EnabledEvents, typ)
}

// ParseEventTypes reads a comma-separated list of event types, as
// STRIPESIM_EVENTS gives it: "*" for every type, empty for the default.
func ParseEventTypes(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	var out []string
	for _, typ := range strings.Split(list, ",") {
		typ = strings.TrimSpace(typ)
		if typ != "*" && !slices.Contains(EventTypes, typ) {
			return nil, fmt.Errorf("unknown event type %q: want * or some of %s", typ, strings.Join(EventTypes, ", "))
		}
		out = append(out, typ)
	}
	return out, nil
}

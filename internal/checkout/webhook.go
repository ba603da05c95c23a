package checkout

import (
	"context"
	"errors"
	"fmt"

	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// Delivery is what became of one webhook delivery.
type Delivery struct {
	EventID string
	Type    string
	Outcome string
}

// HandleWebhook is the webhook's door into the workflow: it checks the
// Stripe-Signature header on the raw body against every webhook secret,
// then records and applies the event (HandleEvent). A bad or stale
// signature, or a signed body that is not an event, is invalid; anything
// that kept the event from being recorded is unavailable, so Stripe
// retries it. The errors wrap the cause for the log.
func (s *Service) HandleWebhook(ctx context.Context, payload []byte, signature string) (Delivery, error) {
	ev, err := payments.VerifyEvent(payload, signature, s.secrets, s.sigNow())
	unreadable := ""
	switch {
	case errors.Is(err, payments.ErrUndecodable):
		// Signed by Stripe but not readable: refused, it would come back
		// for days with the same body. Recorded for the admin instead.
		s.log.Error("webhook event verified but unreadable; recorded for the admin", "event_id", ev.ID, "type", ev.Type,
			"api_version", ev.APIVersion, "err", err)
		unreadable = err.Error()
	case errors.Is(err, payments.ErrSignature):
		return Delivery{}, fmt.Errorf("%w: %w", shop.Errorf(shop.ErrInvalid, "invalid or stale Stripe-Signature"), err)
	case err != nil:
		return Delivery{}, fmt.Errorf("%w: %w", shop.Errorf(shop.ErrInvalid, "the body is not a Stripe event we can read"), err)
	}
	d := Delivery{EventID: ev.ID, Type: ev.Type}
	d.Outcome, err = s.handleEvent(ctx, ev, unreadable)
	if err != nil && shop.ErrorCode(err) != shop.ErrUnavailable {
		return d, fmt.Errorf("%w: %w", shop.Errorf(shop.ErrUnavailable, "the event could not be recorded; retry later"), err)
	}
	return d, err
}

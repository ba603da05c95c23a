package checkout

import (
	"context"
	"errors"

	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// Outcomes of a webhook event, as counted and logged.
const (
	OutcomeApplied   = "applied"
	OutcomeDuplicate = "duplicate"
	OutcomeIgnored   = "ignored"
	OutcomeNoted     = "noted" // recorded with a note for the admin (unknown order, illegal move, flag)
	OutcomeError     = "error"
)

// HandleEvent records a verified event in the inbox and applies it, in one
// transaction. A duplicate changes nothing. An error means nothing was
// recorded and Stripe should retry.
func (s *Service) HandleEvent(ctx context.Context, ev payments.Event) (string, error) {
	return s.handleEvent(ctx, ev, "")
}

// handleEvent is HandleEvent for an event whose object may be unreadable
// (why, or ""): such an event is recorded, processed, with a note for the
// admin, who can reprocess it once a release reads it.
func (s *Service) handleEvent(ctx context.Context, ev payments.Event, unreadable string) (string, error) {
	if ev.VersionMismatch() {
		s.metrics.VersionMismatch.Inc()
		s.log.Warn("webhook event of another API version; processing the fields we read",
			"event_id", ev.ID, "event_version", ev.APIVersion, "expected", payments.APIVersion)
	}
	outcome := OutcomeError
	err := s.inTx(ctx, func(t *tx) error {
		events := postgres.NewEvents(t.Tx)
		record := shop.Event{ID: ev.ID, Type: ev.Type, APIVersion: ev.APIVersion,
			Payload: ev.Raw, PaymentIntentID: paymentIntentOf(ev)}
		var fresh bool
		var pre *locked
		if id := orderToLock(ev); id != "" {
			// The order's lock rides with the insert: one round trip fewer.
			l, err := events.InsertAndLockOrder(ctx, record, id)
			if err != nil {
				return err
			}
			fresh, pre = l.Fresh, &locked{order: l.Order, refundsWaiting: l.RefundsWaiting}
		} else {
			var err error
			if fresh, err = events.Insert(ctx, record); err != nil {
				return err
			}
		}
		if !fresh {
			outcome = OutcomeDuplicate
			return nil
		}
		t.heldPayment(record.PaymentIntentID) // the insert took it
		orderID, note, handled := "", "not applied: "+unreadable+"; reprocess it once the shop reads this version", true
		if unreadable == "" {
			var err error
			if orderID, note, handled, err = s.apply(ctx, t, ev, pre); err != nil {
				return err
			}
		}
		switch {
		case !handled:
			outcome = OutcomeIgnored
		case note != "":
			outcome = OutcomeNoted
		default:
			outcome = OutcomeApplied
		}
		return events.MarkProcessed(ctx, ev.ID, orderID, note)
	})
	if err != nil {
		outcome = OutcomeError
	}
	s.metrics.Events.WithLabelValues(metricType(ev.Type), outcome).Inc()
	return outcome, err
}

// orderToLock is the order a session event will lock, when it names one.
func orderToLock(ev payments.Event) string {
	if ev.Session == nil || !sessionEvent(ev.Type) {
		return ""
	}
	if id, ok := shop.ParseID(sessionOrderID(*ev.Session)); ok {
		return id
	}
	return ""
}

func sessionEvent(kind string) bool {
	switch kind {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded",
		"checkout.session.async_payment_failed", "checkout.session.expired":
		return true
	}
	return false
}

// apply dispatches an event to the move it asks for; pre is the order the
// transaction has locked already, if any. handled is false for event types
// the shop does not act on.
func (s *Service) apply(ctx context.Context, t *tx, ev payments.Event, pre *locked) (orderID, note string, handled bool, err error) {
	switch {
	case sessionEvent(ev.Type):
		orderID, note, err = s.applySession(ctx, t, *ev.Session, ev.Type, pre)
		return orderID, note, true, err
	case ev.Type == "charge.refunded":
		orderID, note, err = s.applyRefund(ctx, t, *ev.Charge)
		return orderID, note, true, err
	case ev.Type == "charge.dispute.created" && ev.Dispute != nil:
		orderID, note, err = s.applyDispute(ctx, t, *ev.Dispute)
		return orderID, note, true, err
	}
	return "", "", false, nil
}

func (s *Service) applyRefund(ctx context.Context, t *tx, c payments.Charge) (string, string, error) {
	if c.PaymentIntentID == "" {
		return "", "charge has no payment intent", nil
	}
	if err := t.lockPayment(ctx, c.PaymentIntentID); err != nil {
		return "", "", err
	}
	o, err := postgres.NewOrders(t.Tx).ByPaymentIntentForUpdate(ctx, c.PaymentIntentID)
	if shop.ErrorCode(err) == shop.ErrNotFound {
		return "", "no order for payment intent " + c.PaymentIntentID, nil
	}
	if err != nil {
		return "", "", err
	}
	if !c.Refunded && c.AmountRefunded < c.Amount {
		// Recorded on the order (an admin's partial refund records it too:
		// the larger amount wins, so neither counts it twice).
		if m, ok := o.RefundReported(c.AmountRefunded); ok {
			if err := postgres.NewOrders(t.Tx).Apply(ctx, m); err != nil {
				return o.ID, "", err
			}
		}
		return o.ID, "partial refund: the order stays paid", nil
	}
	_, moved, err := s.move(ctx, t, o, shop.StatusRefunded, shop.Change{})
	if err == nil && !moved && o.Status != shop.StatusRefunded {
		return o.ID, "ignored: " + string(o.Status) + " → refunded is not allowed", nil
	}
	return o.ID, "", err
}

// applyEarlierRefunds applies the charge.refunded events of a payment that
// arrived before the order was paid, and so were recorded with no order.
func (s *Service) applyEarlierRefunds(ctx context.Context, t *tx, paymentIntentID string) error {
	if paymentIntentID == "" {
		return nil
	}
	events := postgres.NewEvents(t.Tx)
	early, err := events.UnmatchedRefunds(ctx, paymentIntentID)
	if err != nil {
		return err
	}
	for _, e := range early {
		ev, err := payments.ParseEvent(e.Payload)
		if err != nil || ev.Charge == nil || ev.Charge.PaymentIntentID != paymentIntentID {
			continue
		}
		orderID, note, err := s.applyRefund(ctx, t, *ev.Charge)
		if err != nil {
			return err
		}
		if err := events.MarkProcessed(ctx, e.ID, orderID, note); err != nil {
			return err
		}
	}
	return nil
}

// Reprocess applies an inbox event again, for the admin after a fix. The
// moves are conditional, so applying an event twice changes nothing.
func (s *Service) Reprocess(ctx context.Context, eventID string) (shop.Event, error) {
	var out shop.Event
	err := s.inTx(ctx, func(t *tx) error {
		events := postgres.NewEvents(t.Tx)
		e, err := events.Get(ctx, eventID)
		if err != nil {
			return err
		}
		ev, err := payments.ParseEvent(e.Payload)
		if err != nil {
			return shop.Errorf(shop.ErrConflict, "the stored event cannot be decoded")
		}
		// The payment's lock before any row lock, in the order the webhook takes them.
		if err := t.lockPayment(ctx, paymentIntentOf(ev)); err != nil {
			return err
		}
		if _, err := events.GetForUpdate(ctx, eventID); err != nil {
			return err
		}
		orderID, note, _, err := s.apply(ctx, t, ev, nil)
		if err != nil {
			return err
		}
		if err := events.MarkProcessed(ctx, ev.ID, orderID, note); err != nil {
			return err
		}
		out, err = events.GetForUpdate(ctx, eventID)
		return err
	})
	return out, err
}

// Fulfil settles the order of a Checkout Session from what Stripe says of
// it now. The success page calls it, so a customer sees "paid" even when
// the webhook is late; it is safe to call any number of times.
func (s *Service) Fulfil(ctx context.Context, sessionID string) (shop.Order, error) {
	orders := postgres.NewOrders(s.pool)
	o, err := orders.BySession(ctx, sessionID)
	if shop.ErrorCode(err) == shop.ErrNotFound {
		return s.fulfilUnrecorded(ctx, sessionID)
	}
	if err != nil || o.Status != shop.StatusPending {
		return o, err
	}
	sctx, cancel := context.WithTimeout(ctx, s.timeout)
	sess, err := s.pay.GetSession(sctx, sessionID)
	cancel()
	if err != nil {
		// The customer still sees the order; the webhook or the reconciler settles it.
		// The session id is not logged: it opens the public order view.
		s.log.Warn("could not read the session from Stripe", "order_id", o.ID, "err", err)
		return o, nil
	}
	if err := s.settle(ctx, sess); err != nil {
		return shop.Order{}, err
	}
	return orders.Get(ctx, o.ID)
}

// fulfilUnrecorded finds the order of a session whose id the shop did not
// record (Stripe answered, then saving its id failed) by the order id the
// session carries in its metadata, records it and settles it.
func (s *Service) fulfilUnrecorded(ctx context.Context, sessionID string) (shop.Order, error) {
	notFound := shop.Errorf(shop.ErrNotFound, "no order for this checkout session")
	if !payments.PlausibleSessionID(sessionID) {
		return shop.Order{}, notFound // not worth a call to Stripe
	}
	sctx, cancel := context.WithTimeout(ctx, s.timeout)
	sess, err := s.pay.GetSession(sctx, sessionID)
	cancel()
	var pe *payments.ProviderError
	if errors.Is(err, payments.ErrNotFound) || errors.As(err, &pe) && pe.StatusCode >= 400 && pe.StatusCode < 500 && pe.StatusCode != 429 {
		return shop.Order{}, notFound // Stripe knows no such session
	}
	if err != nil {
		return shop.Order{}, shop.Errorf(shop.ErrPaymentProvider, "could not reach the payment provider; try again")
	}
	id, ok := shop.ParseID(sessionOrderID(sess))
	if !ok || sess.ID != sessionID {
		return shop.Order{}, notFound
	}
	orders := postgres.NewOrders(s.pool)
	if err := orders.SetSession(ctx, id, sess.ID); err != nil {
		return shop.Order{}, err
	}
	o, err := orders.Get(ctx, id)
	if shop.ErrorCode(err) == shop.ErrNotFound || err == nil && o.SessionID != sess.ID {
		return shop.Order{}, notFound // another session is the order's
	}
	if err != nil || o.Status != shop.StatusPending {
		return o, err
	}
	if err := s.settle(ctx, sess); err != nil {
		return shop.Order{}, err
	}
	return orders.Get(ctx, id)
}

// settle applies a session read from Stripe.
func (s *Service) settle(ctx context.Context, sess payments.Session) error {
	return s.inTx(ctx, func(t *tx) error {
		_, _, err := s.applySession(ctx, t, sess, "", nil)
		return err
	})
}

func paymentIntentOf(ev payments.Event) string {
	switch {
	case ev.Charge != nil:
		return ev.Charge.PaymentIntentID
	case ev.Session != nil:
		return ev.Session.PaymentIntentID
	case ev.Dispute != nil:
		return ev.Dispute.PaymentIntentID
	}
	return ""
}

// metricType keeps the label set small: unknown types share one label.
func metricType(t string) string {
	switch t {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded",
		"checkout.session.async_payment_failed", "checkout.session.expired", "charge.refunded",
		"charge.dispute.created":
		return t
	}
	return "other"
}

// ErrLocked is returned by Reconcile when another replica is sweeping.
var ErrLocked = errors.New("another replica holds the reconciler lock")

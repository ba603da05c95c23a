package checkout

import (
	"context"
	"errors"
	"net/http"

	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// Cancel gives up a pending checkout when the customer comes back from
// Stripe's page through its cancel link, so the reserved units return at
// once instead of when the session expires 30 minutes later. It is safe to
// call any number of times.
func (s *Service) Cancel(ctx context.Context, orderID string) (shop.Order, error) {
	orderID, ok := shop.ParseID(orderID)
	if !ok {
		return shop.Order{}, shop.Errorf(shop.ErrNotFound, "order not found")
	}
	orders := postgres.NewOrders(s.pool)
	o, err := orders.Get(ctx, orderID)
	if err != nil {
		return shop.Order{}, err
	}
	if o.Status != shop.StatusPending {
		return o, nil
	}
	if err := s.giveUp(context.WithoutCancel(ctx), o); err != nil {
		s.log.Warn("cancel: could not expire or read the session", "order_id", o.ID, "err", err)
		return shop.Order{}, shop.Errorf(shop.ErrPaymentProvider, "could not reach the payment provider; try again")
	}
	if err := orders.MarkCancelled(context.WithoutCancel(ctx), orderID); err != nil {
		s.log.Warn("cancel: could not note the customer's cancel", "order_id", orderID, "err", err)
	}
	return orders.Get(ctx, orderID)
}

// giveUp ends a pending order nobody is going to pay. It expires the
// order's session at Stripe first, so it can no longer be paid, and then
// applies what Stripe answers: if the customer paid in the meantime, the
// order is paid, not given up. An order whose session Stripe never made is
// expired.
func (s *Service) giveUp(ctx context.Context, o shop.Order) error {
	sctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	sessionID, err := s.findSession(sctx, o)
	if errors.Is(err, errNoSession) {
		return s.abandon(ctx, o)
	}
	if err != nil {
		return err
	}
	sess, err := s.pay.ExpireSession(sctx, sessionID)
	switch {
	case errors.Is(err, payments.ErrNotFound):
		// Stripe does not know the session, so nobody can pay it.
		return s.abandon(ctx, o)
	case err != nil:
		// Stripe refuses to expire a session that is no longer open:
		// read it to learn whether it was paid or already expired.
		if sess, err = s.pay.GetSession(sctx, sessionID); err != nil {
			return err
		}
	}
	return s.settle(ctx, sess)
}

// errNoSession says that Stripe never made a session for an order.
var errNoSession = errors.New("no checkout session was ever created")

// findSession returns an order's session id. When it was never saved (the
// server stopped between reserving and recording Stripe's answer), the same
// idempotency key and parameters return the session Stripe made, if it made
// one. Stripe refuses to make one that expires in less than 30 minutes (an
// order's session expires 31 minutes after the order), so a refusal of the
// same request means that none was made and nobody could have paid.
func (s *Service) findSession(ctx context.Context, o shop.Order) (string, error) {
	if o.SessionID != "" {
		return o.SessionID, nil
	}
	created, err := s.createSession(ctx, o)
	var pe *payments.ProviderError
	if errors.As(err, &pe) && (pe.StatusCode == http.StatusBadRequest ||
		pe.StatusCode > 400 && pe.StatusCode < 500 && s.now().After(o.ExpiresAt)) {
		return "", errNoSession
	}
	if err != nil {
		return "", err
	}
	if err := postgres.NewOrders(s.pool).SetSession(ctx, o.ID, created.ID); err != nil {
		s.log.Warn("could not record the session id", "order_id", o.ID, "err", err)
	}
	return created.ID, nil
}

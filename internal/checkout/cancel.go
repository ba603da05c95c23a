package checkout

import (
	"context"
	"errors"

	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// Cancel gives up a pending checkout when the customer comes back from
// Stripe's page through its cancel link, so the reserved units return at
// once instead of when the session expires 30 minutes later. It expires the
// session at Stripe first, so it can no longer be paid, and then applies what
// Stripe answers: if the customer paid in the meantime, the order is paid,
// not cancelled. It is safe to call any number of times.
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
		return o.Order, nil
	}
	ctx = context.WithoutCancel(ctx)
	sctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	unreachable := shop.Errorf(shop.ErrPaymentProvider, "could not reach the payment provider; try again")
	sessionID, err := s.findSession(sctx, o)
	if errors.Is(err, errNoSession) {
		if err := s.abandon(ctx, o); err != nil {
			return shop.Order{}, err
		}
	} else if err != nil {
		return shop.Order{}, unreachable
	} else {
		sess, err := s.pay.ExpireSession(sctx, sessionID)
		switch {
		case errors.Is(err, payments.ErrNotFound):
			// Stripe does not know the session, so nobody can pay it.
			if err := s.abandon(ctx, o); err != nil {
				return shop.Order{}, err
			}
		case err != nil:
			// Stripe refuses to expire a session that is no longer open:
			// read it to learn whether it was paid or already expired.
			if sess, err = s.pay.GetSession(sctx, sessionID); err != nil {
				s.log.Warn("cancel: could not expire or read the session", "order_id", o.ID, "err", err)
				return shop.Order{}, unreachable
			}
			fallthrough
		default:
			if err := s.settle(ctx, sess); err != nil {
				return shop.Order{}, err
			}
		}
	}
	o, err = orders.Get(ctx, orderID)
	return o.Order, err
}

package checkout

import (
	"context"
	"errors"

	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// afterCommit holds what a transaction reports once it has committed: a
// move counted or logged before the commit could be rolled back, and then
// counted again on the retry.
type afterCommit []func()

type afterCommitKey struct{}

// inTx runs fn in a transaction and, once it commits, what fn asked to run
// after the commit (onCommit).
func (s *Service) inTx(ctx context.Context, fn func(ctx context.Context, tx *postgres.Tx) error) error {
	var done afterCommit
	err := postgres.InTx(ctx, s.pool, func(tx *postgres.Tx) error {
		return fn(context.WithValue(ctx, afterCommitKey{}, &done), tx)
	})
	if err == nil {
		for _, f := range done {
			f()
		}
	}
	return err
}

// onCommit runs f once the transaction of ctx commits (at once outside one).
func onCommit(ctx context.Context, f func()) {
	if done, ok := ctx.Value(afterCommitKey{}).(*afterCommit); ok {
		*done = append(*done, f)
		return
	}
	f()
}

type lockedPaymentIntentKey struct{}

// paymentIntentLocked notes in ctx that the transaction holds the lock of
// a payment (the inbox insert takes it), so it is not asked for again.
func paymentIntentLocked(ctx context.Context, paymentIntentID string) context.Context {
	if paymentIntentID == "" {
		return ctx
	}
	return context.WithValue(ctx, lockedPaymentIntentKey{}, paymentIntentID)
}

// lockPaymentIntent takes a payment's lock unless the transaction holds it.
func lockPaymentIntent(ctx context.Context, tx *postgres.Tx, paymentIntentID string) error {
	if held, _ := ctx.Value(lockedPaymentIntentKey{}).(string); held != "" && held == paymentIntentID {
		return nil
	}
	return postgres.LockPaymentIntent(ctx, tx, paymentIntentID)
}

type lockedOrderKey struct{}

// prefetchedOrder is an order the transaction has already locked (FOR
// UPDATE), or found missing, in the round trip that recorded the event,
// and whether refunds of the event's payment wait for it.
// The row is handed out once: after that it may have moved on.
type prefetchedOrder struct {
	id             string
	row            postgres.OrderRow
	found          bool
	used           bool
	paymentIntent  string
	refundsWaiting bool
}

var errNotPrefetched = errors.New("order not prefetched")

// orderLocked notes in ctx what locking order id found, for the event of
// payment intent pi.
func orderLocked(ctx context.Context, id, pi string, l postgres.EventLock) context.Context {
	return context.WithValue(ctx, lockedOrderKey{}, &prefetchedOrder{id: id, row: l.Order, found: l.Found,
		paymentIntent: pi, refundsWaiting: l.RefundsWaiting})
}

// lockedOrder returns order id as locked earlier in the transaction, or a
// not_found error when it was found missing, the first time it is asked;
// errNotPrefetched otherwise.
func lockedOrder(ctx context.Context, id string) (postgres.OrderRow, error) {
	p, ok := ctx.Value(lockedOrderKey{}).(*prefetchedOrder)
	if !ok || p.id != id || p.used {
		return postgres.OrderRow{}, errNotPrefetched
	}
	p.used = true
	if !p.found {
		return postgres.OrderRow{}, shop.Errorf(shop.ErrNotFound, "not found")
	}
	return p.row, nil
}

// refundsWaitingFor says whether refunds of payment intent pi wait for
// order id, when the transaction learnt it with the order's lock. The
// answer holds until something in the transaction applies those refunds:
// ask it for the order's one move to paid, before applyEarlierRefunds.
func refundsWaitingFor(ctx context.Context, id, pi string) (waiting, known bool) {
	p, ok := ctx.Value(lockedOrderKey{}).(*prefetchedOrder)
	if !ok || p.id != id || pi == "" || p.paymentIntent != pi {
		return false, false
	}
	return p.refundsWaiting, true
}

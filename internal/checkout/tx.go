package checkout

import (
	"context"
	"slices"

	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// tx is one transaction of the workflow and what the workflow has learnt
// in it: the payments whose lock it holds, and what to report once it has
// committed (a move counted or logged before the commit could be rolled
// back, and then counted again on the retry).
type tx struct {
	*postgres.Tx
	lockedPayments []string
	committed      []func()
}

// inTx runs fn in a transaction and, once it commits, what fn asked to run
// after the commit.
func (s *Service) inTx(ctx context.Context, fn func(t *tx) error) error {
	t := &tx{}
	err := postgres.InTx(ctx, s.pool, func(ptx *postgres.Tx) error {
		t.Tx = ptx
		return fn(t)
	})
	if err == nil {
		for _, f := range t.committed {
			f()
		}
	}
	return err
}

// afterCommit runs f once the transaction has committed.
func (t *tx) afterCommit(f func()) { t.committed = append(t.committed, f) }

// lockPayment serialises the work on one payment until the transaction
// ends (its payment and its refunds may be reported at the same moment);
// taken before any row lock, once.
func (t *tx) lockPayment(ctx context.Context, paymentIntentID string) error {
	if paymentIntentID == "" || slices.Contains(t.lockedPayments, paymentIntentID) {
		return nil
	}
	t.lockedPayments = append(t.lockedPayments, paymentIntentID)
	return postgres.LockPaymentIntent(ctx, t.Tx, paymentIntentID)
}

// heldPayment notes a payment whose lock the transaction took by other
// means (the inbox insert takes it).
func (t *tx) heldPayment(paymentIntentID string) {
	if paymentIntentID != "" {
		t.lockedPayments = append(t.lockedPayments, paymentIntentID)
	}
}

// locked is an order the transaction holds locked, and whether refunds of
// the payment it was locked for wait for its move to paid.
type locked struct {
	order          shop.Order
	refundsWaiting bool
}

// lockOrder locks an order after the lock of the payment pi ("" for none).
func (t *tx) lockOrder(ctx context.Context, id, pi string) (locked, error) {
	if err := t.lockPayment(ctx, pi); err != nil {
		return locked{}, err
	}
	o, waiting, err := postgres.NewOrders(t.Tx).Lock(ctx, id, pi)
	return locked{o, waiting}, err
}

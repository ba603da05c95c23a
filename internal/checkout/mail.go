package checkout

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// MailQueue queues an order's e-mail in the transaction of the change it
// tells of (internal/jobs is the one).
type MailQueue interface {
	EnqueueMail(ctx context.Context, tx pgx.Tx, o shop.Order, kinds ...shop.EmailKind) error
}

// enqueueMail queues, in the transition's own transaction, the e-mails an
// order's change sends: the job commits with the change or not at all.
func (s *Service) enqueueMail(ctx context.Context, t *tx, o shop.Order, kinds ...shop.EmailKind) error {
	if s.mail == nil || len(kinds) == 0 {
		return nil
	}
	return s.mail.EnqueueMail(ctx, t.Pgx(), o, kinds...)
}

// applyDispute flags the order whose payment a customer disputed, with the
// reason and amount, and tells the staff.
func (s *Service) applyDispute(ctx context.Context, t *tx, d payments.Dispute) (string, string, error) {
	if d.PaymentIntentID == "" {
		return "", "dispute names no payment intent", nil
	}
	if err := t.lockPayment(ctx, d.PaymentIntentID); err != nil {
		return "", "", err
	}
	orders := postgres.NewOrders(t.Tx)
	o, err := orders.ByPaymentIntentForUpdate(ctx, d.PaymentIntentID)
	if shop.ErrorCode(err) == shop.ErrNotFound {
		return "", "no order for payment intent " + d.PaymentIntentID, nil
	}
	if err != nil {
		return "", "", err
	}
	reason := fmt.Sprintf("disputed (%s): %d %s", d.Reason, d.Amount, d.Currency)
	if err := orders.Dispute(ctx, o.ID, shop.Dispute{ID: d.ID, Reason: d.Reason, Amount: d.Amount}, reason); err != nil {
		return o.ID, "", err
	}
	o.Flagged, o.FlagReason = true, reason
	t.afterCommit(func() {
		s.metrics.Flagged.Inc()
		s.log.Warn("order disputed", "order_id", o.ID, "reason", d.Reason, "amount", d.Amount)
	})
	return o.ID, "", s.enqueueMail(ctx, t, o, shop.EmailStaffDispute)
}

// ReconcileAge is how old an open order is before a sweep looks at it.
func (s *Service) ReconcileAge() time.Duration { return s.reconcileAge }

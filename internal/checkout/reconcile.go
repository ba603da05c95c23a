package checkout

import (
	"context"
	"errors"
	"time"

	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// reconcileLockKey is the Postgres advisory lock that lets one replica sweep at a time.
const reconcileLockKey = 0x5757_0001

// ReconcileResult counts what a sweep did.
type ReconcileResult struct {
	Checked int
	Errors  int
}

// Reconcile heals missed webhooks: for each pending or processing order
// older than minAge it reads the session from Stripe and applies it (paid
// ones are fulfilled, expired ones released). Only one replica sweeps at a
// time; the others return ErrLocked at once.
func (s *Service) Reconcile(ctx context.Context, minAge time.Duration) (ReconcileResult, error) {
	var res ReconcileResult
	unlock, locked, err := postgres.TryLock(ctx, s.pool, reconcileLockKey)
	if err != nil {
		s.metrics.ReconcilerRuns.WithLabelValues("error").Inc()
		return res, err
	}
	if !locked {
		s.metrics.ReconcilerRuns.WithLabelValues("skipped").Inc()
		return res, ErrLocked
	}
	defer func() {
		if err := unlock(); err != nil {
			s.log.Warn("reconciler lock not released; its connection was closed", "err", err)
		}
	}()

	open, err := postgres.NewOrders(s.pool).Open(ctx, s.now().Add(-minAge), 500)
	if err != nil {
		s.metrics.ReconcilerRuns.WithLabelValues("error").Inc()
		return res, err
	}
	for _, o := range open {
		if ctx.Err() != nil {
			break
		}
		res.Checked++
		if err := s.reconcileOrder(ctx, o); err != nil {
			res.Errors++
			s.log.Warn("reconcile order", "order_id", o.ID, "err", err)
		}
	}
	outcome := "ok"
	if res.Errors > 0 {
		outcome = "error"
	}
	s.metrics.ReconcilerRuns.WithLabelValues(outcome).Inc()
	s.log.Info("reconciler sweep", "checked", res.Checked, "errors", res.Errors)
	return res, nil
}

func (s *Service) reconcileOrder(ctx context.Context, o shop.Order) error {
	if o.SessionID == "" {
		// The server stopped between reserving the units and recording
		// Stripe's answer: nobody was sent to pay, so give the units back
		// now rather than when a session nobody has expires.
		return s.giveUp(ctx, o)
	}
	sctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	sess, err := s.pay.GetSession(sctx, o.SessionID)
	if errors.Is(err, payments.ErrNotFound) && s.now().After(o.ExpiresAt) {
		// Stripe does not know the session (another account's key, a restarted
		// simulator) and it is past its expiry: nobody can pay it now.
		return s.abandon(ctx, o)
	}
	if err != nil {
		return err
	}
	if err := s.settle(ctx, sess); err != nil {
		return err
	}
	return postgres.NewOrders(s.pool).MarkReconciled(ctx, o.ID)
}

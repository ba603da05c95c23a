package checkout

import (
	"context"
	"errors"
	"time"

	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/postgres"
)

// reconcileLockKey is the Postgres advisory lock that lets one replica sweep at a time.
const reconcileLockKey = 0x5757_0001

// ReconcileAge is how old an open order must be before the reconciler asks
// Stripe about it: long enough that the webhook had its chance.
const ReconcileAge = 5 * time.Minute

// RunReconciler sweeps every interval until ctx ends.
func (s *Service) RunReconciler(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Reconcile(ctx, ReconcileAge); err != nil && !errors.Is(err, ErrLocked) && ctx.Err() == nil {
				s.log.Error("reconciler sweep failed", "err", err)
			}
		}
	}
}

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

func (s *Service) reconcileOrder(ctx context.Context, o postgres.OrderRow) error {
	sctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	sessionID, err := s.findSession(sctx, o)
	if errors.Is(err, errNoSession) {
		return s.abandon(ctx, o)
	}
	if err != nil {
		return err
	}
	sess, err := s.pay.GetSession(sctx, sessionID)
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

// errNoSession says that Stripe never made a session for an order.
var errNoSession = errors.New("no checkout session was ever created")

// findSession returns an order's session id. When it was never saved, the
// same idempotency key and parameters return the session Stripe made, if it
// made one; Stripe refuses to make one that would expire in the past, which
// means none was made and nobody could have paid.
func (s *Service) findSession(ctx context.Context, o postgres.OrderRow) (string, error) {
	if o.SessionID != "" {
		return o.SessionID, nil
	}
	created, err := s.createSession(ctx, o)
	var pe *payments.ProviderError
	if errors.As(err, &pe) && pe.StatusCode >= 400 && pe.StatusCode < 500 && s.now().After(o.ExpiresAt) {
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

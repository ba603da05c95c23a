package reliability

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/checkout"
)

// The tests wait for conditions, never for a fixed time: a machine busy
// with other work (two make test side by side) runs every step late. The
// bounds are far above what an idle machine needs; reaching one means the
// condition never came.
const (
	waitBound = time.Minute
	pollEvery = 20 * time.Millisecond
)

// eventually polls cond until it holds, and fails t naming what it waited
// for when it has not within waitBound.
func eventually(t testing.TB, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(waitBound)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s: %v", waitBound, what, err)
		}
		time.Sleep(pollEvery)
	}
}

// advance moves the simulator's clock on by d and waits until Stripe shows
// the time passed: every open session whose expires_at has come is expired
// (and its checkout.session.expired event made). The simulator's sweep runs
// on a ticker that a busy machine may starve; any API request expires what
// is due as well, so listing the sessions both checks and hastens it.
func (w *world) advance(t testing.TB, d time.Duration) {
	t.Helper()
	w.clock.Advance(d)
	eventually(t, "the simulator to expire the sessions due after "+d.String(), func() error {
		now := w.clock.Now().Unix()
		all, err := w.listSessions()
		for _, s := range all {
			if s.Status == "open" && s.ExpiresAt <= now {
				return fmt.Errorf("session %s is still open, expires_at %d ≤ %d", s.ID, s.ExpiresAt, now)
			}
		}
		return err
	})
}

// quiesce ends a fault test: the webhooks delivered, time passes so that
// every session nobody paid expires at Stripe, the reconciler sweeps, and
// the webhooks that made are delivered too. It returns the sweep's result.
func (w *world) quiesce(t testing.TB) checkout.ReconcileResult {
	t.Helper()
	w.drain(waitBound)
	w.advance(t, 32*time.Minute)
	w.drain(waitBound)
	res, err := w.reconcile(t)
	if err != nil || res.Errors > 0 {
		t.Errorf("reconcile: %+v %v", res, err)
	}
	w.drain(waitBound)
	return res
}

// reconcile runs the test's reconciler sweep as an operator would: when a
// server's own sweep holds the lock at that moment (they run every second),
// it tries again once that sweep is over.
func (w *world) reconcile(t testing.TB) (checkout.ReconcileResult, error) {
	t.Helper()
	var res checkout.ReconcileResult
	var err error
	eventually(t, "the reconciler lock", func() error {
		res, err = w.reconciler.Reconcile(context.Background(), 0)
		if errors.Is(err, checkout.ErrLocked) {
			return err
		}
		return nil
	})
	return res, err
}

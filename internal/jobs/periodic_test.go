package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stripeshop/stripeshop/internal/shoptest"
)

// Two replicas, one scheduler: the reconciler's sweeps are River periodic
// jobs that the elected leader alone inserts, so they never overlap.
func TestReconcilerSweepsAsOnePeriodicJobAcrossReplicas(t *testing.T) {
	w := newWorld(t)
	every := func(o *shoptest.Options) { o.ReconcileInterval = "1s" }
	w.shop(mp.SMTPURL(), every)
	w.shop(mp.SMTPURL(), every)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, w.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	type run struct{ start, end time.Time }
	var runs []run
	shoptest.Eventually(t, wait, "three sweeps ran", func() bool {
		rows, err := conn.Query(ctx, `SELECT attempted_at, finalized_at FROM river_job
			WHERE kind = 'periodic' AND args->>'name' = 'reconcile' AND state = 'completed' ORDER BY attempted_at`)
		if err != nil {
			t.Fatal(err)
		}
		runs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (run, error) {
			var x run
			return x, r.Scan(&x.start, &x.end)
		})
		if err != nil {
			t.Fatal(err)
		}
		return len(runs) >= 3
	})
	for i := 1; i < len(runs); i++ {
		if runs[i].start.Before(runs[i-1].end) {
			t.Errorf("sweep %d started at %v, before sweep %d ended at %v", i, runs[i].start, i-1, runs[i-1].end)
		}
	}
}

package postgres_test

import (
	"context"
	"testing"

	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/testdb"
)

// One holder at a time, and a released lock can be taken again: what lets
// one replica's reconciler sweep while the others skip.
func TestTryLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := testdb.New(t)
	const key = 0x5757_fff1
	unlock, ok, err := postgres.TryLock(ctx, pool, key)
	if err != nil || !ok {
		t.Fatalf("first TryLock: ok %v, err %v", ok, err)
	}
	if _, ok, err := postgres.TryLock(ctx, pool, key); err != nil || ok {
		t.Fatalf("second TryLock while held: ok %v, err %v; want refused", ok, err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	unlock, ok, err = postgres.TryLock(ctx, pool, key)
	if err != nil || !ok {
		t.Fatalf("TryLock after unlock: ok %v, err %v", ok, err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if st := pool.Stat(); st.AcquiredConns() != 0 {
		t.Fatalf("%d connections still acquired after unlock", st.AcquiredConns())
	}
}

func TestDeleteExpiredSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := testdb.New(t)
	if _, err := pool.Exec(ctx, `INSERT INTO sessions (token, data, expiry) VALUES
		('old', '\x00', now() - interval '1 minute'), ('live', '\x00', now() + interval '1 hour')`); err != nil {
		t.Fatal(err)
	}
	n, err := postgres.NewSessions(pool).DeleteExpired(ctx)
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpired: %d, %v; want 1 deleted", n, err)
	}
	var left string
	if err := pool.QueryRow(ctx, `SELECT token FROM sessions`).Scan(&left); err != nil || left != "live" {
		t.Fatalf("left %q, %v; want the live session only", left, err)
	}
}

package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// TryLock takes the session-level advisory lock key on a connection of its
// own, without waiting. When another session holds it, ok is false and
// nothing is kept. unlock releases the lock and the connection; a connection
// whose lock could not be released is closed, not returned to the pool, so
// the lock ends with its session instead of staying held by an idle one.
func TryLock(ctx context.Context, pool *pgxpool.Pool, key int64) (unlock func() error, ok bool, err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, false, translate(err)
	}
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil || !ok {
		conn.Release() // destroyed by the pool when the failure broke it
		return nil, false, translate(err)
	}
	unlock = func() error {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		var released bool
		err := conn.QueryRow(uctx, `SELECT pg_advisory_unlock($1)`, key).Scan(&released)
		if err == nil && !released {
			err = fmt.Errorf("advisory lock %d was not held", key)
		}
		if err != nil {
			_ = conn.Hijack().Close(uctx) // closing is the point; its own error adds nothing
			return fmt.Errorf("release advisory lock %d: %w", key, err)
		}
		conn.Release()
		return nil
	}
	return unlock, true, nil
}

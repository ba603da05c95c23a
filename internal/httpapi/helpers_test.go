package httpapi_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stripeshop/stripeshop/internal/testdb"
)

func testdbAdmin() (*pgx.Conn, error) {
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		u = testdb.DefaultURL
	}
	return pgx.Connect(context.Background(), u)
}

// eventually polls cond until it holds and fails t, naming what it waited
// for, when it has not within a minute: far above what an idle machine
// needs, so that only a condition that never comes reaches it, not a
// machine busy with other work.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	const bound = time.Minute
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", bound, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustExec(t *testing.T, c *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

package httpapi_test

import (
	"context"
	"os"
	"testing"

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

func mustExec(t *testing.T, c *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

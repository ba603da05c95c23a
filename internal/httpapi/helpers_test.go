package httpapi_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	dto "github.com/prometheus/client_model/go"

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

// metric sums the series of a counter in the env's registry that carry labels.
func metric(t *testing.T, e *env, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := e.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var value float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if matches(m, labels) {
				value += m.GetCounter().GetValue()
			}
		}
	}
	return value
}

func matches(m *dto.Metric, labels map[string]string) bool {
	for k, v := range labels {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == k && l.GetValue() == v {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

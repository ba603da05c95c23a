// Package testdb gives each test its own real Postgres database, migrated
// from the embedded files. It connects to TEST_DATABASE_URL (default: the
// local server as user postgres) and drops what it created.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/migrations"
)

// DefaultURL is the admin connection used to create test databases.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func adminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// template returns a database with every migration applied; each test
// database is a cheap copy of it. Its name carries a hash of the migrations,
// so it is made once per schema and shared by every test binary: it is
// built under a temporary name and renamed when complete, so no test copies
// a half-migrated template.
func template(ctx context.Context) (string, error) {
	templateOnce.Do(func() {
		templateName = "stripeshop_tmpl_" + migrationsHash()
		var exists bool
		conn, err := pgx.Connect(ctx, adminURL())
		if err != nil {
			templateErr = err
			return
		}
		defer conn.Close(ctx)
		if templateErr = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, templateName).Scan(&exists); templateErr != nil || exists {
			return
		}
		building := "stripeshop_build_" + randomHex(6)
		if templateErr = createDB(ctx, building, ""); templateErr != nil {
			return
		}
		if templateErr = migrate(ctx, withDB(adminURL(), building)); templateErr != nil {
			dropDB(building)
			return
		}
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{building}.Sanitize()+" RENAME TO "+pgx.Identifier{templateName}.Sanitize()); err != nil {
			dropDB(building) // another test binary finished first
		}
	})
	return templateName, templateErr
}

func migrate(ctx context.Context, u string) error {
	pool, err := postgres.Open(ctx, u)
	if err != nil {
		return err
	}
	defer pool.Close()
	return postgres.MigrateUp(pool)
}

func migrationsHash() string {
	h := sha256.New()
	// River's tables come from its migrator, at the version this binary carries.
	fmt.Fprintf(h, "river:%d;", postgres.RiverLatest())
	entries, _ := fs.ReadDir(migrations.FS, ".")
	for _, e := range entries {
		b, _ := fs.ReadFile(migrations.FS, e.Name())
		h.Write([]byte(e.Name()))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// URL creates a fresh, migrated database and returns its URL; it is dropped
// when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	tmpl, err := template(ctx)
	if err != nil {
		t.Fatalf("testdb: Postgres is needed at %s (set TEST_DATABASE_URL): %v", adminURL(), err)
	}
	name := "stripeshop_test_" + randomHex(8)
	if err := createDB(ctx, name, tmpl); err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(func() { dropDB(name) })
	return withDB(adminURL(), name)
}

// New returns a pool on a fresh, migrated database.
func New(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	u := URL(t)
	pool, err := postgres.Open(context.Background(), u)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool, u
}

// Empty returns the URL of a fresh database with no schema, for migration tests.
func Empty(t testing.TB) string {
	t.Helper()
	name := "stripeshop_empty_" + randomHex(8)
	if err := createDB(context.Background(), name, ""); err != nil {
		t.Fatalf("testdb: Postgres is needed at %s (set TEST_DATABASE_URL): %v", adminURL(), err)
	}
	t.Cleanup(func() { dropDB(name) })
	return withDB(adminURL(), name)
}

func createDB(ctx context.Context, name, tmpl string) error {
	conn, err := pgx.Connect(ctx, adminURL())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	q := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if tmpl != "" {
		q += " TEMPLATE " + pgx.Identifier{tmpl}.Sanitize()
	}
	// Copies of one template cannot start at the same instant.
	for range 20 {
		if _, err = conn.Exec(ctx, q); err == nil || tmpl == "" {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

func dropDB(name string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, adminURL())
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

func withDB(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

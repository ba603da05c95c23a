package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/stripeshop/stripeshop/internal/testdb"
)

func TestAdminListPasswdRemove(t *testing.T) {
	dbURL := testdb.Empty(t)
	env := envOf(map[string]string{"DATABASE_URL": dbURL})
	admin := func(stdin string, args ...string) (string, error) {
		t.Helper()
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"admin"}, args...), env, strings.NewReader(stdin), &out, &bytes.Buffer{})
		return out.String(), err
	}
	for _, email := range []string{"first@example.com", "second@example.com"} {
		if _, err := admin("a long enough password\n", "create", "--email", email); err != nil {
			t.Fatal(err)
		}
	}

	out, err := admin("", "list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "first@example.com") || !strings.Contains(lines[2], "second@example.com") {
		t.Fatalf("admin list:\n%s", out)
	}
	if fields := strings.Fields(lines[1]); len(fields) != 2 || !strings.HasSuffix(fields[1], "Z") || !strings.Contains(fields[1], "T") {
		t.Errorf("admin list line %q: want the email and an RFC 3339 creation time", lines[1])
	}

	if _, err := admin("short\n", "passwd", "--email", "first@example.com"); err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("passwd with a short password: %v", err)
	}
	if _, err := admin("another long password\n", "passwd", "--email", "nobody@example.com"); err == nil || !strings.Contains(err.Error(), "no admin") {
		t.Errorf("passwd of an unknown email: %v", err)
	}
	if _, err := admin("another long password\n", "passwd", "--email", "First@Example.com"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var hash string
	if err := conn.QueryRow(context.Background(), `SELECT password_hash FROM admins WHERE email = 'first@example.com'`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte("another long password")) != nil {
		t.Error("passwd did not set the new password")
	}

	if _, err := admin("", "remove", "--email", "nobody@example.com"); err == nil || !strings.Contains(err.Error(), "no admin") {
		t.Errorf("remove of an unknown email: %v", err)
	}
	if _, err := admin("", "remove", "--email", "first@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin("", "remove", "--email", "second@example.com"); err == nil || !strings.Contains(err.Error(), "last admin") {
		t.Errorf("removing the last admin: %v", err)
	}
	if out, _ := admin("", "list"); strings.Contains(out, "first@example.com") || !strings.Contains(out, "second@example.com") {
		t.Errorf("admin list after removing first:\n%s", out)
	}
	if _, err := admin("", "rename"); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("an unknown admin command: %v", err)
	}
}

package httpapi_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/stripeshop/stripeshop/internal/shoptest"
)

// loginFrom signs in as if from client (the shop trusts 127.0.0.1 as a proxy).
func loginFrom(t *testing.T, s *env, client, email, password string) response {
	t.Helper()
	return s.client().Do("POST", "/api/admin/login", map[string]string{"email": email, "password": password},
		"X-Forwarded-For", client)
}

// Issue 12.1, as reported: six wrong passwords from one address (401 ×5,
// then 429 with Retry-After), then the right password from another address
// must sign in.
func TestWrongPasswordsFromOneAddressDoNotLockTheAdminOut(t *testing.T) {
	t.Parallel()
	s := newEnv(t, shoptest.Options{TrustedProxies: "127.0.0.1/32"})
	for i := range 6 {
		r := loginFrom(t, s, "203.0.113.1", adminEmail, fmt.Sprintf("wrong guess %d", i))
		want := 401
		if i == 5 {
			want = 429
		}
		if r.Status != want {
			t.Fatalf("wrong password %d from A: %d %s, want %d", i+1, r.Status, r.Body, want)
		}
		if want == 429 {
			if wait, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || wait < 1 || r.ErrorCode() != "rate_limited" {
				t.Fatalf("A limited without a Retry-After in seconds: %q %s", r.Header.Get("Retry-After"), r.Body)
			}
		}
	}
	if r := loginFrom(t, s, "198.51.100.7", adminEmail, adminPassword); r.Status != 200 {
		t.Fatalf("the right password from B after A's guesses: %d %s, want 200", r.Status, r.Body)
	}
	// A itself stays limited, even with the right password.
	if r := loginFrom(t, s, "203.0.113.1", adminEmail, adminPassword); r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("the right password from the limited A: %d, want 429 with Retry-After", r.Status)
	}
}

// Guessing from many addresses stays bounded: the passwords checked grow
// with the addresses, not with their attempts, and the admin still signs in
// from an address of their own.
func TestGuessingFromManyAddressesStaysBounded(t *testing.T) {
	t.Parallel()
	s := newEnv(t, shoptest.Options{TrustedProxies: "127.0.0.1/32"})
	const addresses, tries = 30, 8
	checked := 0
	for a := range addresses {
		for i := range tries {
			r := loginFrom(t, s, fmt.Sprintf("192.0.2.%d", a+1), adminEmail, fmt.Sprintf("guess %d-%d", a, i))
			switch r.Status {
			case 401:
				checked++
			case 429:
				if r.Header.Get("Retry-After") == "" {
					t.Fatalf("429 without Retry-After")
				}
			default:
				t.Fatalf("guess from address %d: %d %s", a, r.Status, r.Body)
			}
		}
	}
	// Each address gets a burst of 5 until the account counts 10 failures,
	// then one guess: 10 + 5 + 30 at most, far below the 240 tried.
	if checked > 45 {
		t.Fatalf("%d addresses × %d tries: %d passwords checked, want at most 45", addresses, tries, checked)
	}
	if r := loginFrom(t, s, "2001:db8:1::1", adminEmail, adminPassword); r.Status != 200 {
		t.Fatalf("the right password from a new address during the guessing: %d %s", r.Status, r.Body)
	}
}

package auth

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiterPerClientAndPerAccount(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newLimiter(func() time.Time { return now })
	for i := 0; i < accountBurst; i++ {
		if _, ok := l.allow("10.0.0.1", "a@example.com"); !ok {
			t.Fatalf("attempt %d refused", i)
		}
	}
	wait, ok := l.allow("10.0.0.2", "a@example.com")
	if ok || wait < 1 {
		t.Fatalf("the account's 6th attempt from another client: ok=%v wait=%d", ok, wait)
	}
	// The client is limited across accounts too.
	for i := 0; i < clientBurst; i++ {
		l.allow("10.0.0.3", fmt.Sprintf("user%d@example.com", i))
	}
	if _, ok := l.allow("10.0.0.3", "someone@example.com"); ok {
		t.Fatal("a client spraying accounts was not limited")
	}
	// Addresses of one IPv6 /64 share a bucket.
	for i := 0; i < clientBurst; i++ {
		l.allow(fmt.Sprintf("2001:db8::%x", i+1), fmt.Sprintf("v6user%d@example.com", i))
	}
	if _, ok := l.allow("2001:db8::ffff", "other@example.com"); ok {
		t.Fatal("rotating addresses within a /64 escaped the limit")
	}
	// A refused client costs no account bucket.
	before := len(l.accounts)
	for i := 0; i < 1000; i++ {
		l.allow("10.0.0.3", fmt.Sprintf("flood%d@example.com", i))
	}
	if len(l.accounts) != before {
		t.Fatalf("a throttled client grew the account map by %d", len(l.accounts)-before)
	}
	now = now.Add(time.Hour)
	if _, ok := l.allow("10.0.0.3", "a@example.com"); !ok {
		t.Fatal("still limited an hour later")
	}
}

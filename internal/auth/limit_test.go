package auth

import (
	"fmt"
	"testing"
	"time"
)

// guess is one wrong password through the limiter; it reports whether the
// password was checked.
func guess(l *limiter, client, account string) bool {
	try, _, ok := l.admit(client, account)
	if ok {
		l.failed(try)
	}
	return ok
}

// login is the right password through the limiter.
func login(l *limiter, client, account string) (int, bool) {
	try, wait, ok := l.admit(client, account)
	if ok {
		l.succeeded(try)
	}
	return wait, ok
}

func fakeClock() (*time.Time, func() time.Time) {
	now := time.Unix(1_700_000_000, 0)
	return &now, func() time.Time { return now }
}

// Issue 12.1: wrong guesses from one address refused the right password
// from every other address, for as long as the guessing went on.
func TestOthersFailuresNeverRefuseTheRightPassword(t *testing.T) {
	now, clock := fakeClock()
	l := newLimiter(clock)
	for i := 0; i < 5; i++ {
		if !guess(l, "10.0.0.1", "admin@example.com") {
			t.Fatalf("wrong password %d from A was not checked", i+1)
		}
	}
	if wait, ok := login(l, "10.0.0.1", "admin@example.com"); ok || wait < 1 {
		t.Fatalf("A's 6th attempt: ok=%v wait=%d, want refused with a wait", ok, wait)
	}
	if _, ok := login(l, "10.0.0.2", "admin@example.com"); !ok {
		t.Fatal("the right password from B was refused for A's failures")
	}
	// One try a minute from A, for an hour: B still signs in each time.
	for range 60 {
		*now = now.Add(time.Minute)
		guess(l, "10.0.0.1", "admin@example.com")
		if _, ok := login(l, "10.0.0.2", "admin@example.com"); !ok {
			t.Fatalf("the right password from B refused at %s", now.Format(time.TimeOnly))
		}
	}
}

// Many addresses, many wrong passwords each: the number checked is bounded
// by the number of addresses, not by their attempts, and the right password
// from yet another address still works.
func TestGuessingFromManyAddressesStaysBounded(t *testing.T) {
	const addresses, tries = 200, 20
	_, clock := fakeClock()
	l := newLimiter(clock)
	checked := 0
	for a := range addresses {
		for range tries {
			if guess(l, fmt.Sprintf("10.1.%d.%d", a/250, a%250), "admin@example.com") {
				checked++
			}
		}
	}
	// Until the account is under attack the first addresses get their
	// burst; after that each new address gets one guess.
	limit := int(accountLimit.burst+pairLimit.burst) + addresses
	if checked > limit {
		t.Fatalf("%d addresses × %d tries: %d passwords checked, want at most %d", addresses, tries, checked, limit)
	}
	if _, ok := login(l, "10.2.0.1", "admin@example.com"); !ok {
		t.Fatal("the right password from a new address was refused")
	}
}

// Over time, under attack, an address gets one guess a minute at the account.
func TestAnAccountUnderAttackGivesEachAddressOneGuessAMinute(t *testing.T) {
	now, clock := fakeClock()
	l := newLimiter(clock)
	for a := range 10 { // the account's failures fill up
		guess(l, fmt.Sprintf("10.3.0.%d", a), "admin@example.com")
	}
	checked := 0
	for range 30 { // five minutes of one attempt every 10 s from one address
		if guess(l, "10.4.0.1", "admin@example.com") {
			checked++
		}
		*now = now.Add(10 * time.Second)
	}
	if checked > 6 {
		t.Fatalf("under attack, one address got %d guesses in 5 minutes, want at most 6", checked)
	}
}

func TestClientLimitAcrossAccounts(t *testing.T) {
	now, clock := fakeClock()
	l := newLimiter(clock)
	for i := range int(clientLimit.burst) {
		if !guess(l, "10.0.0.3", fmt.Sprintf("user%d@example.com", i)) {
			t.Fatalf("attempt %d refused", i)
		}
	}
	if wait, ok := login(l, "10.0.0.3", "someone@example.com"); ok || wait < 1 {
		t.Fatalf("a client spraying accounts: ok=%v wait=%d", ok, wait)
	}
	// Addresses of one IPv6 /64 share a bucket.
	for i := range int(clientLimit.burst) {
		guess(l, fmt.Sprintf("2001:db8::%x", i+1), fmt.Sprintf("v6user%d@example.com", i))
	}
	if _, ok := login(l, "2001:db8::ffff", "other@example.com"); ok {
		t.Fatal("rotating addresses within a /64 escaped the limit")
	}
	// A refused client costs no per-account memory.
	before := len(l.pairs) + len(l.accounts)
	for i := range 1000 {
		guess(l, "10.0.0.3", fmt.Sprintf("flood%d@example.com", i))
	}
	if after := len(l.pairs) + len(l.accounts); after != before {
		t.Fatalf("a throttled client grew the per-account maps by %d", after-before)
	}
	*now = now.Add(time.Hour)
	if _, ok := login(l, "10.0.0.3", "a@example.com"); !ok {
		t.Fatal("still limited an hour later")
	}
}

// Concurrent guesses from one client cannot overrun its allowance: each
// admitted attempt holds a failure until its outcome is known.
func TestAdmittedAttemptsHoldTheirFailure(t *testing.T) {
	_, clock := fakeClock()
	l := newLimiter(clock)
	var held []attempt
	for {
		try, _, ok := l.admit("10.0.0.5", "admin@example.com")
		if !ok {
			break
		}
		held = append(held, try)
	}
	if len(held) != int(pairLimit.burst) {
		t.Fatalf("%d attempts in flight admitted, want %d", len(held), int(pairLimit.burst))
	}
	l.succeeded(held[0]) // the right password forgives the client its failures
	if _, ok := login(l, "10.0.0.5", "admin@example.com"); !ok {
		t.Fatal("refused after the client's own successful login")
	}
}

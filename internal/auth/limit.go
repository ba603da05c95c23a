package auth

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Login attempts allowed: a burst, then a steady trickle. Per client address
// against spraying many accounts; per account against a distributed guess.
var (
	clientRate, clientBurst   = rate.Every(6 * time.Second), 10
	accountRate, accountBurst = rate.Every(time.Minute), 5
)

// limiter holds token buckets per client and per account, in memory: each
// replica limits on its own, which bounds an attacker to N× the rate.
type limiter struct {
	mu       sync.Mutex
	now      func() time.Time
	clients  map[string]*bucket
	accounts map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, clients: map[string]*bucket{}, accounts: map[string]*bucket{}}
}

// allow takes one attempt from both buckets, or says how many seconds to wait.
func (l *limiter) allow(client, account string) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.prune(now)
	c := l.get(l.clients, client, clientRate, clientBurst, now)
	a := l.get(l.accounts, account, accountRate, accountBurst, now)
	rc, ra := c.lim.ReserveN(now, 1), a.lim.ReserveN(now, 1)
	wait := max(rc.DelayFrom(now), ra.DelayFrom(now))
	if wait > 0 {
		rc.CancelAt(now)
		ra.CancelAt(now)
		return int(math.Ceil(wait.Seconds())), false
	}
	return 0, true
}

// reset forgives an account's failed attempts after a successful login.
func (l *limiter) reset(account string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.accounts, account)
}

func (l *limiter) get(m map[string]*bucket, key string, r rate.Limit, burst int, now time.Time) *bucket {
	b := m[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(r, burst)}
		m[key] = b
	}
	b.seen = now
	return b
}

// prune forgets buckets idle long enough to have refilled, so the maps stay small.
func (l *limiter) prune(now time.Time) {
	if len(l.clients)+len(l.accounts) < 10_000 {
		return
	}
	for _, m := range []map[string]*bucket{l.clients, l.accounts} {
		for k, b := range m {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(m, k)
			}
		}
	}
}

package auth

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/stripeshop/stripeshop/internal/clientip"
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
	mu        sync.Mutex
	now       func() time.Time
	clients   map[string]*bucket
	accounts  map[string]*bucket
	lastPrune time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxBuckets bounds the memory a flood of distinct clients or emails can take.
const maxBuckets = 100_000

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, clients: map[string]*bucket{}, accounts: map[string]*bucket{}}
}

// allow takes one attempt from the client's bucket and then the account's,
// or says how many seconds to wait. A client already refused costs no
// account bucket, so a flood from one address holds no memory.
func (l *limiter) allow(client, account string) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.prune(now)
	c := l.get(l.clients, clientip.Key(client), clientRate, clientBurst, now)
	rc := c.lim.ReserveN(now, 1)
	if wait := rc.DelayFrom(now); wait > 0 {
		rc.CancelAt(now)
		return seconds(wait), false
	}
	a := l.get(l.accounts, account, accountRate, accountBurst, now)
	ra := a.lim.ReserveN(now, 1)
	if wait := ra.DelayFrom(now); wait > 0 {
		ra.CancelAt(now) // the attempt still counts against the client
		return seconds(wait), false
	}
	return 0, true
}

func seconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

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

// prune, at most once a minute, forgets buckets idle long enough to have
// refilled; past maxBuckets it forgets the account buckets wholesale (the
// client buckets still hold every address to its rate).
func (l *limiter) prune(now time.Time) {
	if now.Sub(l.lastPrune) < time.Minute && len(l.clients)+len(l.accounts) < maxBuckets {
		return
	}
	l.lastPrune = now
	for _, m := range []map[string]*bucket{l.clients, l.accounts} {
		for k, b := range m {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(m, k)
			}
		}
	}
	if len(l.clients)+len(l.accounts) >= maxBuckets {
		clear(l.accounts)
	}
}

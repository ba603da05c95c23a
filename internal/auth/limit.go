package auth

import (
	"math"
	"sync"
	"time"

	"github.com/stripeshop/stripeshop/internal/clientip"
)

// The login limits. A correct password is never refused for failures that
// came from another client, so no one can lock an admin out from afar;
// guessing stays bounded by address instead:
//
//   - a client address may try 10 logins at once, then one every 6 s,
//     whatever the accounts (against spraying many accounts);
//   - a client address may get 5 wrong passwords for one account at once,
//     then one a minute (against guessing one account from one place);
//   - an account that has had 10 failures (one leaking away a minute, from
//     any address) is under attack: while it is, one wrong password uses up
//     the whole allowance of the address it came from, so each address gets
//     one guess a minute at it instead of a burst of 5.
//
// No account-wide rule refuses an attempt outright: to tell the right
// password from a wrong one the server must check it, and answering a
// check of the right password with anything but success is the lockout the
// rules exist to avoid. Slowing only the answers to wrong passwords would
// not slow a guesser either, who stops waiting once a right answer would
// have come. So the bound is per address (per /64 for IPv6), not global.
var (
	clientLimit  = policy{every: 6 * time.Second, burst: 10}
	pairLimit    = policy{every: time.Minute, burst: 5}
	accountLimit = policy{every: time.Minute, burst: 10}
)

// policy is a leaky bucket's shape: it holds burst units, and one leaks out
// every `every`.
type policy struct {
	every time.Duration
	burst float64
}

// bucket is the level of one leaky bucket at a moment.
type bucket struct {
	level float64
	at    time.Time
}

func (b *bucket) settle(now time.Time, p policy) {
	if elapsed := now.Sub(b.at); elapsed > 0 && !b.at.IsZero() {
		b.level = math.Max(0, b.level-float64(elapsed)/float64(p.every))
	}
	if now.After(b.at) {
		b.at = now
	}
}

// take adds a unit, or says how long until there is room for one.
func (b *bucket) take(now time.Time, p policy) (time.Duration, bool) {
	b.settle(now, p)
	if over := b.level + 1 - p.burst; over > 1e-9 {
		return time.Duration(over * float64(p.every)), false
	}
	b.level++
	return 0, true
}

// give takes a unit back out.
func (b *bucket) give(now time.Time, p policy) {
	b.settle(now, p)
	b.level = math.Max(0, b.level-1)
}

// fill leaves no room until a unit has leaked out.
func (b *bucket) fill(now time.Time, p policy) {
	b.settle(now, p)
	b.level = math.Max(b.level, p.burst)
}

// limiter holds the buckets in memory: each replica limits on its own,
// which bounds an attacker to N× the rates.
type limiter struct {
	mu        sync.Mutex
	now       func() time.Time
	clients   map[string]*bucket // every attempt, by client
	pairs     map[pairKey]*bucket
	accounts  map[string]*bucket // failures, by account, from any client
	lastPrune time.Time
}

// pairKey is one client's attempts at one account: their failures are what
// limits that client there.
type pairKey struct{ account, client string }

// maxBuckets bounds the memory a flood of distinct clients or emails can take.
const maxBuckets = 100_000

// idle is how long a bucket goes unused before it is forgotten: longer than
// any of them takes to empty.
const idle = 15 * time.Minute

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, clients: map[string]*bucket{}, pairs: map[pairKey]*bucket{}, accounts: map[string]*bucket{}}
}

// attempt is a password check the limiter let through; its outcome goes
// back with succeeded or failed.
type attempt struct{ pair pairKey }

// admit lets a client try a password for an account now, or says how many
// seconds to wait. It takes one unit from the client's bucket and holds one
// failure of the client's allowance for the account until the outcome is
// known, so that concurrent guesses cannot overrun it. A client already
// refused costs no per-account memory, so a flood from one address holds
// none.
func (l *limiter) admit(client, account string) (attempt, int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.prune(now)
	client = clientip.Key(client)
	c := get(l.clients, client)
	if wait, ok := c.take(now, clientLimit); !ok {
		return attempt{}, seconds(wait), false
	}
	a := attempt{pair: pairKey{account, client}}
	if wait, ok := get(l.pairs, a.pair).take(now, pairLimit); !ok {
		return attempt{}, seconds(wait), false // the attempt still counts against the client
	}
	return a, 0, true
}

// cancel gives back the failure admit held: the check was never made.
func (l *limiter) cancel(a attempt) {
	l.mu.Lock()
	defer l.mu.Unlock()
	get(l.pairs, a.pair).give(l.now(), pairLimit)
}

// succeeded forgives the client its failures at the account. The account's
// failures from elsewhere stand: a successful login does not reopen the
// burst to those guessing.
func (l *limiter) succeeded(a attempt) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.pairs, a.pair)
}

// failed counts a wrong password against the account; when the account is
// under attack the client's allowance there is used up at once.
func (l *limiter) failed(a attempt) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if _, ok := get(l.accounts, a.pair.account).take(now, accountLimit); !ok {
		get(l.pairs, a.pair).fill(now, pairLimit)
	}
}

func seconds(d time.Duration) int { return max(1, int(math.Ceil(d.Seconds()))) }

func get[K comparable](m map[K]*bucket, key K) *bucket {
	b := m[key]
	if b == nil {
		b = &bucket{}
		m[key] = b
	}
	return b
}

// prune, at most once a minute, forgets buckets idle long enough to have
// emptied; past maxBuckets it forgets the per-account buckets wholesale
// (the client buckets still hold every address to its rate).
func (l *limiter) prune(now time.Time) {
	size := len(l.clients) + len(l.pairs) + len(l.accounts)
	if now.Sub(l.lastPrune) < time.Minute && size < maxBuckets {
		return
	}
	l.lastPrune = now
	pruneIdle(l.clients, now)
	pruneIdle(l.pairs, now)
	pruneIdle(l.accounts, now)
	if len(l.clients)+len(l.pairs)+len(l.accounts) >= maxBuckets {
		clear(l.pairs)
		clear(l.accounts)
	}
}

func pruneIdle[K comparable](m map[K]*bucket, now time.Time) {
	for k, b := range m {
		if now.Sub(b.at) > idle {
			delete(m, k)
		}
	}
}

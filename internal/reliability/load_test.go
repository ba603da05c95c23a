package reliability

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// shoppers keep buying and paying until ctx ends: each picks a product and
// a quantity, checks out on one of the servers, and pays on the simulator's
// hosted page (paid, a delayed method that succeeds or fails) or walks
// away, leaving the session to expire.
type shoppers struct {
	w        *world
	bases    func() []string
	products []string
	seed     uint64
	pause    time.Duration
	tl       *tally

	mu       sync.Mutex
	sessions []started // every session a shopper was given
	backlog  []started // sessions to pay later
}

func (s *shoppers) run(ctx context.Context, n int) (wait func()) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(s.seed, uint64(i)))
			for ctx.Err() == nil {
				s.once(rng)
				if s.pause > 0 {
					time.Sleep(s.pause)
				}
			}
		}()
	}
	return wg.Wait
}

func (s *shoppers) once(rng *rand.Rand) {
	// Some shoppers take their time on the payment page: they pay a while
	// later, perhaps while the server is down, so webhooks meet the outage.
	if rng.IntN(100) < 40 {
		s.mu.Lock()
		var st started
		if n := len(s.backlog); n > 0 {
			st = s.backlog[n-1]
			s.backlog = s.backlog[:n-1]
		}
		s.mu.Unlock()
		if st.SessionID != "" {
			s.payOne(rng, st)
			return
		}
	}
	bases := s.bases()
	base := bases[rng.IntN(len(bases))]
	product := s.products[rng.IntN(len(s.products))]
	st, r, err := checkoutOnce(base, product, int64(1+rng.IntN(3)))
	s.tl.add("checkout:" + statusClass(r.Status, err))
	if err != nil || r.Status != 201 {
		// The shop is down or failing: someone who got a session earlier
		// pays now, so the webhooks meet the outage.
		s.mu.Lock()
		var st started
		if n := len(s.backlog); n > 0 {
			st = s.backlog[0]
			s.backlog = s.backlog[1:]
		}
		s.mu.Unlock()
		if st.SessionID != "" {
			s.payOne(rng, st)
		}
		time.Sleep(20 * time.Millisecond)
		return
	}
	s.mu.Lock()
	s.sessions = append(s.sessions, st)
	later := rng.IntN(100) < 30
	if later {
		s.backlog = append(s.backlog, st)
	}
	s.mu.Unlock()
	if !later {
		s.payOne(rng, st)
	}
}

func (s *shoppers) payOne(rng *rand.Rand, st started) {
	outcome := ""
	switch n := rng.IntN(100); {
	case n < 50:
		outcome = "paid"
	case n < 65:
		outcome = "async_succeeded"
	case n < 80:
		outcome = "async_failed"
	default:
		s.tl.add("pay:walked_away")
		return
	}
	if err := s.w.pay(st.SessionID, outcome); err != nil {
		s.tl.add("pay:error")
		return
	}
	s.tl.add("pay:" + outcome)
}

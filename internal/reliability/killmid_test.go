package reliability

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/shoptest"
)

// The real server is killed (-9) between reserving a customer's units and
// hearing Stripe's answer: the simulator holds its answer to the session
// create, so the order is left pending with no session id. The simulator's
// delay comes before it makes the session, and it goes on after the client
// went away: after the kill Stripe either makes the session anyway (a plain
// delay) or makes nothing (a delay that ends in a 503).
// Restarted with RECONCILE_MIN_AGE=10s, the server's own reconciler gives
// the order up: the session Stripe made with the order's idempotency key,
// if any, is expired so nobody can pay it, the order is expired and the
// units come back. The binary and the simulator both run on the wall clock
// here (the world's clock is never moved), as the reconciler's minimum age
// compares the order's created_at with the binary's clock.
func TestKillBeforeStripeAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status int // the simulator's answer once the delay is over; 0: the session
	}{
		{"Stripe made the session, the shop died before hearing", 0},
		{"Stripe made nothing", 503},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			p := w.startProc(t) // RECONCILE_MIN_AGE at its default (1m) until the crash
			w.setTargets(p.url)
			a := shoptest.Login(t, p.url)
			initial := map[string]int64{}
			product := addProducts(t, a, initial, 1, 5)[0]

			// Far longer than the kill takes, far shorter than the binary's
			// 10 s per attempt at Stripe.
			const sessions = "/v1/checkout/sessions"
			w.fault(tc.status, 1, 5*time.Second, sessions)
			type answer struct {
				r   shoptest.Response
				err error
			}
			answered := make(chan answer, 1)
			go func() {
				_, r, err := checkoutOnce(p.url, product, 2)
				answered <- answer{r, err}
			}()
			// The fault is used up when the request reaches the simulator: it
			// is holding the answer now.
			eventually(t, "the simulator to hold the session create", func() error {
				var f struct {
					Faults []json.RawMessage `json:"faults"`
				}
				if err := w.simDo("GET", "/_sim/faults", nil, &f); err != nil {
					return err
				}
				if len(f.Faults) > 0 {
					return errors.New("the request has not reached the simulator")
				}
				return nil
			})
			p.kill9()
			killedAt := time.Now()
			if ans := <-answered; ans.err == nil {
				t.Fatalf("the customer got an answer (%d %s) although the server was killed before Stripe answered", ans.r.Status, ans.r.Body)
			}

			o, stock := productOrder(t, w, product)
			if o.Status != "pending" || o.SessionID != "" || stock != 3 {
				t.Fatalf("after the kill the order is %s with session %q and the stock %d, want pending, none and 3", o.Status, o.SessionID, stock)
			}
			atStripe := func() []simSession { return w.sessionsOf(o.ID) }
			// The simulator finishes the request while the server is down.
			made := ""
			if tc.status == 0 {
				eventually(t, "Stripe to make the session after the shop died", func() error {
					s := atStripe()
					if len(s) != 1 || s[0].Status != "open" {
						return fmt.Errorf("sessions for the order: %+v; the simulator's answers to %s: %s",
							s, sessions, w.simLogLines("path="+sessions))
					}
					made = s[0].ID
					return nil
				})
			} else {
				eventually(t, "Stripe to answer the dead server", func() error {
					if !strings.Contains(w.simLogs.String(), fmt.Sprintf("path=%s status=%d", sessions, tc.status)) {
						return errors.New("no answer logged")
					}
					return nil
				})
				if s := atStripe(); len(s) != 0 {
					t.Fatalf("Stripe made %+v although it answered %d", s, tc.status)
				}
			}

			p.env = append(p.env, "RECONCILE_MIN_AGE=10s") // RECONCILE_INTERVAL is 1s
			p.start()
			took := shoptest.Eventually(t, 2*time.Minute, "the reconciler to give up the order and bring its units back", func() bool {
				o, stock := productOrder(t, w, product)
				return o.Status == "expired" && stock == 5
			})
			sinceKill := time.Since(killedAt)
			// When Stripe made nothing, the reconciler cannot tell so (Stripe
			// refuses the same request only once the session would expire
			// within 30 minutes): it asks again with the order's key and
			// expires the session it gets. At most one session either way.
			left := atStripe()
			if len(left) > 1 || (made != "" && (len(left) != 1 || left[0].ID != made)) {
				t.Errorf("sessions for the order at Stripe: %+v, want at most one (%q, made before the restart)", left, made)
			}
			for _, s := range left {
				if s.Status != "expired" {
					t.Errorf("session %s is %s at Stripe after the order was given up, want expired", s.ID, s.Status)
				}
				if err := w.pay(s.ID, "paid"); err == nil {
					t.Errorf("session %s of a given-up order could still be paid", s.ID)
				}
			}
			w.drain(waitBound)
			figures := checkSettled(t, w, settleOptions{})
			inv := checkInvariant(t, w, initial)
			t.Logf("units back %s after the restart (%s after the kill); sessions at Stripe: %+v; orders: %v; %s",
				took.Round(100*time.Millisecond), sinceKill.Round(100*time.Millisecond), left, figures, inv)
		})
	}
}

package reliability

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/shoptest"
)

// The database goes away under load (connections reset, closed or frozen)
// while shoppers check out and pay and the simulator sends webhooks. A
// webhook is answered 2xx only once committed, /readyz turns 503 and back,
// no order is half-written, and after the proxy heals the redelivered
// events settle every order.
func TestDatabaseFaults(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	proxy := newTCPProxy(t, pgHostPort(t, w.dbURL))
	srv := w.startServer(serverOpts{dbURL: withHost(t, w.dbURL, proxy.addr())})
	w.setTargets(srv.URL)
	a := shoptest.Login(t, srv.URL)
	initial := map[string]int64{}
	ids := addProducts(t, a, initial, 3, 5000)

	outage := short(1500*time.Millisecond, 8*time.Second)
	rounds := short(1, 4)
	var tl tally
	var downFor []time.Duration
	for round := range rounds {
		for _, mode := range []faultMode{reset, drop, stall} {
			ctx, stop := context.WithCancel(context.Background())
			shop := &shoppers{w: w, bases: func() []string { return []string{srv.URL} }, products: ids,
				seed: uint64(round*10 + int(mode)), pause: 20 * time.Millisecond, tl: &tl}
			wait := shop.run(ctx, 3)
			// A burst of webhooks queues up, to be delivered while the database is gone.
			w.pauseWebhooks(true)
			time.Sleep(400 * time.Millisecond)

			proxy.cut(mode)
			cutAt := time.Now()
			w.pauseWebhooks(false)
			if err := waitReady(srv.URL, 503, waitBound); err != nil {
				t.Errorf("%s: %v", mode, err)
			}
			if rest := outage - time.Since(cutAt); rest > 0 {
				time.Sleep(rest)
			}
			// Every event answered 2xx so far, even during the outage, is committed.
			checkAcked(t, w, w.events())
			proxy.heal()
			downFor = append(downFor, time.Since(cutAt))
			if err := waitReady(srv.URL, 200, waitBound); err != nil {
				t.Errorf("%s: after healing: %v", mode, err)
			}
			time.Sleep(300 * time.Millisecond)
			stop()
			wait()
			t.Logf("%s: outage %s, proxy accepted %d connections, ended %d", mode, downFor[len(downFor)-1].Round(time.Millisecond), proxy.accepted, proxy.killed)
		}
	}

	// Stripe's retries (asked for now) settle what failed; then time passes,
	// the walked-away sessions expire, and the reconciler sweeps.
	res := w.quiesce(t)

	events := w.events()
	attempts := attemptFigures(events)
	if n := attempts.get("400") + attempts.get("401") + attempts.get("404"); n > 0 {
		t.Errorf("%d webhook attempts were refused with 4xx during database faults: %s", n, attempts)
	}
	if tl.get("checkout:500") > 0 {
		t.Errorf("checkout answered 500 during a database fault: %s\n%s", &tl, grepLines(srv.Logs.String(), "internal error"))
	}
	status := checkSettled(t, w, settleOptions{})
	inv := checkInvariant(t, w, initial)
	t.Logf("figures: rounds=%d modes=reset,drop,stall outage=%s each; shoppers: %s; webhook events=%d attempts: %s; reconciled=%d; orders: %v; %s",
		rounds, outage, &tl, len(events), attempts, res.Checked, status, inv)
}

func pgHostPort(t testing.TB, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func withHost(t testing.TB, dbURL, host string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = host
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	return u.String()
}

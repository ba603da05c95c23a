package reliability

import (
	"bufio"
	"context"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/auth"
	"github.com/stripeshop/stripeshop/internal/shoptest"
)

// kill -9 the real server while a stream of checkouts and payments runs,
// then restart it. Every event it answered 2xx is in the inbox, and after
// the reconciler runs every session the simulator reports paid is a paid
// order and every expired one released its units. The server runs with
// LOG_LEVEL=debug; its logs must hold none of the secrets it handled.
func TestCrashKill9(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.startProc(t)
	w.setTargets(p.url)
	a := shoptest.Login(t, p.url)
	initial := map[string]int64{}
	ids := addProducts(t, a, initial, 3, 5000)
	secrets := newSecretSet(w.key, w.secret, shoptest.AdminPassword, a.CSRF)
	for _, c := range a.HTTP.Jar.Cookies(&url.URL{Scheme: "http", Host: p.addr}) {
		if c.Name == auth.CookieName {
			secrets.add(c.Value)
		}
	}

	kills := short(2, 8)
	var tl tally
	ctx, stop := context.WithCancel(context.Background())
	shop := &shoppers{w: w, bases: func() []string { return []string{p.url} }, products: ids, seed: 7, pause: 10 * time.Millisecond, tl: &tl}
	wait := shop.run(ctx, 3)

	// An admin refunds now and then, across the crashes.
	var refunds tally
	var adminWG sync.WaitGroup
	adminWG.Add(1)
	go func() {
		defer adminWG.Done()
		for ctx.Err() == nil {
			time.Sleep(300 * time.Millisecond)
			var id string
			if err := w.db.QueryRow(context.Background(), `SELECT id::text FROM orders WHERE status = 'paid' ORDER BY random() LIMIT 1`).Scan(&id); err != nil {
				continue
			}
			r, err := a.Try("POST", "/api/admin/orders/"+id+"/refund", nil)
			refunds.add(statusClass(r.Status, err))
		}
	}()

	var downtime time.Duration
	for i := range kills {
		time.Sleep(short(1200*time.Millisecond, 5*time.Second))
		p.kill9()
		killedAt := time.Now()
		time.Sleep(short(700*time.Millisecond, 3*time.Second)) // webhooks and checkouts fail meanwhile
		p.start()
		downtime += time.Since(killedAt)
		t.Logf("kill %d: down %s", i+1, time.Since(killedAt).Round(time.Millisecond))
		// The admin's session lives in Postgres: it survives the crash.
		if r, err := a.Try("GET", "/api/admin/me", nil); err != nil || r.Status != 200 {
			t.Errorf("admin session after restart %d: %d %v", i+1, r.Status, err)
		}
	}
	time.Sleep(short(1*time.Second, 5*time.Second))
	stop()
	wait()
	adminWG.Wait()

	w.drain(waitBound)
	events := w.events()
	acked := checkAcked(t, w, events)

	// Time passes: the sessions nobody paid expire at Stripe; then the
	// reconciler heals whatever the crashes left open.
	res := w.quiesce(t)
	status := checkSettled(t, w, settleOptions{})
	inv := checkInvariant(t, w, initial)

	secrets.scan(t, "stripeshop logs", p.logs.String())
	t.Logf("figures: kills=%d downtime=%s; shoppers: %s; admin refunds: %s; events=%d acked=%d attempts: %s; reconciled=%d (errors %d); orders: %v; log lines scanned=%d; %s",
		kills, downtime.Round(time.Millisecond), &tl, &refunds, len(events), acked, attemptFigures(events), res.Checked, res.Errors, status,
		strings.Count(p.logs.String(), "\n"), inv)
}

// secretSet is what must never reach a log line.
type secretSet struct{ values []string }

func newSecretSet(v ...string) *secretSet {
	s := &secretSet{}
	for _, x := range v {
		s.add(x)
	}
	return s
}

func (s *secretSet) add(v string) {
	if len(v) >= 8 {
		s.values = append(s.values, v)
	}
}

func (s *secretSet) scan(t testing.TB, what, logs string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		for _, v := range s.values {
			if strings.Contains(sc.Text(), v) {
				t.Errorf("%s line %d holds a secret (%s…): %s", what, n, v[:6], sc.Text())
			}
		}
	}
	if n == 0 {
		t.Errorf("%s: no log lines to scan", what)
	}
}

// scrape reads a counter from a process's /metrics, summing the series
// that carry labels (given as `k="v"` pairs).
func scrape(t testing.TB, base, name string, labels ...string) float64 {
	t.Helper()
	r := shoptest.NewClient(t, base).MustDo("GET", "/metrics", nil, 200, nil)
	var sum float64
	for _, line := range strings.Split(string(r.Body), "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			if !strings.Contains(line, l) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		f := strings.Fields(line)
		v, _ := strconv.ParseFloat(f[len(f)-1], 64)
		sum += v
	}
	return sum
}

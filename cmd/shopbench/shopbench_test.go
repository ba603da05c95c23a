package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestShopbench runs every scenario very briefly against its own
// environment and checks the report's shape and the correctness checks
// (the flash sale sells exactly its stock, no request fails, nothing
// leaks). The figures of such a short run mean nothing: they are logged,
// never asserted, so a busy machine cannot fail the test.
func TestShopbench(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the server")
	}
	if raceEnabled {
		// Build the server as the tests are built, from the same cache.
		t.Setenv("GOFLAGS", "-race")
	}
	// Under 10 s idle, near a minute on a busy machine: the bound only stops
	// a run that hangs, inside go test's own 10 minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	var out, log bytes.Buffer
	err := run(ctx, []string{"--duration=300ms", "--warmup=100ms", "--rounds=1", "--concurrency=4", "--json",
		"--flash-buyers=400", "--flash-stock=40", "--products=20", "--webhook-orders-per-second=4000",
		"--crowd=40", "--latency=50ms", "--latency-jitter=10ms"}, &out, &log)
	if err != nil {
		t.Fatalf("shopbench: %v\n%s", err, log.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("the --json output is not a report: %v\n%s", err, out.String())
	}
	if rep.Machine.CPUs < 1 || !strings.HasPrefix(rep.Machine.Postgres, "PostgreSQL") || rep.Settings.Concurrency != 4 {
		t.Errorf("machine and settings: %+v %+v", rep.Machine, rep.Settings)
	}

	rows := map[string][]result{}
	for _, r := range rep.Results {
		rows[r.Scenario] = append(rows[r.Scenario], r)
	}
	want := map[string]int{"catalog": 5, "webhook": 3, "checkout": 3, "checkout-cart": 2, "flashsale": 1, "mixed": 1, "image": 2,
		"checkout-latency": 3, "flashsale-latency": 1}
	for scenario, n := range want {
		if len(rows[scenario]) != n {
			t.Errorf("%s: %d rows, want %d", scenario, len(rows[scenario]), n)
		}
	}
	// A run of 300 ms on a loaded machine may complete no request inside
	// its window, get no CPU tick of accounting (USER_HZ is 100), and so
	// have no rate, percentile or ratio: such figures are reported, never
	// asserted. What must hold whatever the load: no request failed, the
	// server's memory was read, and a ratio names its baseline.
	for _, r := range rep.Results {
		name := r.Scenario + " / " + r.Target
		t.Logf("%s: %d requests, %.0f req/s, p50 %.2f ms, p99 %.2f ms, CPU %+v", name, r.Requests, r.RPS, r.P50ms, r.P99ms, r.CPU)
		if r.Errors != 0 {
			t.Errorf("%s: %d errors: %v", name, r.Errors, r.ErrorSamples)
		}
		if !r.Baseline && (r.RSSPeakMB == nil || *r.RSSPeakMB <= 0) {
			t.Errorf("%s: no peak RSS for the server", name)
		}
		if r.Ratio != nil && r.RatioTo == "" {
			t.Errorf("%s: a ratio (%v) that names no baseline", name, *r.Ratio)
		}
		for op := range r.ByOp {
			if op != "catalog" && op != "checkout" && op != "webhook" && op != "image" {
				t.Errorf("%s: requests of an unknown kind %q", name, op)
			}
		}
	}
	if fs := rows["flashsale"]; len(fs) == 1 && fs[0].Requests+fs[0].Errors != 400 {
		t.Errorf("flash sale: %d answers and %d errors, want 400 buyers answered", fs[0].Requests, fs[0].Errors)
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "minimal chi+pgx+stripe-go handler") {
		t.Errorf("notes: %q, want the checkout's comparison of the minimal handler with the bare call", rep.Notes)
	}
	for _, scenario := range []string{"checkout", "checkout-cart"} {
		for _, r := range rows[scenario] {
			if r.Target == "stripeshop" && r.Ratio != nil && !strings.Contains(r.RatioTo, "chi+pgx+stripe-go") {
				t.Errorf("%s: the server's ratio is to %q, want the minimal handler", scenario, r.RatioTo)
			}
		}
	}
	if rep.WallS <= 0 {
		t.Errorf("wall time %v, want the run's", rep.WallS)
	}

	checks := map[string]check{}
	for _, c := range rep.Checks {
		checks[c.Name] = c
		if !c.OK {
			t.Errorf("check %s failed: %s", c.Name, c.Detail)
		}
	}
	for _, name := range []string{"flashsale", "flashsale-latency", "webhook", "checkout-cart", "catalog body", "no leak after catalog",
		"no leak after checkout-cart", "no leak after mixed", "no leak after checkout-latency"} {
		if _, ok := checks[name]; !ok {
			t.Errorf("no %q check in the report", name)
		}
	}
	for _, name := range []string{"flashsale", "flashsale-latency"} {
		if c := checks[name]; !strings.Contains(c.Detail, "40 sold, 360 clean 409s, 0 other; stock left 0, 40 orders") {
			t.Errorf("%s: %s", name, c.Detail)
		}
	}
	// The cart check compares counts of the run itself; at least one cart
	// must have been placed for it to say anything.
	if c := checks["checkout-cart"]; strings.HasPrefix(c.Detail, "0 carts") {
		t.Errorf("checkout-cart: no cart placed: %s", c.Detail)
	}
	if rep.Latency == nil || rep.Latency.Crowd != 40 || rep.Latency.LittleRPS != 800 {
		t.Errorf("checkout-latency figures: %+v", rep.Latency)
	}
	// A ratio target is stated only when its baseline completed requests
	// in its window; whether a target was met is a figure.
	stated := map[string]bool{}
	for _, tg := range rep.Targets {
		stated[tg.Name] = true
		t.Logf("target %s: %s (want %s)", tg.Name, tg.Got, tg.Want)
	}
	for _, name := range []string{"server peak RSS, every scenario", "flashsale correct, only 409s", "flashsale at Stripe's latency correct",
		"make bench (every scenario) wall time, set-up included"} {
		if !stated[name] {
			t.Errorf("targets: no %q in %+v", name, rep.Targets)
		}
	}
	if len(rep.Targets) > 12 {
		t.Errorf("targets: %+v, want at most the issue's twelve", rep.Targets)
	}
}

func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--scenarios=nope"},
		{"--duration=0s"},
		{"--flash-buyers=10", "--flash-stock=20"},
		{"--latency=0s"},
		{"--latency=100ms", "--latency-jitter=200ms"},
		{"--target=http://127.0.0.1:1"},
	} {
		var out, log bytes.Buffer
		if err := run(context.Background(), args, &out, &log); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

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
// (the flash sale sells exactly its stock). The figures of such a short
// run mean nothing and are not asserted.
func TestShopbench(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the server")
	}
	if raceEnabled {
		// Build the server as the tests are built, from the same cache.
		t.Setenv("GOFLAGS", "-race")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, log bytes.Buffer
	err := run(ctx, []string{"--duration=300ms", "--warmup=100ms", "--rounds=1", "--concurrency=4", "--json",
		"--flash-buyers=400", "--flash-stock=40", "--products=20", "--webhook-orders-per-second=4000"}, &out, &log)
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
	want := map[string]int{"catalog": 3, "webhook": 3, "checkout": 3, "flashsale": 1, "mixed": 1}
	for scenario, n := range want {
		if len(rows[scenario]) != n {
			t.Errorf("%s: %d rows, want %d", scenario, len(rows[scenario]), n)
		}
	}
	for _, r := range rep.Results {
		name := r.Scenario + " / " + r.Target
		if r.Requests == 0 || r.RPS <= 0 || r.P50ms <= 0 || r.P50ms > r.P95ms || r.P95ms > r.P99ms || r.P99ms > r.MaxMs {
			t.Errorf("%s: implausible figures %+v", name, r.summary)
		}
		if r.Errors != 0 {
			t.Errorf("%s: %d errors: %v", name, r.Errors, r.ErrorSamples)
		}
		if r.CPU.CapacityS <= 0 || r.CPU.BenchS <= 0 {
			t.Errorf("%s: no CPU accounting %+v", name, r.CPU)
		}
		if !r.Baseline && (r.RSSPeakMB == nil || *r.RSSPeakMB <= 0) {
			t.Errorf("%s: no peak RSS for the server", name)
		}
		hasBaseline := r.Scenario == "catalog" || r.Scenario == "webhook" || r.Scenario == "checkout"
		if !r.Baseline && hasBaseline && (r.Ratio == nil || *r.Ratio <= 0 || r.RatioTo == "") {
			t.Errorf("%s: no ratio to its baseline", name)
		}
	}
	if fs := rows["flashsale"]; len(fs) == 1 && fs[0].Requests != 400 {
		t.Errorf("flash sale: %d answers measured, want 400", fs[0].Requests)
	}
	if len(rep.Notes) == 0 || !strings.Contains(rep.Notes[0], "minimal chi+pgx+stripe-go handler") {
		t.Errorf("notes: %q, want the checkout's comparison with the minimal handler", rep.Notes)
	}
	if m := rows["mixed"]; len(m) == 1 && len(m[0].ByOp) != 3 {
		t.Errorf("mixed: requests by kind %v, want catalog, checkout and webhook", m[0].ByOp)
	}

	checks := map[string]check{}
	for _, c := range rep.Checks {
		checks[c.Name] = c
		if !c.OK {
			t.Errorf("check %s failed: %s", c.Name, c.Detail)
		}
	}
	for _, name := range []string{"flashsale", "webhook", "catalog body", "no leak after catalog", "no leak after mixed"} {
		if _, ok := checks[name]; !ok {
			t.Errorf("no %q check in the report", name)
		}
	}
	if c := checks["flashsale"]; !strings.Contains(c.Detail, "40 sold, 360 clean 409s, 0 other; stock left 0, 40 orders") {
		t.Errorf("flash sale: %s", c.Detail)
	}
	if len(rep.Targets) != 5 {
		t.Errorf("targets: %+v, want the issue's five", rep.Targets)
	}
}

func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--scenarios=nope"},
		{"--duration=0s"},
		{"--flash-buyers=10", "--flash-stock=20"},
		{"--target=http://127.0.0.1:1"},
	} {
		var out, log bytes.Buffer
		if err := run(context.Background(), args, &out, &log); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// report is everything one shopbench run found.
type report struct {
	Machine  machine  `json:"machine"`
	Settings settings `json:"settings"`
	Results  []result `json:"results"`
	Checks   []check  `json:"checks"`
	Targets  []target `json:"targets"`
	// Notes are figures for the reader that are neither targets nor checks.
	Notes []string `json:"notes,omitempty"`
	// Latency is what checkout-latency measured, when it ran.
	Latency *latencyFigures `json:"checkout_latency,omitempty"`
	// WallS is the run's wall time, from the start (the builds, the
	// database and the catalog included) to the report; the teardown
	// after it (stopping processes, dropping the database) takes ~1 s.
	WallS float64 `json:"wall_s"`
}

type machine struct {
	CPUs     int    `json:"cpus"`
	MemTotal string `json:"mem_total"`
	Postgres string `json:"postgres"`
	// PostgresSettings are the settings a write-heavy run depends on.
	PostgresSettings map[string]string `json:"postgres_settings"`
	GoOS             string            `json:"goos"`
	Go               string            `json:"go"`
}

type settings struct {
	Duration    string   `json:"duration"`
	Warmup      string   `json:"warmup"`
	Concurrency int      `json:"concurrency"`
	Rounds      int      `json:"rounds"`
	Scenarios   []string `json:"scenarios"`
	Server      string   `json:"server"`
	// ServerBuild says what was measured: the source tree (git describe)
	// or the prebuilt binary given.
	ServerBuild string `json:"server_build"`
	FlashBuyers int    `json:"flash_buyers"`
	FlashStock  int    `json:"flash_stock"`
	Products    int    `json:"products"`
	Images      bool   `json:"images"`
}

// result is one measured run: the server or a baseline under one scenario.
type result struct {
	Scenario    string  `json:"scenario"`
	Target      string  `json:"target"`
	Baseline    bool    `json:"baseline"`
	Concurrency int     `json:"concurrency"`
	Rounds      int     `json:"rounds"`
	DurationS   float64 `json:"duration_s"`
	summary
	ErrorSamples []string `json:"error_samples,omitempty"`
	// Ratio is this run's req/s over its scenario's first baseline's.
	Ratio   *float64 `json:"ratio,omitempty"`
	RatioTo string   `json:"ratio_to,omitempty"`
	// RSSPeakMB is the peak resident set of the process serving the run
	// during the run (since its start when it could not be reset).
	RSSPeakMB *float64 `json:"rss_peak_mb,omitempty"`
	CPU       cpuUse   `json:"cpu"`
	// CPUPerRequestMs is the CPU time the work took per request (server,
	// Postgres and simulator; the generator apart): steadier than req/s on
	// a shared machine, since others' load changes the share we get, not
	// the cost of a request.
	CPUPerRequestMs float64 `json:"cpu_per_request_ms"`
	// GeneratorBound is set when the machine was saturated and the load
	// generator used at least as much CPU as what it measured: the figure
	// then understates what the server can do.
	GeneratorBound bool `json:"generator_bound"`
	// Busy is set when other work on the machine (not ours) took more
	// than a quarter of its CPU during the run: its figures are noisy.
	Busy      bool               `json:"busy"`
	Exhausted bool               `json:"exhausted,omitempty"`
	ByOp      map[string]summary `json:"by_request,omitempty"`
	Note      string             `json:"note,omitempty"`
}

// cpuUse is the CPU time spent during the measured window, in seconds.
type cpuUse struct {
	CapacityS  float64 `json:"capacity_s"` // window × cores
	BenchS     float64 `json:"bench_s"`    // this process: the load generator (and pgx-alone / stripe-go baselines)
	ServerS    float64 `json:"server_s"`   // the process serving the run
	PostgresS  float64 `json:"postgres_s"` // backends connected to the benchmark database
	SimulatorS float64 `json:"simulator_s"`
	OtherS     float64 `json:"other_s"` // the rest of the machine: other users' work
}

type check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

type target struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
}

func (r *report) check(name string, ok bool, format string, args ...any) {
	r.Checks = append(r.Checks, check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

func (r *report) checksPassed() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

func (r *report) find(scenario string, baseline bool) *result {
	for i := range r.Results {
		if r.Results[i].Scenario == scenario && r.Results[i].Baseline == baseline {
			return &r.Results[i]
		}
	}
	return nil
}

// evaluateTargets states the targets against what was measured;
// the wall time's only when every scenario ran, as make bench runs them.
func (r *report) evaluateTargets(everyScenario bool) {
	ratio := func(scenario, name string, want float64) {
		s := r.find(scenario, false)
		if s == nil || s.Ratio == nil {
			return
		}
		r.Targets = append(r.Targets, target{Name: name, Want: fmt.Sprintf("≥ %.1f×", want),
			Got: fmt.Sprintf("%.2f×", *s.Ratio), Met: *s.Ratio >= want})
	}
	ratio("catalog", "catalog vs an empty chi handler answering the same bytes", 0.8)
	ratio("webhook", "webhook vs minimal HMAC+transaction handler", 0.9)
	ratio("checkout", "checkout, one product vs a minimal chi+pgx+stripe-go handler doing the same durable work", 0.9)
	ratio("checkout-cart", "checkout, five-line cart vs a minimal handler doing the same cart work", 0.9)
	ratio("image", "product image variant vs http.ServeContent of the same bytes", 0.8)
	maxRSS, any := 0.0, false
	for _, res := range r.Results {
		if !res.Baseline && res.RSSPeakMB != nil {
			maxRSS, any = max(maxRSS, *res.RSSPeakMB), true
		}
	}
	if any {
		r.Targets = append(r.Targets, target{Name: "server peak RSS, every scenario", Want: "< 100 MB",
			Got: fmt.Sprintf("%.1f MB", maxRSS), Met: maxRSS < 100})
	}
	for _, c := range r.Checks {
		if c.Name == "flashsale" {
			r.Targets = append(r.Targets, target{Name: "flashsale correct, only 409s", Want: "exactly the stock sold",
				Got: c.Detail, Met: c.OK})
		}
	}
	if l := r.Latency; l != nil {
		if l.BoundRPS > 0 {
			v := l.CheckoutRPS / l.BoundRPS
			r.Targets = append(r.Targets, target{Name: "checkout at Stripe's latency vs min(Little's law, CPU-bound rate)",
				Want: "≥ 0.9×", Got: fmt.Sprintf("%.2f× (%.0f/s of %.0f/s)", v, l.CheckoutRPS, l.BoundRPS), Met: v >= 0.9})
		}
		if l.CheckoutP99ms > 0 {
			r.Targets = append(r.Targets, target{Name: "checkout p99 at Stripe's latency", Want: fmt.Sprintf("≤ 1.5 × %.0f ms", l.InjectedMs),
				Got: fmt.Sprintf("%.0f ms", l.CheckoutP99ms), Met: l.CheckoutP99ms <= 1.5*l.InjectedMs})
		}
		if l.CatalogIdleP99ms > 0 && l.CatalogLoadedP99ms > 0 {
			v := l.CatalogLoadedP99ms / l.CatalogIdleP99ms
			r.Targets = append(r.Targets, target{Name: "catalog p99 during the crowd vs idle", Want: "≤ 2×",
				Got: fmt.Sprintf("%.2f× (%.2f vs %.2f ms)", v, l.CatalogLoadedP99ms, l.CatalogIdleP99ms), Met: v <= 2})
		}
	}
	for _, c := range r.Checks {
		if c.Name == "flashsale-latency" {
			r.Targets = append(r.Targets, target{Name: "flashsale at Stripe's latency correct", Want: "exactly the stock sold, no 5xx",
				Got: c.Detail, Met: c.OK})
		}
	}
	if everyScenario && r.WallS > 0 {
		r.Targets = append(r.Targets, target{Name: "make bench (every scenario) wall time, set-up included", Want: "< 6 min",
			Got: fmt.Sprintf("%.0f s", r.WallS), Met: r.WallS < 6*60})
	}
}

func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (r *report) writeTable(w io.Writer) error {
	fmt.Fprintf(w, "shopbench: %d CPUs, %s RAM, %s; %d × %s per contender (ABBA), warm-up %s, concurrency %d; server %s\n",
		r.Machine.CPUs, r.Machine.MemTotal, r.Machine.Postgres, r.Settings.Rounds, r.Settings.Duration, r.Settings.Warmup,
		r.Settings.Concurrency, r.Settings.Server)
	pictures := "without pictures"
	if r.Settings.Images {
		pictures = "each with a picture"
	}
	fmt.Fprintf(w, "catalog: %d products %s\n", r.Settings.Products, pictures)
	if r.Settings.ServerBuild != "" {
		fmt.Fprintf(w, "server build: %s\n", r.Settings.ServerBuild)
	}
	fmt.Fprintf(w, "wall time: %.0f s (set-up included, teardown not)\n", r.WallS)
	if len(r.Machine.PostgresSettings) > 0 {
		keys := make([]string, 0, len(r.Machine.PostgresSettings))
		for k := range r.Machine.PostgresSettings {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var kv []string
		for _, k := range keys {
			kv = append(kv, k+"="+r.Machine.PostgresSettings[k])
		}
		fmt.Fprintf(w, "postgres: %s\n", strings.Join(kv, " "))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\ttarget\treq/s\tp50 ms\tp95 ms\tp99 ms\terrors\tratio\tpeak RSS MB\tCPU ms/req\tCPU% gen/srv/pg/sim/other\t")
	for _, res := range r.Results {
		ratio := ""
		if res.Ratio != nil {
			ratio = fmt.Sprintf("%.2f×", *res.Ratio)
		}
		rss := "-"
		if res.RSSPeakMB != nil {
			rss = fmt.Sprintf("%.1f", *res.RSSPeakMB)
		}
		flag := ""
		if res.GeneratorBound {
			flag = " (gen-bound)"
		}
		if res.Exhausted {
			flag += " (data used up)"
		}
		if res.Busy {
			flag += " (busy machine)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.2f\t%.2f\t%.2f\t%d\t%s\t%s\t%.3f\t%s%s\t\n", res.Scenario, res.Target, res.RPS,
			res.P50ms, res.P95ms, res.P99ms, res.Errors, ratio, rss, res.CPUPerRequestMs, res.CPU.shares(), flag)
		for _, name := range []string{"catalog", "checkout", "webhook"} {
			if s, ok := res.ByOp[name]; ok && len(res.ByOp) > 1 {
				fmt.Fprintf(tw, "\t  of which %s\t%.0f\t%.2f\t%.2f\t%.2f\t%d\t\t\t\t\t\n", name, s.RPS, s.P50ms, s.P95ms, s.P99ms, s.Errors)
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var errs []string
	for _, res := range r.Results {
		for _, e := range res.ErrorSamples {
			errs = append(errs, fmt.Sprintf("  %s / %s: %s", res.Scenario, res.Target, e))
		}
	}
	if len(errs) > 0 {
		fmt.Fprintf(w, "\nerror samples:\n%s\n", strings.Join(errs, "\n"))
	}
	fmt.Fprintln(w, "\ntargets:")
	for _, t := range r.Targets {
		fmt.Fprintf(w, "  %-4s %s: %s (want %s)\n", mark(t.Met), t.Name, t.Got, t.Want)
	}
	fmt.Fprintln(w, "\nchecks:")
	for _, c := range r.Checks {
		fmt.Fprintf(w, "  %-4s %s: %s\n", mark(c.OK), c.Name, c.Detail)
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "\nnotes:")
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
	return nil
}

func mark(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISS"
}

// shares renders CPU use as percentages of the machine's capacity.
func (c cpuUse) shares() string {
	if c.CapacityS <= 0 {
		return "-"
	}
	p := func(s float64) int { return int(100*s/c.CapacityS + 0.5) }
	return fmt.Sprintf("%d/%d/%d/%d/%d", p(c.BenchS), p(c.ServerS), p(c.PostgresS), p(c.SimulatorS), p(c.OtherS))
}

func seconds(d time.Duration) float64 { return d.Seconds() }

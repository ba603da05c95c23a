package main

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"time"
)

// runSpec is one contender of a scenario: the server or a baseline.
type runSpec struct {
	scenario string
	target   string
	baseline bool
	// serverPID is the process that serves the run (its CPU time and peak
	// RSS are reported); 0 when the load generator does the work itself.
	serverPID int
	// onSimulator measures the simulator as the serving process (its pid
	// changes when it is restarted).
	onSimulator bool
	// profile captures the server's CPU profile (and Postgres's waits)
	// during the first round, with --cpuprofile.
	profile bool
	pick    func(w *worker) *op
	// concurrency is this contender's number of clients (0: --concurrency).
	concurrency int
	// pause, when set, runs before each request of a worker (runLoad).
	pause func(w *worker)
	// before runs ahead of each measured run (a fresh simulator, say).
	before func(ctx context.Context) error
}

// runData is what one measured run saw.
type runData struct {
	load     loadResult
	cpu      cpuUse
	busyS    float64
	rssMB    float64 // < 0 when unknown
	rssReset bool
	note     string
}

// contend measures each contender --rounds times, in ABBA order (the
// second round runs them in reverse, and so on) so that a drift in the
// machine's other load weighs on all alike, and adds one row per
// contender to the report.
func (b *bench) contend(ctx context.Context, specs ...runSpec) ([]result, error) {
	runs := make([][]runData, len(specs))
	for round := range b.cfg.rounds {
		order := make([]int, len(specs))
		for i := range order {
			order[i] = i
		}
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, i := range order {
			rs := specs[i]
			if rs.before != nil {
				if err := rs.before(ctx); err != nil {
					return nil, err
				}
			}
			if rs.onSimulator {
				rs.serverPID = b.env.simPID
			}
			d := b.measureOnce(ctx, rs, rs.profile && round == 0)
			runs[i] = append(runs[i], d)
			s := summarize(&d.load.all, d.load.elapsed)
			b.say("  %-40s round %d: %8.0f req/s  p99 %7.2f ms  errors %d", rs.target, round+1, s.RPS, s.P99ms, s.Errors)
		}
	}
	out := make([]result, len(specs))
	for i, rs := range specs {
		out[i] = b.combine(rs, runs[i])
		b.rep.Results = append(b.rep.Results, out[i])
	}
	return out, nil
}

// combine merges the rounds of one contender into its result row.
func (b *bench) combine(rs runSpec, runs []runData) result {
	var (
		all     opStats
		byOp    = map[string]*opStats{}
		cpu     cpuUse
		busy    float64
		rss     = -1.0
		notes   []string
		exhaust bool
		reset   = true
	)
	var dur time.Duration
	for _, d := range runs {
		all.merge(&d.load.all)
		for name, s := range d.load.byOp {
			if byOp[name] == nil {
				byOp[name] = &opStats{}
			}
			byOp[name].merge(s)
		}
		dur += d.load.elapsed
		cpu.CapacityS += d.cpu.CapacityS
		cpu.BenchS += d.cpu.BenchS
		cpu.ServerS += d.cpu.ServerS
		cpu.PostgresS += d.cpu.PostgresS
		cpu.SimulatorS += d.cpu.SimulatorS
		cpu.OtherS += d.cpu.OtherS
		busy += d.busyS
		rss = max(rss, d.rssMB)
		reset = reset && d.rssReset
		exhaust = exhaust || d.load.exhausted
		if d.note != "" && !slices.Contains(notes, d.note) {
			notes = append(notes, d.note)
		}
	}
	res := result{Scenario: rs.scenario, Target: rs.target, Baseline: rs.baseline, Concurrency: b.concurrency(rs),
		Rounds: len(runs), DurationS: dur.Seconds(), summary: summarize(&all, dur), ErrorSamples: all.samples,
		Exhausted: exhaust, CPU: cpu}
	if len(byOp) > 1 {
		res.ByOp = map[string]summary{}
		for name, s := range byOp {
			res.ByOp[name] = summarize(s, dur)
		}
	}
	if rss >= 0 {
		res.RSSPeakMB = &rss
		if !reset {
			notes = append(notes, "peak RSS since the process started")
		}
	}
	measured := cpu.ServerS + cpu.PostgresS + cpu.SimulatorS
	// Only where a separate process serves: against the simulator the
	// generator's stripe-go calls are the baseline's own work.
	res.GeneratorBound = rs.serverPID != 0 && !rs.onSimulator && cpu.CapacityS > 0 && busy >= 0.9*cpu.CapacityS && cpu.BenchS >= measured
	if res.Requests > 0 {
		res.CPUPerRequestMs = 1000 * (cpu.ServerS + cpu.PostgresS + cpu.SimulatorS) / float64(res.Requests)
	}
	res.Busy = cpu.CapacityS > 0 && cpu.OtherS > 0.25*cpu.CapacityS
	res.Note = strings.Join(notes, "; ")
	return res
}

func (b *bench) concurrency(rs runSpec) int {
	if rs.concurrency > 0 {
		return rs.concurrency
	}
	return b.cfg.concurrency
}

// measureOnce runs one closed loop.
func (b *bench) measureOnce(ctx context.Context, rs runSpec, profile bool) runData {
	conc := b.concurrency(rs)
	d := runData{rssMB: -1}
	d.rssReset = rs.serverPID != 0 && resetPeakRSS(rs.serverPID)
	var (
		start, end  cpuPoint
		prof, waits chan error
	)
	d.load = runLoad(ctx, loadSpec{
		concurrency: conc, warmup: b.cfg.warmup, duration: b.cfg.duration, pick: rs.pick, pause: rs.pause,
		measureStart: func() {
			start = b.cpuPoint(ctx, rs.serverPID)
			if profile && b.cfg.cpuprofile != "" {
				prof = b.fetchProfile(ctx, rs.scenario)
				waits = b.sampleWaits(ctx, rs.scenario, b.cfg.duration)
			}
		},
		measureEnd: func() { end = b.cpuPoint(ctx, rs.serverPID) },
	})
	if rs.serverPID != 0 {
		if rss, err := peakRSS(rs.serverPID); err == nil {
			d.rssMB = float64(rss) / (1 << 20)
		}
	}
	d.cpu = cpuUse{
		CapacityS:  d.load.elapsed.Seconds() * float64(runtime.NumCPU()),
		BenchS:     seconds(end.bench - start.bench),
		ServerS:    seconds(end.server - start.server),
		PostgresS:  seconds(end.pg.since(start.pg)),
		SimulatorS: seconds(end.sim - start.sim),
	}
	d.busyS = seconds(end.machine - start.machine)
	d.cpu.OtherS = max(0, d.busyS-d.cpu.BenchS-d.cpu.ServerS-d.cpu.PostgresS-d.cpu.SimulatorS)
	for _, c := range []chan error{prof, waits} {
		if c == nil {
			continue
		}
		if err := <-c; err != nil {
			d.note = "profile: " + err.Error()
		}
	}
	return d
}

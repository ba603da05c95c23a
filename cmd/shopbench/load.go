package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// errExhausted stops a worker: its run used up the data prepared for it.
var errExhausted = errors.New("prepared data used up")

// op is one kind of request a worker makes.
type op struct {
	name string
	do   func(ctx context.Context, w *worker) error
}

// worker is one closed-loop client: it sends a request, waits for the
// answer, and sends the next.
type worker struct {
	id        int
	rng       *rand.Rand
	buf       bytes.Buffer
	conns     map[string]*rawConn
	endpoints map[string]endpoint
}

func newWorker(id int, seed uint64) *worker {
	return &worker{id: id, rng: rand.New(rand.NewPCG(uint64(id), seed)),
		conns: map[string]*rawConn{}, endpoints: map[string]endpoint{}}
}

// close closes the worker's connections, so the server's side of them ends.
func (w *worker) close() {
	for _, c := range w.conns {
		c.close()
	}
}

// loadSpec describes one closed-loop run.
type loadSpec struct {
	concurrency int
	warmup      time.Duration
	duration    time.Duration
	pick        func(w *worker) *op
	// pause, when set, runs before each request, outside its latency: a
	// paced probe rather than a closed loop.
	pause func(w *worker)
	// measureStart and measureEnd are called as the measured window opens
	// and closes (CPU samples, the profile).
	measureStart func()
	measureEnd   func()
}

// opStats gathers one kind of request's outcomes.
type opStats struct {
	latencies []time.Duration
	errors    int
	samples   []string
}

func (s *opStats) add(d time.Duration, err error) {
	if err != nil {
		s.errors++
		if len(s.samples) < 3 && !slices.Contains(s.samples, err.Error()) {
			s.samples = append(s.samples, err.Error())
		}
		return
	}
	s.latencies = append(s.latencies, d)
}

func (s *opStats) merge(o *opStats) {
	s.latencies = append(s.latencies, o.latencies...)
	s.errors += o.errors
	for _, m := range o.samples {
		if len(s.samples) < 3 && !slices.Contains(s.samples, m) {
			s.samples = append(s.samples, m)
		}
	}
}

// loadResult is what a run measured.
type loadResult struct {
	elapsed   time.Duration
	all       opStats
	byOp      map[string]*opStats
	exhausted bool
}

// runLoad runs spec: every worker loops until the window closes; only
// requests that start and end inside the measured window count.
func runLoad(ctx context.Context, spec loadSpec) loadResult {
	t0 := time.Now()
	start := t0.Add(spec.warmup)
	end := start.Add(spec.duration)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type workerOut struct {
		byOp      map[string]*opStats
		exhausted bool
	}
	outs := make([]workerOut, spec.concurrency)
	var wg sync.WaitGroup
	allDone := make(chan struct{})
	for i := range spec.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker(i, uint64(t0.UnixNano()))
			defer w.close()
			out := workerOut{byOp: map[string]*opStats{}}
			for ctx.Err() == nil {
				if spec.pause != nil {
					spec.pause(w)
				}
				began := time.Now()
				if began.After(end) {
					break
				}
				o := spec.pick(w)
				err := o.do(ctx, w)
				done := time.Now()
				if errors.Is(err, errExhausted) {
					out.exhausted = true
					break
				}
				if began.Before(start) || done.After(end) || ctx.Err() != nil {
					continue
				}
				s := out.byOp[o.name]
				if s == nil {
					s = &opStats{}
					out.byOp[o.name] = s
				}
				s.add(done.Sub(began), err)
			}
			outs[i] = out
		}()
	}
	go func() { wg.Wait(); close(allDone) }()

	res := loadResult{byOp: map[string]*opStats{}}
	select {
	case <-time.After(time.Until(start)):
	case <-allDone:
	case <-ctx.Done():
	}
	if spec.measureStart != nil {
		spec.measureStart()
	}
	select {
	case <-time.After(time.Until(end)):
	case <-allDone:
	case <-ctx.Done():
	}
	closed := time.Now()
	if spec.measureEnd != nil {
		spec.measureEnd()
	}
	<-allDone
	// A run that used up its data early is measured up to then.
	if closed.After(end) {
		closed = end
	}
	res.elapsed = max(0, closed.Sub(start))
	for _, o := range outs {
		res.exhausted = res.exhausted || o.exhausted
		for name, s := range o.byOp {
			if res.byOp[name] == nil {
				res.byOp[name] = &opStats{}
			}
			res.byOp[name].merge(s)
			res.all.merge(s)
		}
	}
	return res
}

// summary is the latency distribution of a run.
type summary struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	RPS      float64 `json:"rps"`
	P50ms    float64 `json:"p50_ms"`
	P95ms    float64 `json:"p95_ms"`
	P99ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
}

func summarize(s *opStats, elapsed time.Duration) summary {
	l := slices.Clone(s.latencies)
	slices.Sort(l)
	out := summary{Requests: len(l), Errors: s.errors}
	if elapsed > 0 {
		out.RPS = float64(len(l)) / elapsed.Seconds()
	}
	if len(l) > 0 {
		out.P50ms, out.P95ms, out.P99ms = ms(percentile(l, 50)), ms(percentile(l, 95)), ms(percentile(l, 99))
		out.MaxMs = ms(l[len(l)-1])
	}
	return out
}

// percentile is the nearest-rank percentile of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// call sends one request and checks the status; the body is left in w.buf.
func (w *worker) call(ctx context.Context, method, url string, body []byte, header map[string]string, want int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ep, ok := w.endpoints[url]
	if !ok {
		var err error
		if ep, err = parseEndpoint(url); err != nil {
			return err
		}
		w.endpoints[url] = ep
	}
	c := w.conns[ep.addr]
	if c == nil {
		c = newRawConn(ep.addr)
		w.conns[ep.addr] = c
	}
	status, err := c.do(method, ep.path, header, body, &w.buf)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, ep.path, err)
	}
	if status != want {
		b := w.buf.Bytes()
		if len(b) > 200 {
			b = b[:200]
		}
		return fmt.Errorf("%s %s: status %d: %s", method, ep.path, status, bytes.TrimSpace(b))
	}
	return nil
}

package main

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// catalogProbePace is the gap between two requests of the catalog probe:
// a reader browsing while the crowd buys, not a load of its own.
const catalogProbePace = 5 * time.Millisecond

// checkoutLatency: a crowd of --crowd buyers at once, each a new visitor
// (its own connection and client address, one checkout, gone; another
// takes its place), buying a product of unlimited stock while the
// simulator answers every API call after --latency ± --latency-jitter, as
// Stripe does. With so many waiting on Stripe, the rate is bounded by
// Little's law (crowd / latency) or by the CPU (the same buyers' rate at
// zero latency, measured in the same run), whichever is lower; the
// crowd must reach 0.9× that bound with a p99 within 1.5× the latency.
// A paced reader of the catalog runs alongside, and alone (its idle p99):
// a crowd waiting on Stripe must not starve it of connections. Last, the
// flash sale runs again at that latency.
func (b *bench) checkoutLatency(ctx context.Context) error {
	if b.env.sim == nil {
		b.rep.Notes = append(b.rep.Notes, "checkout-latency needs the simulator shopbench starts (not --target): skipped")
		return nil
	}
	latencyEnv := map[string]string{
		"STRIPESIM_LATENCY":        b.cfg.latency.String(),
		"STRIPESIM_LATENCY_JITTER": b.cfg.latencyJitter.String(),
	}
	defer func() {
		b.env.simEnv = nil
		_ = b.env.restartSim(context.WithoutCancel(ctx))
	}()
	slowSim := func(ctx context.Context) error {
		b.env.simEnv = latencyEnv
		return b.env.restartSim(ctx)
	}

	p := b.products[0] // unlimited stock
	checkoutURL := b.env.serverURL + "/api/checkout"
	body := fmt.Appendf(nil, `{"product_id":%q,"quantity":1}`, p.ID)
	catalogOp := getOp("catalog", b.env.serverURL+"/api/products", map[string]string{"Accept-Encoding": browserEncodings})
	buyOp := &op{name: "checkout", do: func(ctx context.Context, w *worker) error {
		// A new visitor each time: the connection goes with the buyer.
		defer w.close()
		return w.call(ctx, "POST", checkoutURL, body, map[string]string{
			"Content-Type": "application/json", "X-Forwarded-For": b.buyerAddr(),
		}, http.StatusCreated)
	}}
	// Worker 0 reads the catalog at a steady pace; the others are buyers.
	probePause := func(w *worker) {
		if w.id == 0 {
			time.Sleep(catalogProbePace)
		}
	}
	crowdTarget := fmt.Sprintf("stripeshop, %d buyers, Stripe %v ± %v", b.cfg.crowd, b.cfg.latency, b.cfg.latencyJitter)
	specs := []runSpec{
		{scenario: "checkout-latency", target: "catalog alone, paced (idle p99)", baseline: true, concurrency: 1,
			serverPID: b.env.serverPID, pause: probePause, pick: func(*worker) *op { return catalogOp }},
		{scenario: "checkout-latency", target: crowdTarget, serverPID: b.env.serverPID, profile: true,
			concurrency: b.cfg.crowd + 1, pause: probePause, before: slowSim, pick: func(w *worker) *op {
				if w.id == 0 {
					return catalogOp
				}
				return buyOp
			}},
	}
	// The CPU-bound rate of the same buyers (a new visitor and connection
	// for each checkout, which costs the server, the generator and the
	// kernel more than the checkout scenario's kept-alive clients) with
	// Stripe answering at once: what the machine can do when nobody waits.
	specs = append(specs, runSpec{scenario: "checkout-latency", target: "stripeshop, same buyers, Stripe at 0 ms (CPU-bound rate)",
		baseline: true, serverPID: b.env.serverPID, before: func(ctx context.Context) error {
			b.env.simEnv = nil
			return b.env.restartSim(ctx)
		}, pick: func(*worker) *op { return buyOp }})
	res, err := b.contend(ctx, specs...)
	if err != nil {
		return err
	}
	cpuBound := res[2].RPS
	little := float64(b.cfg.crowd) / b.cfg.latency.Seconds()
	bound, boundName := little, fmt.Sprintf("Little's law: %d / %v = %.0f/s", b.cfg.crowd, b.cfg.latency, little)
	if cpuBound > 0 && cpuBound < little {
		bound, boundName = cpuBound, fmt.Sprintf("the CPU-bound checkout rate, %.0f/s (Little's law: %.0f/s)", cpuBound, little)
	}
	crowd := res[1]
	checkouts, probeLoaded := crowd.ByOp["checkout"], crowd.ByOp["catalog"]
	for i := range b.rep.Results {
		r := &b.rep.Results[i]
		if r.Scenario == crowd.Scenario && r.Target == crowd.Target && bound > 0 {
			v := checkouts.RPS / bound
			r.Ratio, r.RatioTo = &v, boundName
		}
	}
	b.rep.Latency = &latencyFigures{
		InjectedMs: ms(b.cfg.latency), JitterMs: ms(b.cfg.latencyJitter), Crowd: b.cfg.crowd,
		CheckoutRPS: checkouts.RPS, LittleRPS: little, CPUBoundRPS: cpuBound, BoundRPS: bound,
		CheckoutP99ms: checkouts.P99ms, CatalogIdleP99ms: res[0].P99ms, CatalogLoadedP99ms: probeLoaded.P99ms,
	}
	b.rep.Notes = append(b.rep.Notes, fmt.Sprintf(
		"checkout at Stripe's latency: %.0f checkouts/s against %s; p99 %.0f ms (Stripe %v); catalog p99 %.2f ms during the crowd, %.2f ms idle",
		checkouts.RPS, boundName, checkouts.P99ms, b.cfg.latency, probeLoaded.P99ms, res[0].P99ms))

	if err := slowSim(ctx); err != nil {
		return err
	}
	return b.flashsaleAs(ctx, "flashsale-latency")
}

// latencyFigures are the checkout-latency scenario's figures the targets
// read.
type latencyFigures struct {
	InjectedMs         float64 `json:"injected_ms"`
	JitterMs           float64 `json:"jitter_ms"`
	Crowd              int     `json:"crowd"`
	CheckoutRPS        float64 `json:"checkout_rps"`
	LittleRPS          float64 `json:"little_rps"`
	CPUBoundRPS        float64 `json:"cpu_bound_rps"`
	BoundRPS           float64 `json:"bound_rps"`
	CheckoutP99ms      float64 `json:"checkout_p99_ms"`
	CatalogIdleP99ms   float64 `json:"catalog_idle_p99_ms"`
	CatalogLoadedP99ms float64 `json:"catalog_loaded_p99_ms"`
}

package stripesim_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/stripesim"
)

// Every API call waits at least Latency − LatencyJitter before its answer,
// and calls made together all get their answer (the wait holds no lock an
// idempotent POST would queue behind).
func TestLatencyDelaysEveryAPICall(t *testing.T) {
	const latency, jitter = 40 * time.Millisecond, 10 * time.Millisecond
	e := newEnv(t, func(c *stripesim.Config) { c.Latency, c.LatencyJitter = latency, jitter })
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			began := time.Now()
			s, err := e.api.CheckoutSessions.New(sessionParams(fmt.Sprintf("order-%d", i), e.clock.Now()))
			if err != nil {
				t.Errorf("create session: %v", err)
				return
			}
			if took := time.Since(began); took < latency-jitter {
				t.Errorf("session %s answered after %v, before the latency's lower bound %v", s.ID, took, latency-jitter)
			}
		}()
	}
	wg.Wait()
}

func TestConfigFromEnvReadsLatency(t *testing.T) {
	env := map[string]string{"STRIPESIM_LATENCY": "300ms", "STRIPESIM_LATENCY_JITTER": "50ms"}
	c, err := stripesim.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || c.Latency != 300*time.Millisecond || c.LatencyJitter != 50*time.Millisecond {
		t.Fatalf("ConfigFromEnv = %v, %v, %v", c.Latency, c.LatencyJitter, err)
	}
	for _, bad := range []map[string]string{{"STRIPESIM_LATENCY": "soon"}, {"STRIPESIM_LATENCY_JITTER": "-1ms"}} {
		if _, err := stripesim.ConfigFromEnv(func(k string) string { return bad[k] }); err == nil {
			t.Errorf("ConfigFromEnv(%v) accepted it", bad)
		}
	}
}

package checkout

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts what the workflow does.
type Metrics struct {
	Events          *prometheus.CounterVec // by type and outcome
	Transitions     *prometheus.CounterVec // by from and to
	ReconcilerRuns  *prometheus.CounterVec // by outcome
	VersionMismatch prometheus.Counter
	Flagged         prometheus.Counter
}

// NewMetrics registers the workflow's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stripeshop_webhook_events_total",
			Help: "Stripe webhook events received, by type and outcome.",
		}, []string{"type", "outcome"}),
		Transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stripeshop_order_transitions_total",
			Help: "Order status transitions applied.",
		}, []string{"from", "to"}),
		ReconcilerRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stripeshop_reconciler_runs_total",
			Help: "Reconciler sweeps, by outcome (ok, skipped when another replica holds the lock, error).",
		}, []string{"outcome"}),
		VersionMismatch: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stripeshop_webhook_api_version_mismatch_total",
			Help: "Events rendered at an API version other than the one stripe-go decodes.",
		}),
		Flagged: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stripeshop_orders_flagged_total",
			Help: "Orders flagged for the admin (amount mismatch, payment after expiry).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.Events, m.Transitions, m.ReconcilerRuns, m.VersionMismatch, m.Flagged)
	}
	return m
}

// Package httpapi is stripeshop's HTTP face: the routes of API.md, JSON
// decoding and encoding, one error mapper, and the embedded React app.
package httpapi

import (
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stripeshop/stripeshop/internal/auth"
	"github.com/stripeshop/stripeshop/internal/checkout"
	"github.com/stripeshop/stripeshop/internal/jobs"
)

// Deps is everything the server needs; run builds it.
type Deps struct {
	Logger   *slog.Logger
	Pool     *pgxpool.Pool
	Checkout *checkout.Service
	Auth     *auth.Service
	// Catalog serves the public catalog from memory; its listener runs
	// beside the server (CatalogCache.Run).
	Catalog  *CatalogCache
	Registry *prometheus.Registry
	// Jobs is the job queue (e-mails, the reconciler's sweeps).
	Jobs *jobs.Queue
	// Web is the built React app (web.Dist()); it may lack index.html.
	Web            fs.FS
	TrustedProxies []*net.IPNet
	// MetricsAllow lists the client networks besides loopback that may read
	// /metrics; to anyone else it does not exist.
	MetricsAllow []*net.IPNet
	CORSOrigins  []string
	// CheckoutRateLimit is how many checkouts and cancels a minute one client
	// may make (status calls: four times as many); 0 means no limit.
	CheckoutRateLimit int
	Now               func() time.Time
	// Profiling mounts net/http/pprof under /debug/pprof (STRIPESHOP_PPROF=1);
	// never on a server the public can reach.
	Profiling bool
	// Shop is the shop's name and tagline (GET /api/shop).
	Shop ShopInfo
}

// NewServer returns the shop's handler. It is a chi router, so tests can
// walk its routes.
func NewServer(d Deps) http.Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	return routes(d)
}

// NewHTTPServer wraps h with timeouts against slow clients.
func NewHTTPServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

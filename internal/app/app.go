// Package app builds the shop from its configuration: the one wiring of the
// database, the workflow, admin auth, the catalog cache and the HTTP
// handler. `stripeshop serve` runs it; every test that needs a shop starts
// it through internal/shoptest.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stripeshop/stripeshop/internal/auth"
	"github.com/stripeshop/stripeshop/internal/checkout"
	"github.com/stripeshop/stripeshop/internal/config"
	"github.com/stripeshop/stripeshop/internal/httpapi"
	"github.com/stripeshop/stripeshop/internal/jobs"
	"github.com/stripeshop/stripeshop/internal/mail"
	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/web"
)

// Options are what a test may change beyond the configuration; the zero
// value is production's.
type Options struct {
	// LogOutput receives the log (default os.Stderr), in cfg's level and format.
	LogOutput io.Writer
	// BufferLog writes the log's info lines in batches (bufferedLog)
	// rather than one write per line; Close writes what is left. serve
	// sets it; tests that read the log as it is written leave it off.
	BufferLog bool
	// Web is the built React app (default web.Dist()).
	Web fs.FS
	// Now is the workflow's clock (session expiry, the reconciler); webhook
	// signatures are always checked against the wall clock.
	Now func() time.Time
	// BcryptCost of admin passwords (default auth's).
	BcryptCost int
	// SessionLifetime bounds an admin session, idle or not (default auth's).
	SessionLifetime time.Duration
	// StripeTimeout bounds one HTTP attempt at Stripe (default 10s);
	// StripeRetries is how often stripe-go retries one (default 2, negative
	// for none); CheckoutWait bounds a Stripe call a customer waits for,
	// retries included (default checkout's).
	StripeTimeout time.Duration
	StripeRetries int64
	CheckoutWait  time.Duration
	// MailRescueAfter is how long an e-mail job may run before another
	// replica takes it for stuck and sends it (default jobs').
	MailRescueAfter time.Duration
}

// App is one running shop.
type App struct {
	Handler  http.Handler
	Logger   *slog.Logger
	Pool     *pgxpool.Pool
	Checkout *checkout.Service
	Auth     *auth.Service
	Catalog  *httpapi.CatalogCache
	Registry *prometheus.Registry
	// Jobs is the job queue: e-mails and the periodic reconciler.
	Jobs *jobs.Queue

	logBuf *bufferedLog // nil unless Options.BufferLog
}

// New connects to cfg.DatabaseURL, applies the migrations, creates the
// first admin when cfg names one, and builds the handler. Run starts the
// background loops; Close releases the database.
func New(ctx context.Context, cfg config.Config, o Options) (*App, error) {
	if o.LogOutput == nil {
		o.LogOutput = os.Stderr
	}
	if o.Web == nil {
		o.Web = web.Dist()
	}
	if o.StripeTimeout == 0 {
		o.StripeTimeout = 10 * time.Second
	}
	switch {
	case o.StripeRetries == 0:
		o.StripeRetries = 2
	case o.StripeRetries < 0:
		o.StripeRetries = 0
	}
	var logBuf *bufferedLog
	if o.BufferLog {
		logBuf = newBufferedLog(o.LogOutput)
		o.LogOutput = logBuf
	}
	log := newLogger(cfg, o.LogOutput)
	if logBuf != nil {
		log = slog.New(flushingHandler{log.Handler(), logBuf})
	}

	pool, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err == nil {
		if err = postgres.MigrateUp(pool); err != nil {
			pool.Close()
		}
	}
	if err != nil {
		if logBuf != nil {
			_ = logBuf.Close()
		}
		return nil, err
	}
	authSvc := auth.New(auth.Config{Pool: pool, SecureCookie: cfg.SecureCookies(), BcryptCost: o.BcryptCost,
		Lifetime: o.SessionLifetime, IdleTimeout: o.SessionLifetime, Logger: log})
	a := &App{Logger: log, Pool: pool, Auth: authSvc, Registry: prometheus.NewRegistry(), logBuf: logBuf}
	if cfg.AdminEmail != "" {
		created, err := authSvc.EnsureFirstAdmin(ctx, cfg.AdminEmail, cfg.AdminPassword)
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("create the first admin: %w", err)
		}
		if created {
			log.Info("first admin created from ADMIN_EMAIL", "email", cfg.AdminEmail)
		}
	}

	if a.Jobs, err = newJobs(cfg, o, log, pool, a); err != nil {
		a.Close()
		return nil, err
	}
	a.Checkout = checkout.New(checkout.Config{
		Mail: a.Jobs,
		Pool: pool,
		Payments: payments.New(payments.Config{
			SecretKey: cfg.StripeSecretKey, APIURL: cfg.StripeAPIURL,
			Timeout: o.StripeTimeout, MaxNetworkRetries: o.StripeRetries, Logger: log,
		}),
		Logger:         log,
		Metrics:        checkout.NewMetrics(a.Registry),
		AppURL:         cfg.AppURL,
		StripeTimeout:  o.CheckoutWait,
		Now:            o.Now,
		WebhookSecrets: cfg.StripeWebhookSecret,
		ReconcileAge:   cfg.ReconcileMinAge,
		// CHECKOUT_MAX_UNITS_PER_CLIENT
		MaxUnitsPerClient: cfg.CheckoutMaxUnitsPerClient,
		Sessions: checkout.SessionOptions{ShippingCountries: cfg.ShippingCountries, FreeShippingOver: cfg.FreeShippingOver,
			PromotionCodes: cfg.PromotionCodes, AutomaticTax: cfg.AutomaticTax, TaxBehavior: cfg.TaxBehavior},
	})
	a.Catalog = httpapi.NewCatalogCache(httpapi.CacheConfig{Pool: pool, Logger: log, Registry: a.Registry, AppURL: cfg.AppURL})
	if cfg.Profiling {
		log.Warn("STRIPESHOP_PPROF=1: profiling endpoints are served under /debug/pprof")
	}
	a.Handler = httpapi.NewServer(httpapi.Deps{
		Logger: log, Pool: pool, Checkout: a.Checkout, Auth: authSvc, Registry: a.Registry,
		Catalog: a.Catalog, Web: o.Web, Jobs: a.Jobs,
		TrustedProxies: cfg.TrustedProxies, CORSOrigins: cfg.CORSOrigins, MetricsAllow: cfg.MetricsAllow,
		CheckoutRateLimit: cfg.CheckoutRateLimit,
		Profiling:         cfg.Profiling,
		Shop:              httpapi.ShopInfo{Name: cfg.ShopName, Tagline: cfg.ShopTagline},
	})
	return a, nil
}

// newJobs builds the job queue: e-mail through SMTP_URL when it is set, and
// the reconciler's periodic sweep (on the workflow a is about to have).
func newJobs(cfg config.Config, o Options, log *slog.Logger, pool *pgxpool.Pool, a *App) (*jobs.Queue, error) {
	jc := jobs.Config{Pool: pool, Logger: log, Staff: cfg.MailStaff,
		Shop:        mail.Shop{Name: cfg.ShopName, URL: cfg.AppURL},
		MaxAttempts: cfg.MailMaxAttempts, RetryBase: cfg.MailRetryBase, RescueAfter: o.MailRescueAfter,
		Domain: appHost(cfg.AppURL),
		Periodic: []jobs.Periodic{
			{Name: "reconcile", Every: cfg.ReconcileInterval, Run: func(ctx context.Context) error {
				_, err := a.Checkout.Reconcile(ctx, a.Checkout.ReconcileAge())
				if errors.Is(err, checkout.ErrLocked) {
					return nil
				}
				return err
			}},
			{Name: "sweep_admin_sessions", Every: 30 * time.Minute, Run: a.Auth.SweepExpired},
		},
	}
	if cfg.SMTPURL != "" {
		st, err := mail.ParseURL(cfg.SMTPURL)
		if err != nil {
			return nil, fmt.Errorf("SMTP_URL: %w", err)
		}
		jc.Sender = mail.NewSender(st, cfg.MailFrom, 0)
	} else {
		log.Warn("SMTP_URL is not set: the shop sends no e-mail")
	}
	return jobs.New(jc)
}

func appHost(appURL string) string {
	if u, err := url.Parse(appURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "localhost"
}

// Run keeps the shop's background work going until ctx ends: the job
// queue (e-mails, the reconciler's sweeps) and the catalog cache's
// listener.
func (a *App) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.runJobs(ctx) }()
	go func() { defer wg.Done(); a.Catalog.Run(ctx) }()
	wg.Wait()
}

// runJobs runs River's workers until ctx ends, then lets a running send
// finish for a few seconds: a send cut short is sent again by whichever
// replica takes the job next.
func (a *App) runJobs(ctx context.Context) {
	if err := a.Jobs.Start(ctx); err != nil {
		a.Logger.Error("job queue did not start", "err", err)
		return
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := a.Jobs.Stop(stopCtx); err != nil {
		a.Logger.Warn("job queue stop", "err", err)
	}
}

// Close closes the pool and writes the log lines still buffered; call it
// after Run has returned and the HTTP server has shut down.
func (a *App) Close() {
	a.Pool.Close()
	a.FlushLog()
}

// FlushLog writes the log lines still buffered (Options.BufferLog); lines
// logged later are written at once.
func (a *App) FlushLog() {
	if a.logBuf != nil {
		_ = a.logBuf.Close()
	}
}

// newLogger is the shop's logger: cfg's level and format (JSON or text) on w.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

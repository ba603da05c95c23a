package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stripeshop/stripeshop/internal/auth"
	"github.com/stripeshop/stripeshop/internal/catalog"
	"github.com/stripeshop/stripeshop/internal/checkout"
	"github.com/stripeshop/stripeshop/internal/config"
	"github.com/stripeshop/stripeshop/internal/httpapi"
	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/web"
)

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seedDemo := fs.Bool("seed-demo", false, "add a few demo products when the catalog is empty")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	if err := cfg.RequireStripe(); err != nil {
		return err
	}
	log := newLogger(cfg, stderr)

	pool, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := postgres.MigrateUp(pool); err != nil {
		return err
	}

	authSvc := auth.New(auth.Config{Pool: pool, SecureCookie: cfg.SecureCookies(), Logger: log})
	defer authSvc.Close()
	if cfg.AdminEmail != "" {
		created, err := authSvc.EnsureFirstAdmin(ctx, cfg.AdminEmail, cfg.AdminPassword)
		if err != nil {
			return fmt.Errorf("create the first admin: %w", err)
		}
		if created {
			log.Info("first admin created from ADMIN_EMAIL", "email", cfg.AdminEmail)
		}
	}
	if *seedDemo {
		if n, err := seedDemoProducts(ctx, pool); err != nil {
			return fmt.Errorf("seed demo products: %w", err)
		} else if n > 0 {
			log.Info("demo products added", "count", n)
		}
	}

	reg := prometheus.NewRegistry()
	checkoutSvc := checkout.New(checkout.Config{
		Pool: pool,
		Payments: payments.New(payments.Config{
			SecretKey: cfg.StripeSecretKey, APIURL: cfg.StripeAPIURL,
			Timeout: 10 * time.Second, MaxNetworkRetries: 2, Logger: log,
		}),
		Logger:  log,
		Metrics: checkout.NewMetrics(reg),
		AppURL:  cfg.AppURL,

		ReconcileAge: cfg.ReconcileMinAge,
		// CHECKOUT_MAX_UNITS_PER_CLIENT
		MaxUnitsPerClient: cfg.CheckoutMaxUnitsPerClient,
	})
	// The public catalog is served from memory and kept fresh by LISTEN/NOTIFY.
	cat := catalog.New(catalog.Config{Pool: pool, Logger: log, Registry: reg})
	profiling := cfg.Profiling
	if profiling {
		log.Warn("STRIPESHOP_PPROF=1: profiling endpoints are served under /debug/pprof")
	}
	handler := httpapi.NewServer(httpapi.Deps{
		Logger: log, Pool: pool, Checkout: checkoutSvc, Auth: authSvc, Registry: reg,
		Catalog:        cat,
		WebhookSecrets: cfg.StripeWebhookSecret, Web: web.Dist(),
		TrustedProxies: cfg.TrustedProxies, CORSOrigins: cfg.CORSOrigins,
		CheckoutRateLimit: cfg.CheckoutRateLimit,
		Profiling:         profiling,
	})

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	srv := httpapi.NewHTTPServer(cfg.HTTPAddr, handler, log)

	bg, stopBG := context.WithCancel(ctx)
	defer stopBG()
	go checkoutSvc.RunReconciler(bg, cfg.ReconcileInterval)
	catDone := make(chan struct{})
	go func() { cat.Run(bg); close(catDone) }()
	defer func() { stopBG(); <-catDone }()

	log.Info("stripeshop listening", "addr", ln.Addr().String(), "config", cfg.String())
	fmt.Fprintf(stdout, "stripeshop serving on %s (%s)\n", ln.Addr(), cfg.AppURL)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	stopBG()
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 25*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

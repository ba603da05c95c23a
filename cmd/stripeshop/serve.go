package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/stripeshop/stripeshop/internal/app"
	"github.com/stripeshop/stripeshop/internal/config"
	"github.com/stripeshop/stripeshop/internal/httpapi"
)

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
	// The log is written in batches (one write per 100 ms rather than per
	// line); shop.Close, deferred, writes what is left after Shutdown.
	shop, err := app.New(ctx, cfg, app.Options{LogOutput: stderr, BufferLog: true})
	if err != nil {
		return err
	}
	defer shop.Close()
	log := shop.Logger
	if *seedDemo {
		if n, err := seedDemoProducts(ctx, shop.Pool); err != nil {
			return fmt.Errorf("seed demo products: %w", err)
		} else if n > 0 {
			log.Info("demo products added", "count", n)
		}
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	srv := httpapi.NewHTTPServer(cfg.HTTPAddr, shop.Handler, log)

	bg, stopBG := context.WithCancel(ctx)
	bgDone := make(chan struct{})
	go func() { shop.Run(bg); close(bgDone) }()
	defer func() { stopBG(); <-bgDone }()

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

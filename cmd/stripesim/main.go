// Command stripesim runs the local Stripe simulator: point the server's
// STRIPE_API_URL at it and it answers like Stripe, serves a hosted
// checkout page and sends signed webhooks. See package
// internal/stripesim for what it simulates and its control API.
//
// Environment:
//
//	STRIPESIM_ADDR         listen address (default :12111)
//	STRIPESIM_PUBLIC_URL   where browsers reach it (default http://localhost:12111)
//	STRIPESIM_WEBHOOK_URL  where events go (default http://localhost:8080/webhook/stripe)
//	STRIPE_WEBHOOK_SECRET  signing secret; a comma-separated list during a rotation (one v1 each)
//	                       (default whsec_stripesim_dev_secret, for development)
//	STRIPESIM_MERCHANT_NAME     the business the checkout page names (default stripeshop)
//	STRIPESIM_BANK_DEBIT_DELAY  how long a bank debit paid on the page stays processing,
//	                            a Go duration such as 30s (default 10s)
//	STRIPESIM_API_VERSION  the API version events are rendered at, and requests without a
//	                       Stripe-Version header: 2023-10-16 (default) or 2025-03-31.basil
//	STRIPESIM_EVENTS       the event types the webhook endpoint listens to, comma-separated;
//	                       * for all (default: the five the shop acts on)
//	STRIPESIM_SHUFFLE      1 sends queued events in random order (Stripe promises none)
//	STRIPESIM_STATE_FILE   a JSON file that keeps sessions, payments, refunds and undelivered
//	                       events across restarts (default: none, memory only)
//	STRIPESIM_PROMOTION_CODES  codes customers may apply on the page of a session made with
//	                       allow_promotion_codes, comma-separated: CODE=10% (percent off) or
//	                       CODE=500 (an amount off in minor units), e.g. SAVE10=10%,FIVEOFF=500
//	                       (default: none)
//	STRIPESIM_TAX_RATE     the percentage automatic tax charges, e.g. 8.25 (default 0)
//	STRIPESIM_LATENCY      how long each API call waits before its answer, e.g. 300ms (default 0)
//	STRIPESIM_LATENCY_JITTER  spreads that wait over ± this, e.g. 50ms (default 0)
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
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/stripeshop/stripeshop/internal/stripesim"
)

// DevWebhookSecret signs webhooks when STRIPE_WEBHOOK_SECRET is unset; the
// server falls back to the same value in development.
const DevWebhookSecret = "whsec_stripesim_dev_secret"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "stripesim:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stripesim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: stripesim (configured by STRIPESIM_ADDR, STRIPESIM_PUBLIC_URL, STRIPESIM_WEBHOOK_URL, STRIPE_WEBHOOK_SECRET, STRIPESIM_MERCHANT_NAME, STRIPESIM_BANK_DEBIT_DELAY, STRIPESIM_API_VERSION, STRIPESIM_EVENTS, STRIPESIM_SHUFFLE, STRIPESIM_STATE_FILE, STRIPESIM_PROMOTION_CODES, STRIPESIM_TAX_RATE, STRIPESIM_LATENCY, STRIPESIM_LATENCY_JITTER)")
	}
	if len(args) > 0 {
		args = args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	addr := env("STRIPESIM_ADDR", ":12111")
	publicURL := env("STRIPESIM_PUBLIC_URL", "http://localhost:12111")
	webhookURL := env("STRIPESIM_WEBHOOK_URL", "http://localhost:8080/webhook/stripe")
	secret := getenv("STRIPE_WEBHOOK_SECRET")
	cfg, err := stripesim.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	if secret == "" {
		secret = DevWebhookSecret
		logger.Warn("STRIPE_WEBHOOK_SECRET is unset; signing webhooks with the development secret", "secret", DevWebhookSecret)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	cfg.PublicURL, cfg.WebhookURL, cfg.WebhookSecret, cfg.Logger = publicURL, webhookURL, secret, logger
	sim := stripesim.New(cfg)
	defer sim.Close()
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "stripesim listening on %s: checkout pages at %s/pay/…, webhooks to %s\n", ln.Addr(), publicURL, webhookURL)
	fmt.Fprintf(stdout, "events and their deliveries: %s/_sim/dashboard/events\n", publicURL)
	fmt.Fprintf(stdout, "point the server at it with STRIPE_API_URL=%s STRIPE_SECRET_KEY=sk_test_stripesim\n", publicURL)

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Close the simulator first so a webhook in flight does not hold up
	// the shutdown of the requests that wait for it.
	sim.Close()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Command shopbench measures stripeshop under load against baselines run
// on the same machine in the same run, and reports each scenario as a ratio
// to its baseline, because absolute figures on a shared machine are noise.
//
//	go run ./cmd/shopbench [--duration 5s] [--rounds 2] [--warmup 1s] [--concurrency 8]
//	    [--scenarios catalog,webhook,checkout,checkout-cart,flashsale,mixed,checkout-latency,image] [--json]
//	    [--crowd 400 --latency 300ms --latency-jitter 50ms]
//	    [--cpuprofile DIR] [--target URL --database-url URL ...]
//
// By default it builds and starts its own environment: a fresh database on
// the local Postgres, the Stripe simulator and the real stripeshop binary as
// child processes (so the server's CPU time and peak RSS are its own), and
// drops it all at the end. With --target it loads an existing server
// instead. docs/benchmarks.md explains the scenarios and their baselines.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	if kind := os.Getenv(childEnv); kind != "" {
		os.Exit(childMain(kind))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "shopbench:", err)
		os.Exit(1)
	}
}

// allScenarios in the order they run: checkout-cart and flashsale archive
// their products before mixed, so every scenario sees the same catalog;
// image gives a product a picture, so it comes last.
var allScenarios = []string{"catalog", "webhook", "checkout", "checkout-cart", "flashsale", "mixed", "checkout-latency", "image"}

type config struct {
	duration    time.Duration
	warmup      time.Duration
	concurrency int
	rounds      int
	scenarios   []string
	json        bool
	jsonOut     string
	cpuprofile  string
	keep        bool

	// An existing server instead of our own environment.
	target        string
	databaseURL   string
	webhookSecret string
	stripeURL     string
	serverPID     int

	adminURL    string
	serverBin   string
	products    int
	images      bool
	flashBuyers int
	flashStock  int
	webhookRate int

	// checkout-latency: the crowd and the simulator's latency.
	crowd         int
	latency       time.Duration
	latencyJitter time.Duration
}

// settleBound is how long a check waits for the server to settle (the
// catalog to show new data, goroutines to end after a scenario). The
// checks poll and go on as soon as it has: the bound is only reached by a
// server that never settles, so it is set for a machine busy with other
// work, not for an idle one.
const settleBound = 30 * time.Second

// errChecks is returned when a correctness check failed; the report is
// printed all the same.
var errChecks = errors.New("a correctness check failed (see the report)")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	began := time.Now()
	var cfg config
	fs := flag.NewFlagSet("shopbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&cfg.duration, "duration", 5*time.Second, "measured time per run")
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "warm-up before each measured run (not counted)")
	fs.IntVar(&cfg.concurrency, "concurrency", 8, "closed-loop clients per run (target and baseline alike)")
	fs.IntVar(&cfg.rounds, "rounds", 2, "measured runs per contender, in ABBA order (2 or more cancels a drift in the machine's other load)")
	scenarios := fs.String("scenarios", strings.Join(allScenarios, ","), "comma-separated scenarios to run")
	fs.BoolVar(&cfg.json, "json", false, "print the report as JSON instead of a table")
	fs.StringVar(&cfg.jsonOut, "json-out", "", "also write the report as JSON to this file")
	fs.StringVar(&cfg.cpuprofile, "cpuprofile", "", "directory for a CPU profile of the server per scenario (the server must run with STRIPESHOP_PPROF=1; ours does when this is set)")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the database and the logs of our own environment")
	fs.StringVar(&cfg.target, "target", "", "base URL of an existing server to load instead of starting one (it must trust shopbench's address in TRUSTED_PROXIES, or run with CHECKOUT_RATE_LIMIT=0: each buyer is named in X-Forwarded-For)")
	fs.StringVar(&cfg.databaseURL, "database-url", "", "with --target: the server's database (for data, baselines and checks)")
	fs.StringVar(&cfg.webhookSecret, "webhook-secret", "", "with --target: the server's STRIPE_WEBHOOK_SECRET")
	fs.StringVar(&cfg.stripeURL, "stripe-url", "", "with --target: the Stripe simulator the server uses (checkout baseline)")
	fs.IntVar(&cfg.serverPID, "server-pid", 0, "with --target: the server's pid, for its CPU time and peak RSS")
	fs.StringVar(&cfg.adminURL, "admin-url", envOr("SHOPBENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "Postgres connection used to create and drop our database")
	fs.StringVar(&cfg.serverBin, "server-bin", "", "a prebuilt stripeshop binary (default: go build ./cmd/stripeshop)")
	fs.IntVar(&cfg.products, "products", 1000, "active products in the catalog")
	fs.BoolVar(&cfg.images, "images", true, "give every product a picture (the demo's four, shared, stored as an admin upload stores them)")
	fs.IntVar(&cfg.flashBuyers, "flash-buyers", 1000, "concurrent buyers in the flash sale")
	fs.IntVar(&cfg.flashStock, "flash-stock", 100, "stock of the flash-sale product")
	fs.IntVar(&cfg.webhookRate, "webhook-orders-per-second", 8000, "pending orders prepared per second of a webhook run; a run that uses them up ends early")
	fs.IntVar(&cfg.crowd, "crowd", 400, "checkout-latency: buyers at once")
	fs.DurationVar(&cfg.latency, "latency", 300*time.Millisecond, "checkout-latency: the simulator's latency per API call (STRIPESIM_LATENCY)")
	fs.DurationVar(&cfg.latencyJitter, "latency-jitter", 50*time.Millisecond, "checkout-latency: the spread of that latency (STRIPESIM_LATENCY_JITTER)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for s := range strings.SplitSeq(*scenarios, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !slices.Contains(allScenarios, s) {
			return fmt.Errorf("unknown scenario %q (have %s)", s, strings.Join(allScenarios, ", "))
		}
		cfg.scenarios = append(cfg.scenarios, s)
	}
	switch {
	case len(cfg.scenarios) == 0:
		return errors.New("no scenario to run")
	case cfg.duration <= 0 || cfg.warmup < 0 || cfg.concurrency < 1 || cfg.rounds < 1:
		return errors.New("--duration must be positive, --warmup not negative, --concurrency and --rounds at least 1")
	case cfg.crowd < 1 || cfg.latency <= 0 || cfg.latencyJitter < 0 || cfg.latencyJitter > cfg.latency:
		return errors.New("--crowd must be at least 1, --latency positive, --latency-jitter from 0 to --latency")
	case cfg.flashStock < 0 || cfg.flashBuyers < cfg.flashStock:
		return errors.New("--flash-buyers must be at least --flash-stock")
	case cfg.target != "" && (cfg.databaseURL == "" || cfg.webhookSecret == ""):
		return errors.New("--target needs --database-url and --webhook-secret (and --stripe-url for the checkout baseline)")
	}
	if runtime.GOOS != "linux" {
		return errors.New("shopbench reads /proc: it runs on Linux")
	}

	progress := func(format string, args ...any) { fmt.Fprintf(stderr, "shopbench: "+format+"\n", args...) }
	env, err := setUp(ctx, cfg, progress)
	if err != nil {
		return err
	}
	defer env.tearDown(progress)

	b := &bench{cfg: cfg, env: env, say: progress, began: began}
	rep, err := b.run(ctx)
	if err != nil {
		return err
	}
	if cfg.json {
		err = rep.writeJSON(stdout)
	} else {
		err = rep.writeTable(stdout)
	}
	if err != nil {
		return err
	}
	if cfg.jsonOut != "" {
		f, err := os.Create(cfg.jsonOut)
		if err != nil {
			return err
		}
		if err := errors.Join(rep.writeJSON(f), f.Close()); err != nil {
			return err
		}
	}
	if !rep.checksPassed() {
		return errChecks
	}
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

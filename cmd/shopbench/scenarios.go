package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/stripeshop/stripeshop/internal/demo"
	"github.com/stripeshop/stripeshop/internal/payments"
)

// bench runs the scenarios against an environment.
type bench struct {
	cfg      config
	env      *environment
	say      func(string, ...any)
	rep      *report
	products []product
	buyers   atomic.Uint32
	// began is when the run began (set-up included): the report's wall time.
	began time.Time
}

func (b *bench) run(ctx context.Context) (*report, error) {
	b.rep = &report{
		Machine: machine{CPUs: runtime.NumCPU(), MemTotal: memTotal(), GoOS: runtime.GOOS, Go: runtime.Version()},
		Settings: settings{Duration: b.cfg.duration.String(), Warmup: b.cfg.warmup.String(),
			Concurrency: b.cfg.concurrency, Rounds: b.cfg.rounds, Scenarios: b.cfg.scenarios, Server: b.env.serverURL,
			FlashBuyers: b.cfg.flashBuyers, FlashStock: b.cfg.flashStock, Products: b.cfg.products, Images: b.cfg.images},
	}
	_ = b.env.pool.QueryRow(ctx, `SELECT 'PostgreSQL ' || current_setting('server_version')`).Scan(&b.rep.Machine.Postgres)
	b.rep.Machine.PostgresSettings = map[string]string{}
	for _, name := range []string{"shared_buffers", "synchronous_commit", "fsync", "wal_sync_method", "commit_delay", "max_connections"} {
		var v string
		if b.env.pool.QueryRow(ctx, `SELECT current_setting($1)`, name).Scan(&v) == nil {
			b.rep.Machine.PostgresSettings[name] = v
		}
	}
	b.rep.Settings.ServerBuild = b.env.serverBuild
	if b.cfg.cpuprofile != "" {
		if err := os.MkdirAll(b.cfg.cpuprofile, 0o755); err != nil {
			return nil, err
		}
	}
	var err error
	if b.products, err = createCatalog(ctx, b.env.pool, b.cfg.products); err != nil {
		return nil, fmt.Errorf("prepare the catalog: %w", err)
	}
	if len(b.products) == 0 {
		return nil, errors.New("--products must be at least 1")
	}
	if b.cfg.images {
		ids := make([]string, len(b.products))
		for i, p := range b.products {
			ids[i] = p.ID
		}
		b.say("giving %d products a picture", len(ids))
		if err := demo.AddPictures(ctx, b.env.pool, ids, "mug.jpg", "poster.jpg", "stickers.jpg", "tote.jpg"); err != nil {
			return nil, fmt.Errorf("pictures for the catalog: %w", err)
		}
	}
	// The server's e-mail queue is paused for the whole bench and resumed
	// at its end (so a --keep database is left with it running). The
	// webhook runs queue thousands of e-mails; sent by the server's worker
	// (rendering, SMTP, a commit each) during later scenarios' runs, they
	// were background work of no scenario, taxing whichever came next.
	// The baselines queue the same jobs and send none.
	queue, err := river.NewClient(riverpgxv5.New(b.env.pool), &river.Config{}) // insert-only
	if err != nil {
		return nil, err
	}
	if err := queue.QueuePause(ctx, river.QueueDefault, nil); err != nil {
		return nil, fmt.Errorf("pause the server's e-mail queue: %w", err)
	}
	defer func() { _ = queue.QueueResume(context.WithoutCancel(ctx), river.QueueDefault, nil) }()
	for _, s := range b.cfg.scenarios {
		b.say("scenario %s", s)
		before, err := b.leakSnapshot(ctx)
		if err != nil {
			return nil, err
		}
		switch s {
		case "catalog":
			err = b.catalog(ctx)
		case "webhook":
			err = b.webhook(ctx)
		case "checkout":
			err = b.checkout(ctx)
		case "checkout-cart":
			err = b.checkoutCart(ctx)
		case "flashsale":
			err = b.flashsale(ctx)
		case "mixed":
			err = b.mixed(ctx)
		case "checkout-latency":
			err = b.checkoutLatency(ctx)
		case "image":
			err = b.image(ctx)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s, err)
		}
		if err := b.checkLeaks(ctx, s, before); err != nil {
			return nil, err
		}
	}
	b.rep.WallS = time.Since(b.began).Seconds()
	b.rep.evaluateTargets(slices.Equal(b.cfg.scenarios, allScenarios))
	return b.rep, nil
}

// cpuPoint is the CPU time of everything involved at one instant.
type cpuPoint struct {
	bench, server, sim, machine time.Duration
	pg                          cpuSample
}

func (b *bench) cpuPoint(ctx context.Context, serverPID int) cpuPoint {
	var p cpuPoint
	p.bench, _ = procCPU(os.Getpid())
	if serverPID != 0 {
		p.server, _ = procCPU(serverPID)
	}
	if b.env.simPID != 0 && b.env.simPID != serverPID {
		p.sim, _ = procCPU(b.env.simPID)
	}
	p.pg = sampleCPU(b.pgBackends(ctx))
	p.machine, _ = machineCPU()
	return p
}

func (b *bench) pgBackends(ctx context.Context) []int {
	rows, err := b.env.pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = $1`, b.env.dbName)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// fetchProfile asks the server for a CPU profile of the measured window.
func (b *bench) fetchProfile(ctx context.Context, scenario string) chan error {
	done := make(chan error, 1)
	secs := max(1, int((b.cfg.duration+500*time.Millisecond)/time.Second))
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", b.env.serverURL, secs), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			done <- fmt.Errorf("status %d (is STRIPESHOP_PPROF=1 set on the server?)", resp.StatusCode)
			return
		}
		f, err := os.Create(filepath.Join(b.cfg.cpuprofile, scenario+".pprof"))
		if err != nil {
			done <- err
			return
		}
		_, err = io.Copy(f, resp.Body)
		done <- errors.Join(err, f.Close())
	}()
	return done
}

// sampleWaits is Postgres's side of the profile: every 10 ms of the
// window it records what each of the server's active backends waits on
// (CPU when nothing), and writes the tally to <dir>/<scenario>.pgwaits.txt.
func (b *bench) sampleWaits(ctx context.Context, scenario string, d time.Duration) chan error {
	done := make(chan error, 1)
	go func() {
		tally := map[string]int{}
		samples := 0
		end := time.Now().Add(d)
		for time.Now().Before(end) && ctx.Err() == nil {
			rows, err := b.env.pool.Query(ctx, `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') || '  ' || left(btrim(regexp_replace(query, '\s+', ' ', 'g')), 90)
				FROM pg_stat_activity WHERE datname = $1 AND application_name <> $2 AND state = 'active'`, b.env.dbName, benchAppName)
			if err != nil {
				done <- err
				return
			}
			for rows.Next() {
				var w string
				if rows.Scan(&w) == nil {
					tally[w]++
				}
			}
			rows.Close()
			samples++
			time.Sleep(10 * time.Millisecond)
		}
		keys := make([]string, 0, len(tally))
		for k := range tally {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return tally[keys[i]] > tally[keys[j]] })
		var out strings.Builder
		fmt.Fprintf(&out, "# %d samples of the active backends of the server's database: wait (or CPU) and statement\n", samples)
		for _, k := range keys {
			fmt.Fprintf(&out, "%7d  %5.2f per sample  %s\n", tally[k], float64(tally[k])/float64(max(1, samples)), k)
		}
		done <- os.WriteFile(filepath.Join(b.cfg.cpuprofile, scenario+".pgwaits.txt"), []byte(out.String()), 0o644)
	}()
	return done
}

// browserEncodings is the Accept-Encoding a browser sends. The load
// generator reads compressed bodies as they come, without inflating them:
// it measures servers, not clients.
const browserEncodings = "gzip, deflate, br"

func getOp(name, url string, header map[string]string) *op {
	return &op{name: name, do: func(ctx context.Context, w *worker) error {
		return w.call(ctx, "GET", url, nil, header, http.StatusOK)
	}}
}

// catalog: GET /api/products over the catalog, against an empty chi
// handler answering the server's own pre-encoded bytes (the ceiling: the
// target's baseline), and a chi + pgx handler that runs the same query and
// encodes the same JSON on every request. All are asked as a browser asks
// (gzip accepted); the server is measured again without gzip, to show what
// compression adds, and a twin of it without its access log (LOG_LEVEL=warn),
// to show what the log costs.
func (b *bench) catalog(ctx context.Context) error {
	child, baseURL, err := b.env.startBaseline(ctx, "catalog")
	if err != nil {
		return err
	}
	defer b.env.stopChild(child)
	if err := b.sameCatalog(ctx, baseURL); err != nil {
		return err
	}
	// Started once the server answers the catalog just prepared.
	static, staticURL, err := b.env.startBaseline(ctx, "catalog-static")
	if err != nil {
		return err
	}
	defer b.env.stopChild(static)
	browser := map[string]string{"Accept-Encoding": browserEncodings}
	staticOp := getOp("catalog", staticURL+"/api/products", browser)
	baseOp := getOp("catalog", baseURL+"/api/products", browser)
	srvOp := getOp("catalog", b.env.serverURL+"/api/products", browser)
	plainOp := getOp("catalog", b.env.serverURL+"/api/products", map[string]string{"Accept-Encoding": "identity"})
	specs := []runSpec{
		{scenario: "catalog", target: "baseline: empty chi handler, same bytes", baseline: true,
			serverPID: static.cmd.Process.Pid, pick: func(*worker) *op { return staticOp }},
		{scenario: "catalog", target: "baseline: chi+pgx query+encode", baseline: true,
			serverPID: child.cmd.Process.Pid, pick: func(*worker) *op { return baseOp }},
		{scenario: "catalog", target: "stripeshop", serverPID: b.env.serverPID, profile: true,
			pick: func(*worker) *op { return srvOp }},
		{scenario: "catalog", target: "stripeshop, no gzip", serverPID: b.env.serverPID,
			pick: func(*worker) *op { return plainOp }},
	}
	quiet, quietURL, err := b.env.startServerTwin(ctx, "stripeshop-nolog", map[string]string{"LOG_LEVEL": "warn"})
	if err != nil {
		return err
	}
	if quiet != nil {
		defer b.env.stopChild(quiet)
		quietOp := getOp("catalog", quietURL+"/api/products", browser)
		specs = append(specs, runSpec{scenario: "catalog", target: "stripeshop, no access log", serverPID: quiet.cmd.Process.Pid,
			pick: func(*worker) *op { return quietOp }})
	}
	res, err := b.contend(ctx, specs...)
	if err != nil {
		return err
	}
	b.ratio(res[2], res[0])
	b.ratio(res[3], res[0])
	b.ratio(res[1], res[0])
	if quiet != nil {
		b.ratio(res[4], res[0])
		if res[4].RPS > 0 && res[4].CPUPerRequestMs > 0 {
			b.rep.Notes = append(b.rep.Notes, fmt.Sprintf("catalog: the access log costs %.0f %% of the rate (%.0f vs %.0f req/s without it) and %.0f %% of the server's CPU per request",
				100*(1-res[2].RPS/res[4].RPS), res[2].RPS, res[4].RPS, 100*(1-res[4].CPU.ServerS/float64(max(1, res[4].Requests))/(res[2].CPU.ServerS/float64(max(1, res[2].Requests))))))
		}
	}
	if res[1].RPS > 0 {
		b.rep.Notes = append(b.rep.Notes, fmt.Sprintf("catalog vs the chi+pgx handler running the query and encoding on every request: %.2f×", res[2].RPS/res[1].RPS))
	}
	return nil
}

// sameCatalog checks, before any speed is compared, that the server
// answers what the baseline answers, byte for byte once inflated; it waits
// for the catalog to show the data just prepared, up to a bound far above
// the catalog's staleness bound, since a busy machine delays the rebuild.
func (b *bench) sameCatalog(ctx context.Context, baseURL string) error {
	want, _, err := fetch(ctx, baseURL+"/api/products", nil)
	if err != nil {
		return err
	}
	var got []byte
	var zipped bool
	deadline := time.Now().Add(settleBound)
	for {
		var h http.Header
		got, h, err = fetch(ctx, b.env.serverURL+"/api/products", map[string]string{"Accept-Encoding": browserEncodings})
		if err != nil {
			return err
		}
		if zipped = h.Get("Content-Encoding") == "gzip"; zipped {
			zr, err := gzip.NewReader(bytes.NewReader(got))
			if err != nil {
				return err
			}
			if got, err = io.ReadAll(zr); err != nil {
				return err
			}
		}
		if bytes.Equal(got, want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.rep.check("catalog body", bytes.Equal(got, want), "the server's answer (gzip: %v) is byte for byte the baseline's once inflated (%d bytes, %d products)",
		zipped, len(want), bytes.Count(want, []byte(`"unit_amount"`)))
	return nil
}

// ratio records a row's req/s as a ratio to a baseline row of its scenario.
func (b *bench) ratio(of, base result) {
	for i := range b.rep.Results {
		r := &b.rep.Results[i]
		if r.Scenario == of.Scenario && r.Target == of.Target && base.RPS > 0 {
			v := of.RPS / base.RPS
			r.Ratio, r.RatioTo = &v, base.Target
		}
	}
}

func fetch(ctx context.Context, url string, header map[string]string) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return body, resp.Header, err
}

// ordersFor sizes the block of pending orders one contender uses over all
// its webhook runs.
func (b *bench) ordersFor(share float64) int64 {
	secs := (b.cfg.warmup + b.cfg.duration).Seconds() * float64(b.cfg.rounds) / 2
	return max(200, int64(float64(b.cfg.webhookRate)*share*secs))
}

func (b *bench) vacuum(ctx context.Context) {
	// Fresh statistics for the new rows, so no autovacuum starts mid-run.
	_, _ = b.env.pool.Exec(ctx, `VACUUM ANALYZE orders`)
}

// webhookOp posts distinct signed checkout.session.completed events for
// the supply's orders to url.
func (b *bench) webhookOp(url string, supply *orderSupply, wantApplied bool) *op {
	secret := b.env.secret
	return &op{name: "webhook", do: func(ctx context.Context, w *worker) error {
		orderID, sessionID, ok := supply.take()
		if !ok {
			return errExhausted
		}
		now := time.Now()
		body := completedEvent("evt_bench_"+sessionID[9:], sessionID, orderID, supply.product, now)
		err := w.call(ctx, "POST", url, body, map[string]string{
			"Stripe-Signature": payments.Sign(body, secret, now),
			"Content-Type":     "application/json",
		}, http.StatusOK)
		if err != nil {
			return err
		}
		if wantApplied && !bytes.Contains(w.buf.Bytes(), []byte(`"outcome":"applied"`)) {
			return fmt.Errorf("webhook not applied: %s", bytes.TrimSpace(w.buf.Bytes()))
		}
		supply.applied.Add(1)
		return nil
	}}
}

// webhook: distinct signed events for pending orders, against a minimal
// handler that verifies the HMAC and runs the same transaction, and the
// transaction through pgx alone.
func (b *bench) webhook(ctx context.Context) error {
	p := b.products[0]
	n := b.ordersFor(1)
	b.say("  preparing 3 × %d pending orders", n)
	var supplies [3]*orderSupply
	for i := range supplies {
		s, err := newOrderSupply(ctx, b.env.pool, p, n)
		if err != nil {
			return err
		}
		supplies[i] = s
	}
	b.vacuum(ctx)

	child, baseURL, err := b.env.startBaseline(ctx, "webhook")
	if err != nil {
		return err
	}
	defer b.env.stopChild(child)
	baseOp := b.webhookOp(baseURL+"/webhook/stripe", supplies[0], false)
	pool := b.env.pool
	queue, err := river.NewClient(riverpgxv5.New(pool), &river.Config{}) // insert-only
	if err != nil {
		return err
	}
	txOp := &op{name: "webhook", do: func(ctx context.Context, w *worker) error {
		orderID, sessionID, ok := supplies[1].take()
		if !ok {
			return errExhausted
		}
		body := completedEvent("evt_bench_"+sessionID[9:], sessionID, orderID, p, time.Now())
		var ev minimalEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			return err
		}
		return applyPaid(ctx, pool, queue, ev, body)
	}}
	srvOp := b.webhookOp(b.env.serverURL+"/webhook/stripe", supplies[2], true)
	// The server's e-mail queue is paused for the whole bench (see run):
	// the route is measured, not the e-mails it queues.
	res, err := b.contend(ctx,
		runSpec{scenario: "webhook", target: "baseline: chi+pgx HMAC+transaction+job", baseline: true,
			serverPID: child.cmd.Process.Pid, pick: func(*worker) *op { return baseOp }},
		runSpec{scenario: "webhook", target: "baseline: the transaction (with the job insert) via pgx alone", baseline: true,
			pick: func(*worker) *op { return txOp }},
		runSpec{scenario: "webhook", target: "stripeshop", serverPID: b.env.serverPID, profile: true,
			pick: func(*worker) *op { return srvOp }})
	if err != nil {
		return err
	}
	b.ratio(res[2], res[0])

	paid, err := supplies[2].paidCount(ctx, b.env.pool)
	if err != nil {
		return err
	}
	applied := supplies[2].applied.Load()
	b.rep.check("webhook", paid == applied, "%d events answered 200 applied, %d orders paid", applied, paid)
	return nil
}

// checkout: POST /api/checkout of a product with unlimited stock, against
// a minimal chi + pgx + stripe-go handler doing the same durable work (the
// target's baseline), and, for the reader, the same stripe-go session
// creation against the simulator alone. Each run starts with a fresh
// simulator: its cost per request grows with the sessions it holds, which
// would otherwise tax whichever run comes second.
func (b *bench) checkout(ctx context.Context) error {
	p := b.products[0] // unlimited stock
	body := checkoutBody(p)
	srvOp := b.checkoutOpAt(b.env.serverURL, body, nil)
	srv := runSpec{scenario: "checkout", target: "stripeshop", serverPID: b.env.serverPID, profile: true,
		pick: func(*worker) *op { return srvOp }, before: b.env.restartSim}
	if b.env.simURL == "" {
		_, err := b.contend(ctx, srv)
		return err
	}
	pay := payments.New(payments.Config{SecretKey: benchKey, APIURL: b.env.simURL, Timeout: 10 * time.Second, MaxNetworkRetries: 2})
	appURL := b.env.serverURL
	bareOp := &op{name: "checkout", do: func(ctx context.Context, w *worker) error {
		_, err := pay.CreateSession(ctx, payments.SessionParams{
			OrderID: newUUID(), ProductName: p.Name, Currency: p.Currency, UnitAmount: p.UnitAmount, Quantity: 1,
			SuccessURL: appURL + "/checkout/success?session_id={CHECKOUT_SESSION_ID}",
			CancelURL:  appURL + "/checkout/cancel?product_id=" + p.ID,
			ExpiresAt:  time.Now().Add(31 * time.Minute).Truncate(time.Second),
		})
		return err
	}}
	child, minURL, err := b.env.startBaseline(ctx, "checkout")
	if err != nil {
		return err
	}
	defer b.env.stopChild(child)
	minOp := b.checkoutOpAt(minURL, body, nil)
	res, err := b.contend(ctx,
		runSpec{scenario: "checkout", target: "baseline: chi+pgx+stripe-go, same durable work", baseline: true,
			serverPID: child.cmd.Process.Pid, pick: func(*worker) *op { return minOp }, before: b.env.restartSim},
		runSpec{scenario: "checkout", target: "baseline: stripe-go → simulator alone (no target)", baseline: true,
			onSimulator: true, pick: func(*worker) *op { return bareOp }, before: b.env.restartSim},
		srv)
	if err != nil {
		return err
	}
	b.ratio(res[2], res[0])
	// For the reader: how far even a minimal handler with a durable order
	// is from the bare call.
	if res[1].RPS > 0 {
		b.rep.Notes = append(b.rep.Notes, fmt.Sprintf("checkout: the minimal chi+pgx+stripe-go handler doing the same work vs the bare stripe-go call: %.2f×",
			res[0].RPS/res[1].RPS))
	}
	return nil
}

// cartLines is the number of lines of the checkout-cart scenario's cart.
const cartLines = 5

// cartStock is the stock of each of its products: the most products.stock
// allows (its CHECK), far above what a run sells.
const cartStock = 1_000_000

// cartProducts is the number of products the scenario's carts are drawn
// from.
const cartProducts = 100

// checkoutCart: POST /api/checkout of a cart of five products of limited
// stock, one unit each, against the minimal handler doing the same cart
// work. Each cart is five products drawn at random from a hundred, so the
// row with the measured cart work, not one queue on the same five row
// locks (the flash sale is the hot-row scenario). The server caps the
// units a client holds in open orders (CHECKOUT_MAX_UNITS_PER_CLIENT, 20 by
// default); each request names a client of its own (buyerAddr), which
// holds 5.
func (b *bench) checkoutCart(ctx context.Context) error {
	rows, err := b.env.pool.Query(ctx, `INSERT INTO products (name, description, unit_amount, currency, stock)
		SELECT 'Shopbench cart product ' || g, 'One line of the benchmark cart.', 1000 + g * 100, 'usd', $2
		FROM generate_series(1, $1) g RETURNING id::text`, cartProducts, cartStock)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	// Out of the catalog afterwards, so later scenarios see the same one.
	defer b.env.pool.Exec(context.WithoutCancel(ctx), `UPDATE products SET active = false WHERE id = ANY($1)`, ids) //nolint:errcheck
	cart := func(w *worker) []byte {
		items := make([]cartItem, 0, cartLines)
		for _, i := range w.rng.Perm(len(ids))[:cartLines] {
			items = append(items, cartItem{ProductID: ids[i], Quantity: 1})
		}
		body, _ := json.Marshal(map[string]any{"items": items}) // strings and ints: cannot fail
		return body
	}
	child, minURL, err := b.env.startBaseline(ctx, "checkout")
	if err != nil {
		return err
	}
	defer b.env.stopChild(child)
	var placed atomic.Int64 // 201s of both contenders, warm-ups included
	minOp := b.checkoutOpAt(minURL, cart, &placed)
	srvOp := b.checkoutOpAt(b.env.serverURL, cart, &placed)
	res, err := b.contend(ctx,
		runSpec{scenario: "checkout-cart", target: "baseline: chi+pgx+stripe-go, same cart work", baseline: true,
			serverPID: child.cmd.Process.Pid, pick: func(*worker) *op { return minOp }, before: b.env.restartSim},
		runSpec{scenario: "checkout-cart", target: "stripeshop", serverPID: b.env.serverPID, profile: true,
			pick: func(*worker) *op { return srvOp }, before: b.env.restartSim})
	if err != nil {
		return err
	}
	b.ratio(res[1], res[0])

	// Every 201 is an order with its session and its five lines, whose
	// total is their sum, and each line took one unit of its product.
	var complete, orders, taken, reserved int64
	if err := b.env.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM orders o WHERE o.product_id = ANY($1::uuid[]) AND o.session_id IS NOT NULL
			AND (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id AND l.reserved = 1) = $2
			AND o.amount_total = (SELECT sum(l.unit_amount * l.quantity) FROM order_lines l WHERE l.order_id = o.id)),
		(SELECT count(*) FROM orders WHERE product_id = ANY($1::uuid[])),
		(SELECT sum($3 - stock) FROM products WHERE id = ANY($1::uuid[])),
		(SELECT coalesce(sum(reserved), 0) FROM order_lines WHERE product_id = ANY($1::uuid[]))`,
		ids, cartLines, cartStock).Scan(&complete, &orders, &taken, &reserved); err != nil {
		return err
	}
	n := placed.Load()
	b.rep.check("checkout-cart", complete == n && orders == n && taken == cartLines*n && reserved == taken,
		"%d carts answered 201: %d orders, %d with a session, their %d lines and the right total; %d units taken from stock, %d reserved by lines",
		n, orders, complete, cartLines, taken, reserved)
	return nil
}

// checkoutOpAt posts the body that body makes for the worker to base's
// /api/checkout as a new buyer each time, and counts the 201s in placed
// when it is not nil.
func (b *bench) checkoutOpAt(base string, body func(*worker) []byte, placed *atomic.Int64) *op {
	url := base + "/api/checkout"
	return &op{name: "checkout", do: func(ctx context.Context, w *worker) error {
		err := w.call(ctx, "POST", url, body(w), map[string]string{
			"Content-Type": "application/json", "X-Forwarded-For": b.buyerAddr(),
		}, http.StatusCreated)
		if err == nil && placed != nil {
			placed.Add(1)
		}
		return err
	}}
}

func (b *bench) checkoutOp(p product) *op {
	return b.checkoutOpAt(b.env.serverURL, checkoutBody(p), nil)
}

// checkoutBody is the request for one unit of one product, the same for
// every worker.
func checkoutBody(p product) func(*worker) []byte {
	body := fmt.Appendf(nil, `{"product_id":%q,"quantity":1}`, p.ID)
	return func(*worker) []byte { return body }
}

// buyerAddr is a new client address for each buyer: 10.0.0.1, 10.0.0.2, …
func (b *bench) buyerAddr() string {
	n := b.buyers.Add(1)
	return fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)
}

// flashsale: buyers all at once for one product whose stock is short.
func (b *bench) flashsale(ctx context.Context) error { return b.flashsaleAs(ctx, "flashsale") }

// flashsaleAs runs the flash sale reported as scenario (its check too),
// against a fresh simulator with the environment's simEnv.
func (b *bench) flashsaleAs(ctx context.Context, scenario string) error {
	if err := b.env.restartSim(ctx); err != nil {
		return err
	}
	var productID string
	err := b.env.pool.QueryRow(ctx, `INSERT INTO products (name, description, unit_amount, currency, stock)
		VALUES ('Shopbench flash sale', 'Only a few, for the fastest.', 4900, 'usd', $1) RETURNING id::text`, b.cfg.flashStock).Scan(&productID)
	if err != nil {
		return err
	}
	// Out of the catalog afterwards, so later scenarios see the same one.
	defer b.env.pool.Exec(context.WithoutCancel(ctx), `UPDATE products SET active = false WHERE id = $1`, productID) //nolint:errcheck

	buyers := b.cfg.flashBuyers
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		MaxIdleConns: buyers, MaxIdleConnsPerHost: buyers, DisableCompression: true, IdleConnTimeout: time.Minute,
	}}
	defer client.CloseIdleConnections()
	if b.env.serverPID != 0 {
		resetPeakRSS(b.env.serverPID)
	}
	url := b.env.serverURL + "/api/checkout"
	body := fmt.Appendf(nil, `{"product_id":%q,"quantity":1}`, productID)
	type outcome struct {
		status  int
		code    string
		latency time.Duration
		err     error
	}
	outs := make([]outcome, buyers)
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	for i := range buyers {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Forwarded-For", b.buyerAddr())
			ready.Done()
			<-gate
			began := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				outs[i] = outcome{err: err, latency: time.Since(began)}
				return
			}
			answer, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var e struct {
				Error struct {
					Code string `json:"code"`
				} `json:"error"`
			}
			_ = json.Unmarshal(answer, &e)
			outs[i] = outcome{status: resp.StatusCode, code: e.Error.Code, latency: time.Since(began)}
		}()
	}
	ready.Wait()
	before := b.cpuPoint(ctx, b.env.serverPID)
	began := time.Now()
	close(gate)
	done.Wait()
	elapsed := time.Since(began)
	after := b.cpuPoint(ctx, b.env.serverPID)

	var stats opStats
	sold, conflicts, other := 0, 0, 0
	for _, o := range outs {
		switch {
		case o.err == nil && o.status == http.StatusCreated:
			sold++
			stats.add(o.latency, nil)
		case o.err == nil && o.status == http.StatusConflict && o.code == "conflict":
			conflicts++
			stats.add(o.latency, nil)
		default:
			other++
			err := o.err
			if err == nil {
				err = fmt.Errorf("status %d %s", o.status, o.code)
			}
			stats.add(o.latency, err)
		}
	}
	var stock int64
	var orders int
	if err := b.env.pool.QueryRow(ctx, `SELECT stock, (SELECT count(*) FROM orders WHERE product_id = $1) FROM products WHERE id = $1`,
		productID).Scan(&stock, &orders); err != nil {
		return err
	}
	ok := sold == b.cfg.flashStock && conflicts == buyers-b.cfg.flashStock && other == 0 && stock == 0 && orders == b.cfg.flashStock
	b.rep.check(scenario, ok, "%d buyers: %d sold, %d clean 409s, %d other; stock left %d, %d orders",
		buyers, sold, conflicts, other, stock, orders)

	res := result{Scenario: scenario, Target: "stripeshop", Concurrency: buyers, DurationS: elapsed.Seconds(),
		summary: summarize(&stats, elapsed), ErrorSamples: stats.samples,
		Note: fmt.Sprintf("%d sold, %d × 409", sold, conflicts)}
	if b.env.serverPID != 0 {
		if rss, err := peakRSS(b.env.serverPID); err == nil {
			mb := float64(rss) / (1 << 20)
			res.RSSPeakMB = &mb
		}
	}
	res.CPU = cpuUse{CapacityS: elapsed.Seconds() * float64(runtime.NumCPU()),
		BenchS: seconds(after.bench - before.bench), ServerS: seconds(after.server - before.server),
		PostgresS: seconds(after.pg.since(before.pg)), SimulatorS: seconds(after.sim - before.sim)}
	res.CPU.OtherS = max(0, seconds(after.machine-before.machine)-res.CPU.BenchS-res.CPU.ServerS-res.CPU.PostgresS-res.CPU.SimulatorS)
	res.Busy = res.CPU.OtherS > 0.25*res.CPU.CapacityS
	res.CPUPerRequestMs = 1000 * (res.CPU.ServerS + res.CPU.PostgresS + res.CPU.SimulatorS) / float64(buyers)
	b.say("  %-45s %d buyers in %v, p99 %.2f ms", "stripeshop", buyers, elapsed.Round(time.Millisecond), res.P99ms)
	b.rep.Results = append(b.rep.Results, res)
	return nil
}

// mixed: 90% catalog, 8% checkout, 2% webhook, on the server alone.
func (b *bench) mixed(ctx context.Context) error {
	supply, err := newOrderSupply(ctx, b.env.pool, b.products[0], b.ordersFor(0.1))
	if err != nil {
		return err
	}
	b.vacuum(ctx)
	catalogOp := getOp("catalog", b.env.serverURL+"/api/products", map[string]string{"Accept-Encoding": browserEncodings})
	checkoutOp := b.checkoutOp(b.products[0])
	webhookOp := b.webhookOp(b.env.serverURL+"/webhook/stripe", supply, true)
	_, err = b.contend(ctx, runSpec{scenario: "mixed", target: "stripeshop", serverPID: b.env.serverPID, profile: true,
		before: b.env.restartSim, pick: func(w *worker) *op {
			switch r := w.rng.Float64(); {
			case r < 0.90:
				return catalogOp
			case r < 0.98:
				return checkoutOp
			default:
				return webhookOp
			}
		}})
	return err
}

// leakState is what a leak would grow.
type leakState struct {
	goroutines int
	conns      int
	// stripeConns is the server's keep-alive connections to the simulator
	// (-1: unknown, a server we did not start).
	stripeConns int
}

func (b *bench) leakSnapshot(ctx context.Context) (leakState, error) {
	var s leakState
	body, _, err := fetch(ctx, b.env.serverURL+"/metrics", nil)
	if err != nil {
		return s, fmt.Errorf("read the server's metrics: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			s.goroutines, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	s.stripeConns = -1
	if u, err := url.Parse(b.env.simURL); err == nil && b.env.serverPID > 0 {
		if port, err := strconv.Atoi(u.Port()); err == nil {
			if n, err := connsTo(b.env.serverPID, port); err == nil {
				s.stripeConns = n
			}
		}
	}
	err = b.env.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name <> $2`,
		b.env.dbName, benchAppName).Scan(&s.conns)
	return s, err
}

// maxStripeConns is the idle connections the server keeps to Stripe
// (payments.transport's MaxIdleConnsPerHost).
const maxStripeConns = payments.MaxIdleConns

// checkLeaks waits for the server to settle after a scenario and checks
// that its goroutines are back where they were and that it holds no more
// database connections than its pool allows, plus the two that listen: the
// catalog's, and the job queue's (River takes its LISTEN connection out of
// the pool).
func (b *bench) checkLeaks(ctx context.Context, scenario string, before leakState) error {
	// Background work: a pool health check, a catalog refresh; and the job
	// queue's, which starts goroutines as it goes (its leader's maintenance
	// services, a worker per running job, up to 10): a bounded number,
	// where a leak grows with the requests served.
	const slack = 10 + 16
	limit := b.env.serverPoolMax + 2
	deadline := time.Now().Add(settleBound)
	for {
		after, err := b.leakSnapshot(ctx)
		if err != nil {
			return err
		}
		// Each keep-alive connection to Stripe that net/http holds for the
		// next call has a read and a write goroutine; the pool of them is
		// bounded, so they are allowed for, up to its bound, and shown.
		kept, keptNote := 0, ""
		if after.stripeConns > 0 {
			kept = 2 * max(0, min(after.stripeConns, maxStripeConns)-max(0, before.stripeConns))
			keptNote = fmt.Sprintf(" (keep-alive connections to Stripe %d → %d, 2 goroutines each, at most %d)",
				max(0, before.stripeConns), after.stripeConns, maxStripeConns)
		}
		ok := after.goroutines <= before.goroutines+slack+kept && after.conns <= limit &&
			after.stripeConns <= maxStripeConns
		if ok || time.Now().After(deadline) {
			b.rep.check("no leak after "+scenario, ok, "goroutines %d → %d%s, server database connections %d → %d (pool max %d + 2 LISTEN)",
				before.goroutines, after.goroutines, keptNote, before.conns, after.conns, b.env.serverPoolMax)
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "?"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if kb, err := strconv.ParseFloat(f[0], 64); err == nil {
				return fmt.Sprintf("%.1f GiB", kb/(1<<20))
			}
		}
	}
	return "?"
}

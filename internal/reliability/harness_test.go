package reliability

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stripeshop/stripeshop/internal/app"
	"github.com/stripeshop/stripeshop/internal/checkout"
	"github.com/stripeshop/stripeshop/internal/shoptest"
	"github.com/stripeshop/stripeshop/internal/stripesim"
	"github.com/stripeshop/stripeshop/internal/testdb"
)

// Long runs: STRIPESHOP_SOAK=1 (make soak).
func soak() bool { return os.Getenv("STRIPESHOP_SOAK") == "1" }

// short returns s for make test and l for make soak.
func short[T any](s, l T) T {
	if soak() {
		return l
	}
	return s
}

// clock is the simulator's time: the wall clock plus an offset the tests
// move forward to make sessions expire.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }
func (c *clock) set(d time.Duration)     { c.offset.Store(int64(d)) }

// world is one shop's surroundings: a fresh database, the Stripe simulator
// on a movable clock, and a round-robin balancer in front of the shop's
// servers that the simulator sends its webhooks to.
type world struct {
	t      testing.TB
	dbURL  string
	db     *pgxpool.Pool // direct, for the checks
	clock  *clock
	sim    *stripesim.Server
	simURL string
	stripe *shoptest.Client // the simulator: Stripe's API and the control API
	secret string
	key    string

	lb      *httptest.Server
	lbMu    sync.Mutex
	lbNext  int
	targets []string

	// reconciler is the workflow on the direct pool with the simulator's
	// clock: the tests run its sweep at chosen moments.
	reconciler    *checkout.Service
	reconcilerReg *prometheus.Registry

	simLogs *shoptest.LogBuffer
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{t: t, clock: &clock{}, simLogs: &shoptest.LogBuffer{},
		secret: "whsec_rel_" + randHex(12), key: "sk_test_rel_" + randHex(12)}
	w.db, w.dbURL = testdb.New(t)

	w.lb = httptest.NewServer(http.HandlerFunc(w.balance))
	t.Cleanup(w.lb.Close)

	simSrv := httptest.NewUnstartedServer(nil)
	w.simURL = "http://" + simSrv.Listener.Addr().String()
	w.sim = stripesim.New(stripesim.Config{
		PublicURL:      w.simURL,
		WebhookURL:     w.lb.URL + "/webhook/stripe",
		WebhookSecret:  w.secret,
		Logger:         slog.New(slog.NewTextHandler(w.simLogs, nil)),
		Now:            w.clock.Now,
		RetryBackoff:   50 * time.Millisecond,
		MaxAttempts:    40,
		SweepInterval:  50 * time.Millisecond,
		WebhookTimeout: 3 * time.Second,
	})
	simSrv.Config.Handler = w.sim
	simSrv.Start()
	w.stripe = shoptest.NewClient(t, w.simURL)
	t.Cleanup(func() { w.sim.Close(); simSrv.Close() })

	reconciler, _ := shoptest.New(t, shoptest.Options{DatabaseURL: w.dbURL, StripeURL: w.simURL, StripeKey: w.key,
		WebhookSecrets: []string{w.secret}, App: app.Options{Now: w.clock.Now, StripeTimeout: 5 * time.Second, CheckoutWait: 10 * time.Second}})
	w.reconciler, w.reconcilerReg = reconciler.Checkout, reconciler.Registry
	return w
}

// simLogLines is the simulator's log lines that contain part, for a
// failure's message.
func (w *world) simLogLines(part string) string {
	var out []string
	for line := range strings.SplitSeq(w.simLogs.String(), "\n") {
		if strings.Contains(line, part) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// balance forwards a webhook to the next server in turn.
func (w *world) balance(rw http.ResponseWriter, r *http.Request) {
	w.lbMu.Lock()
	if len(w.targets) == 0 {
		w.lbMu.Unlock()
		http.Error(rw, "no server", http.StatusBadGateway)
		return
	}
	target := w.targets[w.lbNext%len(w.targets)]
	w.lbNext++
	w.lbMu.Unlock()
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorHandler = func(rw http.ResponseWriter, r *http.Request, err error) {
		http.Error(rw, "server unreachable: "+err.Error(), http.StatusBadGateway)
	}
	rp.ServeHTTP(rw, r)
}

func (w *world) setTargets(urls ...string) {
	w.lbMu.Lock()
	w.targets = urls
	w.lbMu.Unlock()
}

type serverOpts struct {
	dbURL      string // default: the world's database, directly
	stripeURL  string // default: the simulator
	timeout    time.Duration
	retries    int64
	stripeWait time.Duration
}

// startServer starts one in-process server, wired as cmd/stripeshop wires it.
func (w *world) startServer(o serverOpts) *shoptest.Shop {
	w.t.Helper()
	if o.dbURL == "" {
		o.dbURL = w.dbURL
	}
	if o.stripeURL == "" {
		o.stripeURL = w.simURL
	}
	if o.timeout == 0 {
		o.timeout = 2 * time.Second
	}
	if o.stripeWait == 0 {
		o.stripeWait = 8 * time.Second
	}
	if o.retries == 0 {
		o.retries = -1 // none
	}
	return shoptest.Start(w.t, shoptest.Options{DatabaseURL: o.dbURL, StripeURL: o.stripeURL, StripeKey: w.key,
		WebhookSecrets: []string{w.secret},
		App: app.Options{StripeTimeout: o.timeout, StripeRetries: o.retries, CheckoutWait: o.stripeWait,
			Now: w.clock.Now}}) // sessions expire by the simulator's clock
}

// HTTP.

// anyone is a browser without cookies, for many goroutines: it only Tries,
// with whole URLs.
var anyone = &shoptest.Client{HTTP: &http.Client{Timeout: 30 * time.Second}}

// addProducts creates n products of the given stock, notes it in initial
// (for checkInvariant) and returns their ids.
func addProducts(t testing.TB, a *shoptest.Client, initial map[string]int64, n int, stock int64) []string {
	t.Helper()
	var ids []string
	for i := range n {
		var p struct {
			ID string `json:"id"`
		}
		r, err := a.Try("POST", "/api/admin/products", map[string]any{
			"name": fmt.Sprintf("Product %d", i), "unit_amount": 500 + 100*i, "currency": "usd", "stock": stock})
		if err != nil || r.Status != 201 {
			t.Fatalf("create product: %v %d %s", err, r.Status, r.Body)
		}
		_ = json.Unmarshal(r.Body, &p)
		initial[p.ID] = stock
		ids = append(ids, p.ID)
	}
	return ids
}

type started = shoptest.Started

func checkoutOnce(base, productID string, qty int64) (started, shoptest.Response, error) {
	var s started
	r, err := anyone.Try("POST", base+"/api/checkout", map[string]any{"product_id": productID, "quantity": qty})
	if err == nil && r.Status == 201 {
		err = json.Unmarshal(r.Body, &s)
	}
	return s, r, err
}

// The simulator's control API.

// simDo calls the simulator, its control API or Stripe's (with the
// world's key); out, when not nil, receives the answer.
func (w *world) simDo(method, path string, body, out any, header ...string) error {
	r, err := w.stripe.Try(method, path, body, append([]string{"Authorization", "Bearer " + w.key}, header...)...)
	if err == nil && r.Status >= 300 {
		err = fmt.Errorf("%s %s: %d %s", method, path, r.Status, r.Body)
	}
	if err == nil && out != nil {
		err = json.Unmarshal(r.Body, out)
	}
	return err
}

// pay completes a session as a shopper would: paid, async_succeeded or
// async_failed.
func (w *world) pay(sessionID, outcome string) error {
	return w.simDo("POST", "/_sim/checkout/sessions/"+sessionID+"/complete", map[string]string{"outcome": outcome}, nil)
}

func (w *world) expire(sessionID string) error {
	return w.simDo("POST", "/_sim/checkout/sessions/"+sessionID+"/expire", nil, nil)
}

// control calls the control API and fails the test when it refuses.
func (w *world) control(method, path string, body any) {
	w.t.Helper()
	if err := w.simDo(method, path, body, nil); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) pauseWebhooks(paused bool) {
	w.control("POST", "/_sim/webhooks", map[string]any{"paused": paused})
}
func (w *world) setWebhookURL(u string) {
	w.control("POST", "/_sim/webhooks", map[string]any{"url": u})
}
func (w *world) clearFaults() { w.control("DELETE", "/_sim/faults", nil) }

func (w *world) fault(status, count int, delay time.Duration, path string) {
	w.control("POST", "/_sim/faults", map[string]any{"status": status, "count": count, "delay_ms": delay.Milliseconds(), "path": path})
}

type simAttempt struct {
	StatusCode int    `json:"status_code"`
	Error      string `json:"error"`
}

type simEvent struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	State    string          `json:"state"`
	Attempts []simAttempt    `json:"attempts"`
	Payload  json.RawMessage `json:"payload"`
}

func (e simEvent) acked() bool {
	for _, a := range e.Attempts {
		if a.StatusCode >= 200 && a.StatusCode < 300 {
			return true
		}
	}
	return false
}

func (w *world) events() []simEvent {
	w.t.Helper()
	var out struct {
		Events []simEvent `json:"events"`
	}
	if err := w.simDo("GET", "/_sim/events", nil, &out); err != nil {
		w.t.Fatal(err)
	}
	return out.Events
}

// drain gets every queued webhook delivered: it asks for the retries now
// (as one may from Stripe's dashboard) instead of waiting out the backoff.
func (w *world) drain(d time.Duration) {
	w.t.Helper()
	deadline := time.Now().Add(d)
	for {
		var pending []string
		for _, e := range w.events() {
			if e.State == "pending" {
				pending = append(pending, e.ID)
			}
		}
		if len(pending) == 0 {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%d webhook events still undelivered after %s", len(pending), d)
		}
		for _, id := range pending {
			_ = w.simDo("POST", "/_sim/events/"+id+"/redeliver", nil, nil)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type simSession struct {
	ID                string `json:"id"`
	Status            string `json:"status"`
	PaymentStatus     string `json:"payment_status"`
	ClientReferenceID string `json:"client_reference_id"`
	PaymentIntent     string `json:"payment_intent"`
	AmountTotal       int64  `json:"amount_total"`
	ExpiresAt         int64  `json:"expires_at"`
}

// sessions lists every Checkout Session the simulator made.
func (w *world) sessions() []simSession {
	w.t.Helper()
	all, err := w.listSessions()
	if err != nil {
		w.t.Fatal(err)
	}
	return all
}

// sessionsOf lists the Checkout Sessions Stripe made for an order.
func (w *world) sessionsOf(orderID string) []simSession {
	w.t.Helper()
	var out []simSession
	for _, s := range w.sessions() {
		if s.ClientReferenceID == orderID {
			out = append(out, s)
		}
	}
	return out
}

func (w *world) listSessions() ([]simSession, error) {
	var all []simSession
	after := ""
	for {
		u := "/v1/checkout/sessions?limit=100"
		if after != "" {
			u += "&starting_after=" + after
		}
		var page struct {
			Data    []simSession `json:"data"`
			HasMore bool         `json:"has_more"`
		}
		if err := w.simDo("GET", u, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Data...)
		if !page.HasMore || len(page.Data) == 0 {
			return all, nil
		}
		after = page.Data[len(page.Data)-1].ID
	}
}

// refundAtStripe refunds a payment intent straight at the simulator, as
// from Stripe's dashboard.
func (w *world) refundAtStripe(pi string) error {
	return w.simDo("POST", "/v1/refunds", url.Values{"payment_intent": {pi}}.Encode(), nil,
		"Content-Type", "application/x-www-form-urlencoded")
}

// deliver posts an event's payload to a server, signed now, as Stripe does.
func (w *world) deliver(base string, payload []byte) (int, error) {
	return shoptest.Deliver(base, payload, w.secret, time.Now())
}

// waitReady polls /readyz until it answers want.
func waitReady(base string, want int, d time.Duration) error {
	deadline := time.Now().Add(d)
	last := 0
	for time.Now().Before(deadline) {
		if r, _ := anyone.Try("GET", base+"/readyz", nil); r.Status != 0 {
			if last = r.Status; last == want {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("/readyz did not answer %d within %s (last %d)", want, d, last)
}

// Small things.

func randHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// tally counts outcomes by name, safely from many goroutines.
type tally struct {
	mu sync.Mutex
	m  map[string]int
}

func (t *tally) add(k string) {
	t.mu.Lock()
	if t.m == nil {
		t.m = map[string]int{}
	}
	t.m[k]++
	t.mu.Unlock()
}

func (t *tally) get(k string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[k]
}

func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	keys := make([]string, 0, len(t.m))
	for k := range t.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(k + "=" + strconv.Itoa(t.m[k]))
	}
	return b.String()
}

func statusClass(st int, err error) string {
	if err != nil {
		return "neterr"
	}
	return strconv.Itoa(st)
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

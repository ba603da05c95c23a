package reliability

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
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
	"github.com/stripeshop/stripeshop/internal/auth"
	"github.com/stripeshop/stripeshop/internal/checkout"
	"github.com/stripeshop/stripeshop/internal/shoptest"
	"github.com/stripeshop/stripeshop/internal/stripesim"
	"github.com/stripeshop/stripeshop/internal/testdb"
)

const (
	adminEmail    = shoptest.AdminEmail
	adminPassword = shoptest.AdminPassword
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

func (c *clock) Now() time.Time            { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration)   { c.offset.Add(int64(d)) }
func (c *clock) Offset() time.Duration     { return time.Duration(c.offset.Load()) }
func (c *clock) String() string            { return c.Offset().String() }
func (c *clock) set(d time.Duration) error { c.offset.Store(int64(d)); return nil }

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
	t.Cleanup(func() { w.sim.Close(); simSrv.Close() })

	reconciler, _ := shoptest.New(t, shoptest.Options{DatabaseURL: w.dbURL, StripeURL: w.simURL, StripeKey: w.key,
		WebhookSecrets: []string{w.secret}, App: app.Options{Now: w.clock.Now, StripeTimeout: 5 * time.Second, CheckoutWait: 10 * time.Second}})
	w.reconciler, w.reconcilerReg = reconciler.Checkout, reconciler.Registry
	return w
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

// shopServer is one in-process server, wired as cmd/stripeshop wires it.
type shopServer struct {
	url  string
	reg  *prometheus.Registry
	logs *shoptest.LogBuffer
}

type serverOpts struct {
	dbURL      string // default: the world's database, directly
	stripeURL  string // default: the simulator
	timeout    time.Duration
	retries    int64
	stripeWait time.Duration
}

func (w *world) startServer(o serverOpts) *shopServer {
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
	s := shoptest.Start(w.t, shoptest.Options{DatabaseURL: o.dbURL, StripeURL: o.stripeURL, StripeKey: w.key,
		WebhookSecrets: []string{w.secret},
		App: app.Options{StripeTimeout: o.timeout, StripeRetries: o.retries, CheckoutWait: o.stripeWait,
			Now: w.clock.Now}}) // sessions expire by the simulator's clock
	return &shopServer{url: s.URL, reg: s.Registry, logs: s.Logs}
}

// HTTP.

var httpClient = &http.Client{Timeout: 30 * time.Second}

type reply struct {
	status int
	body   []byte
	header http.Header
}

func (r reply) code() string {
	var b struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.body, &b)
	return b.Error.Code
}

func doJSON(c *http.Client, method, u string, body any, hdr map[string]string) (reply, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return reply{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return reply{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, b, resp.Header}, err
}

func mustJSON(t testing.TB, c *http.Client, method, u string, body any, hdr map[string]string, want int, out any) reply {
	t.Helper()
	r, err := doJSON(c, method, u, body, hdr)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	if r.status != want {
		t.Fatalf("%s %s: %d %s, want %d", method, u, r.status, r.body, want)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			t.Fatalf("%s %s: %v", method, u, err)
		}
	}
	return r
}

// admin is a signed-in admin browser.
type admin struct {
	base string
	c    *http.Client
	csrf string
}

func login(t testing.TB, base string) *admin {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	a := &admin{base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	var id struct {
		CSRFToken string `json:"csrf_token"`
	}
	mustJSON(t, a.c, "POST", base+"/api/admin/login", map[string]string{"email": adminEmail, "password": adminPassword}, nil, 200, &id)
	a.csrf = id.CSRFToken
	return a
}

func (a *admin) do(method, path string, body any) (reply, error) {
	return doJSON(a.c, method, a.base+path, body, map[string]string{"X-CSRF-Token": a.csrf})
}

func (a *admin) sessionCookie() string {
	u, _ := url.Parse(a.base)
	for _, c := range a.c.Jar.Cookies(u) {
		if c.Name == auth.CookieName {
			return c.Value
		}
	}
	return ""
}

// products creates n products of the given stock and returns their ids
// and initial stock.
func (a *admin) products(t testing.TB, n int, stock int64) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for i := range n {
		var p struct {
			ID string `json:"id"`
		}
		r, err := a.do("POST", "/api/admin/products", map[string]any{
			"name": fmt.Sprintf("Product %d", i), "unit_amount": 500 + 100*i, "currency": "usd", "stock": stock})
		if err != nil || r.status != 201 {
			t.Fatalf("create product: %v %d %s", err, r.status, r.body)
		}
		_ = json.Unmarshal(r.body, &p)
		out[p.ID] = stock
	}
	return out
}

type started struct {
	OrderID     string `json:"order_id"`
	SessionID   string `json:"session_id"`
	CheckoutURL string `json:"checkout_url"`
}

func checkoutOnce(base, productID string, qty int64) (started, reply, error) {
	var s started
	r, err := doJSON(httpClient, "POST", base+"/api/checkout", map[string]any{"product_id": productID, "quantity": qty}, nil)
	if err == nil && r.status == 201 {
		err = json.Unmarshal(r.body, &s)
	}
	return s, r, err
}

// The simulator's control API.

func (w *world) simDo(method, path string, body any, out any) (int, error) {
	r, err := doJSON(httpClient, method, w.simURL+path, body, nil)
	if err != nil {
		return 0, err
	}
	if out != nil && r.status < 300 {
		if err := json.Unmarshal(r.body, out); err != nil {
			return r.status, err
		}
	}
	if r.status >= 300 {
		return r.status, fmt.Errorf("%s %s: %d %s", method, path, r.status, r.body)
	}
	return r.status, nil
}

// pay completes a session as a shopper would: paid, async_succeeded or
// async_failed.
func (w *world) pay(sessionID, outcome string) error {
	_, err := w.simDo("POST", "/_sim/checkout/sessions/"+sessionID+"/complete", map[string]string{"outcome": outcome}, nil)
	return err
}

func (w *world) expire(sessionID string) error {
	_, err := w.simDo("POST", "/_sim/checkout/sessions/"+sessionID+"/expire", nil, nil)
	return err
}

func (w *world) pauseWebhooks(paused bool) {
	w.t.Helper()
	if _, err := w.simDo("POST", "/_sim/webhooks", map[string]any{"paused": paused}, nil); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) setWebhookURL(u string) {
	w.t.Helper()
	if _, err := w.simDo("POST", "/_sim/webhooks", map[string]any{"url": u}, nil); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) fault(status, count int, delay time.Duration, path string) {
	w.t.Helper()
	if _, err := w.simDo("POST", "/_sim/faults", map[string]any{"status": status, "count": count, "delay_ms": delay.Milliseconds(), "path": path}, nil); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) clearFaults() {
	w.t.Helper()
	if _, err := w.simDo("DELETE", "/_sim/faults", nil, nil); err != nil {
		w.t.Fatal(err)
	}
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
	if _, err := w.simDo("GET", "/_sim/events", nil, &out); err != nil {
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
			_, _ = w.simDo("POST", "/_sim/events/"+id+"/redeliver", nil, nil)
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
}

// sessions lists every Checkout Session the simulator made.
func (w *world) sessions() []simSession {
	w.t.Helper()
	var all []simSession
	after := ""
	for {
		u := w.simURL + "/v1/checkout/sessions?limit=100"
		if after != "" {
			u += "&starting_after=" + after
		}
		var page struct {
			Data    []simSession `json:"data"`
			HasMore bool         `json:"has_more"`
		}
		mustJSON(w.t, httpClient, "GET", u, nil, map[string]string{"Authorization": "Bearer " + w.key}, 200, &page)
		all = append(all, page.Data...)
		if !page.HasMore || len(page.Data) == 0 {
			return all
		}
		after = page.Data[len(page.Data)-1].ID
	}
}

// refundAtStripe refunds a payment intent straight at the simulator, as
// from Stripe's dashboard.
func (w *world) refundAtStripe(pi string) error {
	req, _ := http.NewRequest("POST", w.simURL+"/v1/refunds", strings.NewReader(url.Values{"payment_intent": {pi}}.Encode()))
	req.Header.Set("Authorization", "Bearer "+w.key)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("refund %s: %d %s", pi, resp.StatusCode, b)
	}
	return nil
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
		resp, err := httpClient.Get(base + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			last = resp.StatusCode
			if last == want {
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

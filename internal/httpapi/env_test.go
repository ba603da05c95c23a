package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/stripeshop/stripeshop/internal/auth"
	"github.com/stripeshop/stripeshop/internal/checkout"
	"github.com/stripeshop/stripeshop/internal/httpapi"
	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/testdb"
)

const (
	adminEmail    = "admin@example.com"
	adminPassword = "correct horse battery staple"
	webhookSecret = "whsec_test_secret"
)

// env is one shop server on its own database, talking to stripe-mock.
type env struct {
	t        *testing.T
	pool     *pgxpool.Pool
	dbURL    string
	srv      *httptest.Server
	handler  http.Handler
	checkout *checkout.Service
	registry *prometheus.Registry
	logs     *syncBuffer

	adminOnce   sync.Once
	adminClient *client
}

type envOption func(*envConfig)

type envConfig struct {
	stripeURL string
	secrets   []string
	pool      *pgxpool.Pool
	dbURL     string
	now       func() time.Time
	rateLimit int
	maxUnits  int64
	trusted   []*net.IPNet
}

func withStripeURL(u string) envOption         { return func(c *envConfig) { c.stripeURL = u } }
func withCheckoutRateLimit(n int) envOption    { return func(c *envConfig) { c.rateLimit = n } }
func withMaxUnitsPerClient(n int64) envOption  { return func(c *envConfig) { c.maxUnits = n } }
func withClock(now func() time.Time) envOption { return func(c *envConfig) { c.now = now } }
func withSecrets(s ...string) envOption        { return func(c *envConfig) { c.secrets = s } }

// withTrustedProxies believes X-Forwarded-For from these CIDRs; the
// clients of clientAt need the test's own address (127.0.0.1) among them.
func withTrustedProxies(cidrs ...string) envOption {
	return func(c *envConfig) {
		for _, s := range cidrs {
			_, n, err := net.ParseCIDR(s)
			if err != nil {
				panic(err)
			}
			c.trusted = append(c.trusted, n)
		}
	}
}
func withPool(p *pgxpool.Pool, u string) envOption {
	return func(c *envConfig) { c.pool, c.dbURL = p, u }
}

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	cfg := envConfig{stripeURL: stripeMockURL, secrets: []string{webhookSecret}}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.pool == nil {
		cfg.pool, cfg.dbURL = testdb.New(t)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg := prometheus.NewRegistry()
	a := auth.New(auth.Config{Pool: cfg.pool, BcryptCost: bcrypt.MinCost})
	t.Cleanup(a.Close)
	if _, err := a.EnsureFirstAdmin(context.Background(), adminEmail, adminPassword); err != nil {
		t.Fatal(err)
	}
	co := checkout.New(checkout.Config{
		Pool:          cfg.pool,
		Payments:      payments.New(payments.Config{SecretKey: "sk_test_123", APIURL: cfg.stripeURL, Timeout: 5 * time.Second}),
		Logger:        log,
		Metrics:       checkout.NewMetrics(reg),
		AppURL:        "http://shop.test",
		StripeTimeout: 5 * time.Second,
		Now:           cfg.now,

		MaxUnitsPerClient: cfg.maxUnits,
	})
	h := httpapi.NewServer(httpapi.Deps{
		Logger: log, Pool: cfg.pool, Checkout: co, Auth: a, Registry: reg,
		WebhookSecrets: cfg.secrets, Web: emptyFS{}, CheckoutRateLimit: cfg.rateLimit, TrustedProxies: cfg.trusted, // signatures are checked against the wall clock, as the simulator signs with it
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, pool: cfg.pool, dbURL: cfg.dbURL, srv: srv, handler: h, checkout: co, registry: reg, logs: logs}
}

// client is a browser: it keeps cookies and, once signed in, the CSRF token.
type client struct {
	e      *env
	http   *http.Client
	csrf   string
	header http.Header // sent with every request, over the defaults
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// clientAt is a browser at addr behind a proxy the server trusts (see
// withTrustedProxies).
func (e *env) clientAt(addr string) *client {
	c := e.client()
	c.header = http.Header{"X-Forwarded-For": {addr}}
	return c
}

// admin is the signed-in admin's browser, signed in once per env.
func (e *env) admin() *client {
	e.adminOnce.Do(func() { e.adminClient = e.login() })
	return e.adminClient
}

func (e *env) login() *client {
	c := e.client()
	var id struct {
		CSRFToken string `json:"csrf_token"`
	}
	c.mustDo("POST", "/api/admin/login", map[string]string{"email": adminEmail, "password": adminPassword}, 200, &id)
	c.csrf = id.CSRFToken
	return c
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) errorCode() string {
	var b struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &b)
	return b.Error.Code
}

func (r response) fields() map[string]string {
	var b struct {
		Error struct {
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &b)
	return b.Error.Fields
}

func (c *client) do(method, path string, body any) response {
	c.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for k, v := range c.header {
		req.Header[k] = v // an empty list sends no such header
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

func (c *client) mustDo(method, path string, body any, status int, out any) response {
	c.e.t.Helper()
	r := c.do(method, path, body)
	if r.Status != status {
		c.e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, status, r.Body)
	}
	if out != nil {
		if err := json.Unmarshal(r.Body, out); err != nil {
			c.e.t.Fatalf("%s %s: decode %s: %v", method, path, r.Body, err)
		}
	}
	return r
}

type product struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	UnitAmount int64  `json:"unit_amount"`
	Currency   string `json:"currency"`
	Stock      *int64 `json:"stock"`
	Active     bool   `json:"active"`
}

type order struct {
	ID            string  `json:"id"`
	Status        string  `json:"status"`
	ProductID     string  `json:"product_id"`
	Quantity      int64   `json:"quantity"`
	AmountTotal   int64   `json:"amount_total"`
	Currency      string  `json:"currency"`
	CustomerEmail string  `json:"customer_email"`
	SessionID     string  `json:"session_id"`
	PaidAt        *string `json:"paid_at"`
	Flagged       bool    `json:"flagged"`
	FlagReason    string  `json:"flag_reason"`
	Events        []struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"events"`
}

type started struct {
	OrderID     string `json:"order_id"`
	SessionID   string `json:"session_id"`
	CheckoutURL string `json:"checkout_url"`
}

func (e *env) createProduct(amount, stock int64) product {
	e.t.Helper()
	var p product
	body := map[string]any{"name": "Mug", "unit_amount": amount, "currency": "usd", "stock": stock}
	if stock < 0 {
		body["stock"] = nil
	}
	e.admin().mustDo("POST", "/api/admin/products", body, 201, &p)
	return p
}

func (e *env) product(id string) product {
	e.t.Helper()
	var p product
	e.admin().mustDo("GET", "/api/admin/products/"+id, nil, 200, &p)
	return p
}

func (e *env) order(id string) order {
	e.t.Helper()
	var o order
	e.admin().mustDo("GET", "/api/admin/orders/"+id, nil, 200, &o)
	return o
}

func (e *env) buy(productID string, qty int64) started {
	e.t.Helper()
	var s started
	e.client().mustDo("POST", "/api/checkout", map[string]any{"product_id": productID, "quantity": qty}, 201, &s)
	return s
}

// event builds a Stripe event for a session of an order, as Stripe would.
type sessionEvent struct {
	ID            string
	Type          string
	APIVersion    string
	SessionID     string
	OrderID       string
	Status        string
	PaymentStatus string
	AmountTotal   int64
	Currency      string
	PaymentIntent string
	Email         string
}

var eventSeq struct {
	sync.Mutex
	n int
}

func nextEventID() string {
	eventSeq.Lock()
	defer eventSeq.Unlock()
	eventSeq.n++
	return fmt.Sprintf("evt_test_%d_%d", time.Now().UnixNano(), eventSeq.n)
}

func (s sessionEvent) payload() []byte {
	if s.ID == "" {
		s.ID = nextEventID()
	}
	if s.APIVersion == "" {
		s.APIVersion = payments.APIVersion
	}
	var pi any
	if s.PaymentIntent != "" {
		pi = s.PaymentIntent
	}
	obj := map[string]any{
		"id": s.SessionID, "object": "checkout.session", "status": s.Status, "payment_status": s.PaymentStatus,
		"amount_total": s.AmountTotal, "currency": s.Currency, "client_reference_id": s.OrderID,
		"metadata": map[string]string{"order_id": s.OrderID}, "payment_intent": pi, "mode": "payment",
		"customer_details": map[string]any{"email": s.Email},
	}
	b, _ := json.Marshal(map[string]any{
		"id": s.ID, "object": "event", "type": s.Type, "api_version": s.APIVersion,
		"created": time.Now().Unix(), "data": map[string]any{"object": obj}, "livemode": false,
	})
	return b
}

func chargeRefunded(pi string, amount, refunded int64) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": nextEventID(), "object": "event", "type": "charge.refunded", "api_version": payments.APIVersion,
		"created": time.Now().Unix(),
		"data": map[string]any{"object": map[string]any{
			"id": "ch_test_1", "object": "charge", "payment_intent": pi, "amount": amount,
			"amount_refunded": refunded, "refunded": refunded >= amount, "currency": "usd",
		}},
	})
	return b
}

// paidEvent is checkout.session.completed for an order, paid in full.
func paidEvent(s started, o order) sessionEvent {
	return sessionEvent{Type: "checkout.session.completed", SessionID: s.SessionID, OrderID: s.OrderID,
		Status: "complete", PaymentStatus: "paid", AmountTotal: o.AmountTotal, Currency: o.Currency,
		PaymentIntent: "pi_" + strings.ReplaceAll(s.OrderID, "-", ""), Email: "buyer@example.com"}
}

// deliver posts a signed event to the server and returns the status.
func (e *env) deliver(payload []byte, secret string, at time.Time) int {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+"/webhook/stripe", bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", payments.Sign(payload, secret, at))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (e *env) mustDeliver(payload []byte) {
	e.t.Helper()
	if st := e.deliver(payload, webhookSecret, time.Now()); st != 200 {
		e.t.Fatalf("webhook answered %d, want 200", st)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

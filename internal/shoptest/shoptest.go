// Package shoptest starts whole shops for tests: the application of
// internal/app, wired exactly as `stripeshop serve` wires it, on its own
// test database, served on a loopback port. Tests point it at stripe-mock
// or at the simulator (internal/stripesim).
package shoptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"golang.org/x/crypto/bcrypt"

	"github.com/stripeshop/stripeshop/internal/app"
	"github.com/stripeshop/stripeshop/internal/config"
	"github.com/stripeshop/stripeshop/internal/httpapi"
	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/testdb"
)

// The first admin of every shop, and the default webhook secret.
const (
	AdminEmail    = "admin@example.com"
	AdminPassword = "correct horse battery staple"
	WebhookSecret = "whsec_test_secret"
)

// Options change one shop; StripeURL is required.
type Options struct {
	StripeURL string
	StripeKey string // default sk_test_123
	// WebhookSecrets default to WebhookSecret.
	WebhookSecrets []string
	// DatabaseURL defaults to a fresh test database.
	DatabaseURL string
	// HTTPS makes APP_URL https, so cookies are Secure.
	HTTPS             bool
	CheckoutRateLimit int
	MaxUnitsPerClient int64  // CHECKOUT_MAX_UNITS_PER_CLIENT, 0 (no cap) by default
	TrustedProxies    string // TRUSTED_PROXIES
	MetricsAllow      string // METRICS_ALLOW
	CORSOrigins       string // CORS_ORIGINS
	ShopName          string // SHOP_NAME
	ShopTagline       string // SHOP_TAGLINE
	ShippingCountries string // SHIPPING_COUNTRIES
	PromotionCodes    bool   // PROMOTION_CODES
	AutomaticTax      bool   // AUTOMATIC_TAX
	// SMTPURL, MailStaff (comma list), MailRetryBase and MailMaxAttempts
	// are SMTP_URL, MAIL_STAFF, MAIL_RETRY_BASE and MAIL_MAX_ATTEMPTS.
	SMTPURL         string
	MailStaff       string
	MailRetryBase   string
	MailMaxAttempts int
	// ReconcileInterval is RECONCILE_INTERVAL (default the shop's).
	ReconcileInterval string
	// App options; BcryptCost defaults to bcrypt.MinCost, Web to an app
	// with no files (the tests need the API), LogOutput to Shop.Logs.
	App app.Options
}

// Shop is one running shop.
type Shop struct {
	*app.App
	URL         string
	DatabaseURL string
	// Logs holds the shop's log, at debug level.
	Logs *LogBuffer
}

// Start runs a shop until the test ends.
func Start(t testing.TB, o Options) *Shop {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Shop{URL: "http://" + ln.Addr().String(), Logs: &LogBuffer{}}
	if o.App.LogOutput == nil {
		o.App.LogOutput = s.Logs
	}
	s.App, s.DatabaseURL = New(t, o)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	srv := httpapi.NewHTTPServer(ln.Addr().String(), s.Handler, s.Logger)
	go srv.Serve(ln) //nolint:errcheck // ends at Close
	t.Cleanup(func() {
		srv.Close()
		stop()
		<-done
	})
	return s
}

// New builds a shop's application without serving or running it (a test
// that drives the workflow itself) and returns it with its database URL.
// It is closed when the test ends.
func New(t testing.TB, o Options) (*app.App, string) {
	t.Helper()
	if o.StripeURL == "" {
		t.Fatal("shoptest: Options.StripeURL is required")
	}
	if o.DatabaseURL == "" {
		o.DatabaseURL = testdb.URL(t)
	}
	if o.StripeKey == "" {
		o.StripeKey = "sk_test_123"
	}
	if o.WebhookSecrets == nil {
		o.WebhookSecrets = []string{WebhookSecret}
	}
	appURL := "http://shop.test"
	if o.HTTPS {
		appURL = "https://shop.test"
	}
	env := map[string]string{
		"DATABASE_URL": o.DatabaseURL, "APP_URL": appURL,
		"STRIPE_SECRET_KEY": o.StripeKey, "STRIPE_API_URL": o.StripeURL,
		"STRIPE_WEBHOOK_SECRET": strings.Join(o.WebhookSecrets, ","),
		"ADMIN_EMAIL":           AdminEmail, "ADMIN_PASSWORD": AdminPassword,
		"LOG_LEVEL": "debug", "LOG_FORMAT": "text",
		"CHECKOUT_RATE_LIMIT": strconv.Itoa(o.CheckoutRateLimit),
		"TRUSTED_PROXIES":     o.TrustedProxies, "CORS_ORIGINS": o.CORSOrigins, "METRICS_ALLOW": o.MetricsAllow,
		// Every client of a test is 127.0.0.1: no cap unless one is asked for.
		"CHECKOUT_MAX_UNITS_PER_CLIENT": strconv.FormatInt(o.MaxUnitsPerClient, 10),
		"SHOP_NAME":                     o.ShopName, "SHOP_TAGLINE": o.ShopTagline,
		"SHIPPING_COUNTRIES": o.ShippingCountries,
		"PROMOTION_CODES":    strconv.FormatBool(o.PromotionCodes), "AUTOMATIC_TAX": strconv.FormatBool(o.AutomaticTax),
		"SMTP_URL": o.SMTPURL, "MAIL_STAFF": o.MailStaff, "MAIL_RETRY_BASE": o.MailRetryBase,
	}
	if o.ReconcileInterval != "" {
		env["RECONCILE_INTERVAL"] = o.ReconcileInterval
	}
	if o.MailMaxAttempts > 0 {
		env["MAIL_MAX_ATTEMPTS"] = strconv.Itoa(o.MailMaxAttempts)
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	opts := o.App
	if opts.LogOutput == nil {
		opts.LogOutput = io.Discard
	}
	if opts.Web == nil {
		opts.Web = fstest.MapFS{}
	}
	if opts.BcryptCost == 0 {
		opts.BcryptCost = bcrypt.MinCost
	}
	a, err := app.New(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a, o.DatabaseURL
}

// WaitForCatalog waits until the catalog cache listens for changes, so
// that a change made anywhere reaches it by notification.
func (s *Shop) WaitForCatalog(t testing.TB) {
	t.Helper()
	Eventually(t, time.Minute, "the catalog cache listens", s.Catalog.Listening)
}

// Eventually polls cond until it holds, failing the test when it has not
// within d. Use it for what is asynchronous by design (the catalog cache,
// webhooks), with a bound generous for a loaded machine, never a sleep.
func Eventually(t testing.TB, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// Client is a browser on a shop: it keeps cookies and, once signed in,
// sends the CSRF token.
type Client struct {
	t    testing.TB
	Base string
	HTTP *http.Client
	CSRF string
}

// Client returns a fresh browser on the shop.
func (s *Shop) Client(t testing.TB) *Client { return NewClient(t, s.URL) }

// NewClient returns a fresh browser on the server at base.
func NewClient(t testing.TB, base string) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, Base: base, HTTP: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// Login returns the first admin's browser, signed in.
func (s *Shop) Login(t testing.TB) *Client { return Login(t, s.URL) }

// Login returns the first admin's browser on the server at base, signed in.
func Login(t testing.TB, base string) *Client {
	t.Helper()
	c := NewClient(t, base)
	var id struct {
		CSRFToken string `json:"csrf_token"`
	}
	c.MustDo("POST", "/api/admin/login", map[string]string{"email": AdminEmail, "password": AdminPassword}, 200, &id)
	c.CSRF = id.CSRFToken
	return c
}

// Started is the answer to POST /api/checkout.
type Started struct {
	OrderID     string `json:"order_id"`
	SessionID   string `json:"session_id"`
	CheckoutURL string `json:"checkout_url"`
	Number      int64  `json:"number"`
}

// Response is an answer, read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// ErrorCode is the code of an error answer in the contract's shape.
func (r Response) ErrorCode() string {
	var b struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &b)
	return b.Error.Code
}

// Fields are the fields an error answer names.
func (r Response) Fields() map[string]string {
	var b struct {
		Error struct {
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &b)
	return b.Error.Fields
}

// Do sends a request: body is nil, a string, bytes or a value to encode as
// JSON; header is name, value pairs.
func (c *Client) Do(method, path string, body any, header ...string) Response {
	c.t.Helper()
	r, err := c.Try(method, path, body, header...)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// Try is Do that returns a failed request instead of failing the test: for
// a server that a test kills or starves, and for any goroutine. It never
// touches the test, so a Client built without one may Try.
func (c *Client) Try(method, path string, body any, header ...string) (Response, error) {
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
			return Response{}, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	if err != nil {
		return Response{}, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.CSRF != "" {
		req.Header.Set("X-CSRF-Token", c.CSRF)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return Response{resp.StatusCode, resp.Header, b}, err
}

// MustDo is Do that fails the test unless the answer has status; out, when
// not nil, receives the decoded body.
func (c *Client) MustDo(method, path string, body any, status int, out any) Response {
	c.t.Helper()
	r := c.Do(method, path, body)
	if r.Status != status {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, status, r.Body)
	}
	if out != nil {
		if err := json.Unmarshal(r.Body, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, r.Body, err)
		}
	}
	return r
}

// LogBuffer collects log lines from many goroutines.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Counter sums the series of counter name in reg that carry labels.
func Counter(reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	families, _ := reg.Gather()
	var v float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for k, want := range labels {
				if !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool { return l.GetName() == k && l.GetValue() == want }) {
					continue series
				}
			}
			v += m.GetCounter().GetValue()
		}
	}
	return v
}

// Counter sums the series of one of the shop's counters that carry labels.
func (s *Shop) Counter(name string, labels map[string]string) float64 {
	return Counter(s.Registry, name, labels)
}

// Deliver posts a webhook event to the server at base, signed with secret
// at the given time, as Stripe does, and returns the status.
func Deliver(base string, payload []byte, secret string, at time.Time) (int, error) {
	req, _ := http.NewRequest("POST", base+"/webhook/stripe", bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", payments.Sign(payload, secret, at))
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

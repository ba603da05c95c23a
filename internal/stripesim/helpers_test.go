package stripesim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/stripeshop/stripeshop/internal/stripesim"
)

const (
	testKey    = "sk_test_stripesim"
	testSecret = "whsec_test_secret"
)

// env is one simulator under test with a webhook receiver and a stripe-go
// client pointed at it.
type env struct {
	sim   *stripesim.Server
	srv   *httptest.Server
	api   *client.API
	hooks *receiver
	clock *clock
}

// newEnv starts a simulator on a fake clock (starting at the wall clock's
// present) with fast retries; edit changes its config first.
func newEnv(t *testing.T, edit ...func(*stripesim.Config)) *env {
	t.Helper()
	hooks := newReceiver(t)
	clk := &clock{now: time.Now()}
	cfg := stripesim.Config{
		WebhookURL:    hooks.srv.URL,
		WebhookSecret: testSecret + ",whsec_older_secret",
		Now:           clk.Now,
		RetryBackoff:  5 * time.Millisecond,
		MaxAttempts:   5,
		SweepInterval: 5 * time.Millisecond,
	}
	for _, f := range edit {
		f(&cfg)
	}
	// The public URL is only known once the listener is up.
	srv := httptest.NewUnstartedServer(nil)
	cfg.PublicURL = "http://" + srv.Listener.Addr().String()
	sim := stripesim.New(cfg)
	srv.Config.Handler = sim
	srv.Start()
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	return &env{sim: sim, srv: srv, api: newClient(srv.URL), hooks: hooks, clock: clk}
}

func newClient(baseURL string) *client.API {
	backend := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
		URL:               stripe.String(baseURL),
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
		EnableTelemetry:   stripe.Bool(false),
	})
	return client.New(testKey, &stripe.Backends{API: backend, Connect: backend, Uploads: backend})
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// receiver is a webhook endpoint that checks every signature with
// stripe-go, as the real server does, and can fail on purpose.
type receiver struct {
	srv *httptest.Server

	mu        sync.Mutex
	failFirst int // answer 500 to this many deliveries first
	calls     int
	events    []stripe.Event
	raw       []delivery
	badSigs   []error
}

type delivery struct {
	body      []byte
	signature string
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		// Events of another API version are checked too, as the shop
		// does (internal/payments reads the fields it needs of any).
		ev, err := webhook.ConstructEventWithOptions(body, r.Header.Get("Stripe-Signature"), testSecret,
			webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.calls++
		rc.raw = append(rc.raw, delivery{body, r.Header.Get("Stripe-Signature")})
		if err != nil {
			rc.badSigs = append(rc.badSigs, err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if rc.calls <= rc.failFirst {
			http.Error(w, "not now", http.StatusInternalServerError)
			return
		}
		rc.events = append(rc.events, ev)
	}))
	t.Cleanup(func() {
		rc.srv.Close()
		rc.mu.Lock()
		defer rc.mu.Unlock()
		for _, err := range rc.badSigs {
			t.Errorf("webhook signature rejected by stripe-go: %v", err)
		}
	})
	return rc
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery{}, rc.raw...)
}

func (rc *receiver) failNext(n int) {
	rc.mu.Lock()
	rc.failFirst = rc.calls + n
	rc.mu.Unlock()
}

// received returns the events received so far, of the given types if any.
func (rc *receiver) received(types ...string) []stripe.Event {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []stripe.Event
	for _, ev := range rc.events {
		if len(types) == 0 || contains(types, string(ev.Type)) {
			out = append(out, ev)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// eventually polls cond until it holds, for up to a minute: only a
// condition that never comes reaches the bound, not a busy machine.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sessionParams are the parameters internal/payments sends.
func sessionParams(orderID string, now time.Time) *stripe.CheckoutSessionParams {
	p := &stripe.CheckoutSessionParams{
		Mode: stripe.String(string(stripe.CheckoutSessionModePayment)),
		LineItems: []*stripe.CheckoutSessionLineItemParams{{
			PriceData: &stripe.CheckoutSessionLineItemPriceDataParams{
				Currency:   stripe.String("usd"),
				UnitAmount: stripe.Int64(1250),
				ProductData: &stripe.CheckoutSessionLineItemPriceDataProductDataParams{
					Name: stripe.String("Mug"),
				},
			},
			Quantity: stripe.Int64(2),
		}},
		ClientReferenceID: stripe.String(orderID),
		SuccessURL:        stripe.String("http://shop.test/success?session_id={CHECKOUT_SESSION_ID}"),
		CancelURL:         stripe.String("http://shop.test/cancel"),
		ExpiresAt:         stripe.Int64(now.Add(45 * time.Minute).Unix()),
	}
	p.AddMetadata("order_id", orderID)
	return p
}

func (e *env) createSession(t *testing.T, orderID string) *stripe.CheckoutSession {
	t.Helper()
	cs, err := e.api.CheckoutSessions.New(sessionParams(orderID, e.clock.Now()))
	if err != nil {
		t.Fatalf("create session: %v", err)
	}
	return cs
}

// control calls the simulator's control API and decodes the answer.
func (e *env) control(t *testing.T, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

func (e *env) complete(t *testing.T, id, outcome, email string) string {
	t.Helper()
	var out struct {
		RedirectURL string `json:"redirect_url"`
	}
	if code := e.control(t, "POST", "/_sim/checkout/sessions/"+id+"/complete", map[string]string{"outcome": outcome, "email": email}, &out); code != 200 {
		t.Fatalf("complete %s: status %d", id, code)
	}
	return out.RedirectURL
}

type simEvent struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	State    string `json:"state"`
	Attempts []struct {
		StatusCode int    `json:"status_code"`
		Error      string `json:"error"`
	} `json:"attempts"`
	Payload json.RawMessage `json:"payload"`
}

func (e *env) simEvents(t *testing.T) []simEvent {
	t.Helper()
	var out struct {
		Events []simEvent `json:"events"`
	}
	e.control(t, "GET", "/_sim/events", nil, &out)
	return out.Events
}

// rawPost sends form parameters as stripe-go would, for requests stripe-go's
// typed params cannot express.
func (e *env) rawPost(t *testing.T, path string, form url.Values, key string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// rawGet sends an authenticated GET and decodes the answer into out.
func (e *env) rawGet(t *testing.T, path string, out any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func asStripeError(t *testing.T, err error) *stripe.Error {
	t.Helper()
	var se *stripe.Error
	if !errors.As(err, &se) {
		t.Fatalf("want a *stripe.Error, got %T: %v", err, err)
	}
	return se
}

func sessionOf(t *testing.T, ev stripe.Event) stripe.CheckoutSession {
	t.Helper()
	var cs stripe.CheckoutSession
	if err := json.Unmarshal(ev.Data.Raw, &cs); err != nil {
		t.Fatalf("decode %s: %v", ev.Type, err)
	}
	return cs
}

package stripesim

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Config configures a Server.
type Config struct {
	// PublicURL is where browsers reach the simulator; hosted checkout pages
	// are PublicURL/pay/{session_id}.
	PublicURL string
	// WebhookURL receives every event; empty records events without sending.
	WebhookURL string
	// WebhookSecret signs the webhooks. During a secret rotation it is a
	// comma-separated list, and every delivery carries one v1 signature
	// per secret, as Stripe's do while an old secret is still valid.
	WebhookSecret string
	Logger        *slog.Logger
	// Now is the simulator's clock for created, expires_at and expiry; nil
	// means time.Now. Webhook signatures and redelivery timers always use
	// the wall clock, because receivers check signatures against theirs.
	Now func() time.Time
	// RetryBackoff is the wait before the first redelivery of a failed
	// webhook; each further one waits twice as long. Default 1s.
	RetryBackoff time.Duration
	// MaxAttempts is how many times one event is sent before giving up.
	// Default 10.
	MaxAttempts int
	// SweepInterval is how often open sessions past expires_at are expired
	// and stale idempotency keys dropped. Default 1s.
	SweepInterval time.Duration
	// WebhookTimeout bounds one delivery attempt. Default 10s.
	WebhookTimeout time.Duration
	// MerchantName is the business the hosted page says the customer
	// pays. Default "stripeshop".
	MerchantName string
	// BankDebitDelay is how long a bank debit paid on the hosted page
	// stays processing before it succeeds or fails. Default 10s.
	BankDebitDelay time.Duration
	// APIVersion is the version events are rendered at (the webhook
	// endpoint's) and requests without a Stripe-Version header are
	// answered at: one of APIVersions. Default APIVersion (2023-10-16).
	APIVersion string
	// EnabledEvents are the event types the webhook endpoint listens to,
	// as at Stripe; "*" is every type the simulator makes. Events of other
	// types are not made at all. Default DefaultEnabledEvents.
	EnabledEvents []string
	// ShuffleDelivery sends the events waiting for delivery in random
	// order rather than in the order they happened: Stripe does not
	// promise an order.
	ShuffleDelivery bool
	// StateFile keeps the sessions, payments, refunds, disputes and events
	// across restarts: read by New, written after changes and by Close.
	// Empty keeps everything in memory only.
	StateFile string
	// SaveInterval is how long a change may wait to be written to
	// StateFile. Default 250ms.
	SaveInterval time.Duration
	// PromotionCodes are the codes customers may apply on the hosted page
	// of a session made with allow_promotion_codes (ParsePromotionCodes
	// reads STRIPESIM_PROMOTION_CODES).
	PromotionCodes []PromotionCode
	// TaxRate is the percentage (0 to 100, up to four decimals) automatic
	// tax charges wherever the customer is (STRIPESIM_TAX_RATE).
	TaxRate float64
	// Latency delays the answer to every API request (/v1/…) by this
	// much, as Stripe's real round trip does (STRIPESIM_LATENCY); 0 answers
	// at once. The wait holds no lock: concurrent requests wait together.
	Latency time.Duration
	// LatencyJitter spreads each delay uniformly over Latency ± LatencyJitter
	// (STRIPESIM_LATENCY_JITTER), never below zero.
	LatencyJitter time.Duration
}

// Server is the simulator. It is an http.Handler; Close stops its
// background work.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	client  *http.Client
	secrets []string

	ctx       context.Context // ends at Close, aborting a delivery in flight
	cancel    context.CancelFunc
	quit      chan struct{}
	wake      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once

	// idemMu serializes POSTs that carry an Idempotency-Key, so two at once
	// with one key cannot both run.
	idemMu sync.Mutex

	mu             sync.Mutex
	webhookURL     string
	paused         bool
	sessions       map[string]*session
	sessionOrder   []*session // oldest first
	sessionsByPI   map[string]*session
	expiring       openByExpiry
	paymentIntents map[string]*paymentIntent
	charges        map[string]*charge
	shippingRates  map[string]*shippingRate // made by sessions' shipping_rate_data
	refunds        map[string]*refund
	disputes       map[string]*dispute
	events         map[string]*event
	eventOrder     []*event
	queue          []*event // events waiting for a delivery attempt
	idem           map[string]*idemEntry
	faults         []*fault
	settling       map[*time.Timer]*settlement // delayed payments not settled yet

	closed bool // by Close

	saveMu sync.Mutex // one write of StateFile at a time
	saved  []byte     // what StateFile holds
}

// New returns a running simulator; call Close when done.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = time.Second
	}
	if cfg.WebhookTimeout <= 0 {
		cfg.WebhookTimeout = 10 * time.Second
	}
	if cfg.MerchantName == "" {
		cfg.MerchantName = "stripeshop"
	}
	if cfg.BankDebitDelay <= 0 {
		cfg.BankDebitDelay = 10 * time.Second
	}
	if cfg.SaveInterval <= 0 {
		cfg.SaveInterval = 250 * time.Millisecond
	}
	if cfg.EnabledEvents == nil {
		cfg.EnabledEvents = DefaultEnabledEvents
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = APIVersion
	}
	if !slices.Contains(APIVersions, cfg.APIVersion) {
		panic("stripesim: Config.APIVersion " + cfg.APIVersion + " is not one of " + strings.Join(APIVersions, ", "))
	}
	if cfg.Latency < 0 || cfg.LatencyJitter < 0 {
		panic("stripesim: Config.Latency and LatencyJitter must not be negative")
	}
	if cfg.TaxRate < 0 || cfg.TaxRate > 100 {
		panic("stripesim: Config.TaxRate must be a percentage from 0 to 100")
	}
	cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	var secrets []string
	for _, sec := range strings.Split(cfg.WebhookSecret, ",") {
		if sec = strings.TrimSpace(sec); sec != "" {
			secrets = append(secrets, sec)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		ctx:            ctx,
		cancel:         cancel,
		cfg:            cfg,
		log:            cfg.Logger,
		client:         &http.Client{Timeout: cfg.WebhookTimeout},
		secrets:        secrets,
		quit:           make(chan struct{}),
		wake:           make(chan struct{}, 1),
		webhookURL:     cfg.WebhookURL,
		sessions:       map[string]*session{},
		sessionsByPI:   map[string]*session{},
		paymentIntents: map[string]*paymentIntent{},
		charges:        map[string]*charge{},
		shippingRates:  map[string]*shippingRate{},
		refunds:        map[string]*refund{},
		disputes:       map[string]*dispute{},
		events:         map[string]*event{},
		idem:           map[string]*idemEntry{},
		settling:       map[*time.Timer]*settlement{},
	}
	s.mux = s.routes()
	if cfg.StateFile != "" {
		if err := s.load(); err != nil {
			// Nothing was taken from it: start empty, keeping the file.
			aside := setAside(cfg.StateFile)
			s.log.Error("stripesim: the state file cannot be read; starting empty", "error", err, "moved_to", aside)
		}
		s.wg.Add(1)
		go s.saveLoop()
	}
	s.wg.Add(2)
	go s.deliverLoop()
	go s.sweepLoop()
	return s
}

// Close stops the expiry sweeper and webhook delivery, aborting an attempt
// in flight. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.cancel()
		close(s.quit)
		s.mu.Lock()
		s.closed = true
		for t := range s.settling {
			t.Stop()
		}
		s.mu.Unlock()
		s.wg.Wait()
		// The settlements stopped are written, to be taken up again.
		if s.cfg.StateFile != "" {
			if err := s.save(); err != nil {
				s.log.Error("stripesim: saving the state", "file", s.cfg.StateFile, "error", err)
			}
		}
	})
	s.wg.Wait()
}

// SetWebhookURL changes where events are sent from now on, including the
// redeliveries still queued.
func (s *Server) SetWebhookURL(u string) {
	s.mu.Lock()
	s.webhookURL = u
	s.mu.Unlock()
	s.kick()
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("POST /v1/checkout/sessions", s.api(checkoutSessionCreateParams(), s.createSession))
	mux.Handle("GET /v1/checkout/sessions", s.api(checkoutSessionListParams(), s.listSessions))
	mux.Handle("GET /v1/checkout/sessions/{id}", s.api(expandOnlyParams(), s.getSession))
	mux.Handle("GET /v1/checkout/sessions/{id}/line_items", s.api(lineItemListParams(), s.listLineItems))
	mux.Handle("GET /v1/shipping_rates/{id}", s.api(expandOnlyParams(), s.getShippingRate))
	mux.Handle("POST /v1/checkout/sessions/{id}/expire", s.api(expandOnlyParams(), s.expireSessionAPI))
	mux.Handle("POST /v1/refunds", s.api(refundCreateParams(), s.createRefund))
	mux.Handle("GET /v1/events/{id}", s.api(expandOnlyParams(), s.getEvent))
	mux.Handle("/v1/", s.api(nil, nil)) // Stripe's 404 for everything else

	mux.HandleFunc("GET /pay/{id}", s.handlePayPage)
	mux.HandleFunc("POST /pay/{id}", s.handlePaySubmit)
	mux.HandleFunc("GET /pay/{id}/authenticate", s.handleAuthPage)
	mux.HandleFunc("POST /pay/{id}/authenticate", s.handleAuthSubmit)

	mux.HandleFunc("POST /_sim/checkout/sessions/{id}/complete", s.handleSimComplete)
	mux.HandleFunc("POST /_sim/checkout/sessions/{id}/expire", s.handleSimExpire)
	mux.HandleFunc("POST /_sim/disputes", s.handleSimDispute)
	mux.HandleFunc("GET /_sim/events", s.handleSimEvents)
	mux.HandleFunc("POST /_sim/events/{id}/redeliver", s.handleSimRedeliver)
	mux.HandleFunc("GET /_sim/dashboard/events", s.handleDashboardEvents)
	mux.HandleFunc("GET /_sim/faults", s.handleSimFaults)
	mux.HandleFunc("POST /_sim/faults", s.handleSimFaults)
	mux.HandleFunc("DELETE /_sim/faults", s.handleSimFaults)
	mux.HandleFunc("GET /_sim/webhooks", s.handleSimWebhooks)
	mux.HandleFunc("POST /_sim/webhooks", s.handleSimWebhooks)
	return mux
}

// call is one API request after authentication and parameter validation.
type call struct {
	r         *http.Request
	params    map[string]any
	requestID string
	idemKey   string
	version   string // the API version to answer at
}

type apiFunc func(c *call) (any, error)

type idemEntry struct {
	method, path, params string
	requestID            string
	status               int
	body                 []byte
	created              time.Time
}

// api wraps an endpoint in what every Stripe API request goes through:
// injected faults, authentication, parameter validation against schema,
// idempotency, and Stripe's error shape.
func (s *Server) api(schema *param, fn apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.wait(r.Context()) {
			return // the client gave up during the injected latency
		}
		reqID := newID("req_", 14)
		w.Header().Set("Request-Id", reqID)
		status, body := s.serveAPI(w, r, reqID, schema, fn)
		s.log.Info("stripesim api", "method", r.Method, "path", r.URL.Path, "status", status, "request_id", reqID)
		writeRaw(w, status, body)
	})
}

// wait holds an API request for the configured latency (with its jitter),
// before any lock is taken, so that a crowd of calls waits in parallel as
// at Stripe. It reports false when the request was canceled meanwhile.
func (s *Server) wait(ctx context.Context) bool {
	d := s.cfg.Latency
	if j := s.cfg.LatencyJitter; j > 0 {
		d += time.Duration(mrand.Int64N(int64(2*j)+1)) - j
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, reqID string, schema *param, fn apiFunc) (int, []byte) {
	// Stripe has the whole request before it works on it: a client that
	// goes away while a fault holds the answer (a shop killed mid-checkout)
	// has still asked for the session, so its body is read first. A bad
	// body is refused in its place below, after authentication.
	vals, formErr := readForm(r)
	if f := s.takeFault(r.URL.Path); f != nil {
		if d := f.delay(); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
			}
		}
		if e := f.err(); e != nil {
			return errorBody(e)
		}
	}
	key, e := authenticate(r)
	if e != nil {
		return errorBody(e)
	}
	version, e := s.requestVersion(r)
	if e != nil {
		return errorBody(e)
	}
	w.Header().Set("Stripe-Version", version)
	if fn == nil {
		return errorBody(&apiError{Status: http.StatusNotFound, Type: "invalid_request_error",
			Message: "Unrecognized request URL (" + r.Method + ": " + r.URL.Path + "). Please see https://stripe.com/docs or we can help at https://support.stripe.com/."})
	}
	s.expireDue()
	if formErr != nil {
		return errorBody(formErr)
	}
	c := &call{r: r, requestID: reqID, version: version}
	if r.Method == http.MethodPost {
		c.idemKey = strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	}
	if c.idemKey == "" {
		return s.run(c, vals, schema, fn)
	}

	s.idemMu.Lock()
	defer s.idemMu.Unlock()
	scope := key + "\x00" + c.idemKey
	canonical := vals.Encode()
	s.mu.Lock()
	prev := s.idem[scope]
	s.mu.Unlock()
	if prev != nil {
		if prev.method != r.Method || prev.path != r.URL.Path {
			return errorBody(&apiError{Status: http.StatusBadRequest, Type: "idempotency_error",
				Message: "Keys for idempotent requests can only be used for the same endpoint they were first used for ('" +
					prev.method + " " + prev.path + "' vs '" + r.Method + " " + r.URL.Path + "'). Try using a key other than '" + c.idemKey + "' if you meant to execute a different request."})
		}
		if prev.params != canonical {
			return errorBody(&apiError{Status: http.StatusBadRequest, Type: "idempotency_error",
				Message: "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '" + c.idemKey + "' if you meant to execute a different request."})
		}
		w.Header().Set("Idempotent-Replayed", "true")
		w.Header().Set("Original-Request", prev.requestID)
		return prev.status, prev.body
	}
	status, body := s.run(c, vals, schema, fn)
	// Like Stripe, keep only results of requests that ran: a request
	// refused by validation may be retried with the same key once fixed.
	if status < 400 {
		s.mu.Lock()
		s.idem[scope] = &idemEntry{method: r.Method, path: r.URL.Path, params: canonical,
			requestID: c.requestID, status: status, body: body, created: s.cfg.Now()}
		s.mu.Unlock()
	}
	return status, body
}

func (s *Server) run(c *call, vals url.Values, schema *param, fn apiFunc) (int, []byte) {
	raw, err := decodeForm(vals)
	if err != nil {
		return errorBody(err)
	}
	typed, _, e := schema.validate("", raw)
	if e != nil {
		return errorBody(e)
	}
	c.params, _ = typed.(map[string]any)
	if c.params == nil {
		c.params = map[string]any{}
	}
	out, err := fn(c)
	if err != nil {
		return errorBody(err)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return errorBody(err)
	}
	return http.StatusOK, b
}

// authenticate accepts any secret or restricted key that looks like a
// Stripe one, as Bearer (stripe-go) or Basic (curl -u) credentials.
func authenticate(r *http.Request) (string, *apiError) {
	key := ""
	h := r.Header.Get("Authorization")
	if user, _, ok := r.BasicAuth(); ok {
		key = user
	} else if after, ok := strings.CutPrefix(h, "Bearer "); ok {
		key = strings.TrimSpace(after)
	}
	if key == "" {
		return "", &apiError{Status: http.StatusUnauthorized, Type: "invalid_request_error",
			Message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."}
	}
	for _, p := range []string{"sk_test_", "sk_live_", "rk_test_", "rk_live_"} {
		if strings.HasPrefix(key, p) && len(key) > len(p) {
			return key, nil
		}
	}
	shown := key
	if len(shown) > 8 {
		shown = shown[:8] + "*********"
	}
	return "", &apiError{Status: http.StatusUnauthorized, Type: "invalid_request_error", Code: "api_key_invalid",
		Message: "Invalid API Key provided: " + shown}
}

func errorBody(err error) (int, []byte) {
	e, ok := err.(*apiError)
	if !ok {
		e = &apiError{Status: http.StatusInternalServerError, Type: "api_error", Message: "stripesim: " + err.Error()}
	}
	b, _ := json.MarshalIndent(e.body(), "", "  ")
	return e.Status, b
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
	_, _ = w.Write([]byte("\n"))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status, b = errorBody(err)
	}
	writeRaw(w, status, b)
}

func writeError(w http.ResponseWriter, err error) {
	status, b := errorBody(err)
	writeRaw(w, status, b)
}

const idAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newID returns prefix followed by n random letters and digits, like
// Stripe's ids (cs_test_…, pi_…, evt_…).
func newID(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return prefix + string(b)
}

// kick wakes the delivery loop.
func (s *Server) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

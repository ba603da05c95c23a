package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/app"
	"github.com/stripeshop/stripeshop/internal/auth"
	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/shoptest"
)

// fuzzShop is a server on its own database for one fuzz target, driven in
// process (no sockets) so each input is cheap. The invariant every target
// checks: no input makes the server panic or answer 500, and no answer
// carries SQL, a stack trace or a Go source position.
type fuzzShop struct {
	h       http.Handler
	cookie  string
	csrf    string
	product string // an active product with stock
	order   string // a pending order of it
	session string
}

func newFuzzShop(f *testing.F) *fuzzShop {
	f.Helper()
	shop := shoptest.Start(f, shoptest.Options{StripeURL: stripeMockURL, StripeKey: "sk_test_fuzz",
		App: app.Options{LogOutput: io.Discard}})
	s := &fuzzShop{h: shop.Handler}
	rec := s.serve(f, "POST", "/api/admin/login", `{"email": "`+adminEmail+`", "password": "`+adminPassword+`"}`, nil)
	var id struct {
		CSRFToken string `json:"csrf_token"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &id)
	s.csrf = id.CSRFToken
	for _, c := range rec.Result().Cookies() {
		if c.Name == auth.CookieName {
			s.cookie = c.Value
		}
	}
	if s.cookie == "" || s.csrf == "" {
		f.Fatalf("fuzz: admin login failed: %d %s", rec.Code, rec.Body)
	}
	var p struct {
		ID string `json:"id"`
	}
	rec = s.admin(f, "POST", "/api/admin/products", `{"name": "Mug", "unit_amount": 1000, "currency": "usd", "stock": 1000000}`)
	_ = json.Unmarshal(rec.Body.Bytes(), &p)
	s.product = p.ID
	var st struct {
		OrderID   string `json:"order_id"`
		SessionID string `json:"session_id"`
	}
	rec = s.serve(f, "POST", "/api/checkout", `{"product_id": "`+p.ID+`", "quantity": 1}`, nil)
	_ = json.Unmarshal(rec.Body.Bytes(), &st)
	s.order, s.session = st.OrderID, st.SessionID
	if s.product == "" || s.order == "" {
		f.Fatalf("fuzz: setup failed: %d %s", rec.Code, rec.Body)
	}
	return s
}

func (s *fuzzShop) serve(t testing.TB, method, target, body string, hdr http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "http://shop.test/", strings.NewReader(body))
	req.URL, req.RequestURI = mustParseRequestURI(t, target), target
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec
}

func (s *fuzzShop) admin(t testing.TB, method, target, body string) *httptest.ResponseRecorder {
	return s.serve(t, method, target, body, http.Header{
		"Cookie":       {auth.CookieName + "=" + s.cookie},
		"X-Csrf-Token": {s.csrf},
	})
}

func mustParseRequestURI(t testing.TB, target string) *url.URL {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		t.Fatalf("bad target %q: %v", target, err)
	}
	return u
}

// leaks lists what must never reach a client.
var leaks = []string{"SQLSTATE", "pgx", "pgconn", "goroutine ", ".go:", "panic", "syntax error at", "violates"}

// stripeIDs matches the ids Stripe (and stripe-mock) make up, whose random
// letters may spell a leak word ("cs_test_Rm3XuMpgxKKLZPW").
var stripeIDs = regexp.MustCompile(`\b(cs|pi|ch|re|evt)_[A-Za-z0-9_]+`)

// leaked returns the leaks that body carries outside Stripe's ids.
func leaked(body string) []string {
	body = stripeIDs.ReplaceAllString(body, "")
	var found []string
	for _, l := range leaks {
		if strings.Contains(body, l) {
			found = append(found, l)
		}
	}
	return found
}

// checkAnswer fails on a 5xx other than those allowed, and on an answer
// that carries one of the leaks not already in the input (an error may
// name the field the client sent).
func checkAnswer(t *testing.T, what, input string, rec *httptest.ResponseRecorder, allowed ...int) {
	t.Helper()
	if rec.Code >= 500 {
		ok := false
		for _, a := range allowed {
			ok = ok || rec.Code == a
		}
		if !ok {
			t.Fatalf("%s: status %d: %s", what, rec.Code, rec.Body)
		}
	}
	body := rec.Body.String()
	for _, l := range leaked(body) {
		if !strings.Contains(strings.ToLower(input), strings.ToLower(l)) {
			t.Fatalf("%s: the answer leaks %q: %s", what, l, body)
		}
	}
	if rec.Code >= 400 && !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("%s: error answer is not JSON: %s", what, body)
	}
}

// FuzzCheckoutBody: POST /api/checkout with any body. A 502 (Stripe
// refused) is a contract answer; a 500 is a bug.
func FuzzCheckoutBody(f *testing.F) {
	s := newFuzzShop(f)
	for _, seed := range []string{
		`{"product_id": "` + s.product + `", "quantity": 1}`,
		`{"product_id": "` + strings.ToUpper(s.product) + `", "quantity": 100}`,
		`{"product_id": "` + s.product + `", "quantity": -1}`,
		`{"product_id": "` + s.product + `", "quantity": 1e3}`,
		`{"product_id": "` + s.product + `"}`,
		`{"product_id": "x\u0000y"}`,
		`{"product_id": "'; DROP TABLE orders; --"}`,
		`{"product_id": 1}`, `[]`, `null`, `{}`, `{"product_id": "a"} {}`, ``, `{`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		checkAnswer(t, "checkout", body, s.serve(t, "POST", "/api/checkout", body, nil), http.StatusBadGateway)
	})
}

// FuzzProductBody: the admin's product create and patch bodies.
func FuzzProductBody(f *testing.F) {
	s := newFuzzShop(f)
	for _, seed := range []string{
		`{"name": "Mug", "unit_amount": 1250, "currency": "usd", "stock": 3}`,
		`{"name": "Mug", "description": "x", "unit_amount": 99999999, "currency": "JPY", "image_url": "https://img.test/a.png", "stock": null, "active": false}`,
		`{"name": "\u0000", "unit_amount": 100, "currency": "usd"}`,
		`{"name": "Robert'); DROP TABLE products;--", "unit_amount": 100, "currency": "usd"}`,
		`{"name": "<script>alert(1)</script>", "unit_amount": 100, "currency": "usd"}`,
		`{"stock": "many"}`, `{"stock": 1e99}`, `{"unit_amount": 9223372036854775807}`,
		`{"image_url": "javascript:alert(1)"}`, `{"currency": "ü"}`, `{"nope": 1}`, `[]`, ``,
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, body string, patch bool) {
		if patch {
			checkAnswer(t, "patch", body, s.admin(t, "PATCH", "/api/admin/products/"+s.product, body))
			// keep the product sellable for the other targets' seeds
			s.admin(t, "PATCH", "/api/admin/products/"+s.product, `{"active": true, "stock": 1000000, "unit_amount": 1000, "currency": "usd", "name": "Mug"}`)
			return
		}
		checkAnswer(t, "create", body, s.admin(t, "POST", "/api/admin/products", body))
	})
}

// FuzzLoginBody: the login body. Wrong guesses end in 429, never 500.
func FuzzLoginBody(f *testing.F) {
	s := newFuzzShop(f)
	for _, seed := range []string{
		`{"email": "admin@example.com", "password": "wrong password here"}`,
		`{"email": "nobody@example.com", "password": "x"}`,
		`{"email": "a\u0000b@example.com", "password": "x"}`,
		`{"email": "' OR 1=1 --", "password": "' OR 1=1 --"}`,
		`{"email": "", "password": ""}`, `{"email": 1}`, `{}`, ``, `[`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		checkAnswer(t, "login", body, s.serve(t, "POST", "/api/admin/login", body, http.Header{"X-Forwarded-For": {"10.0.0.1"}}))
	})
}

// FuzzWebhook: the webhook endpoint, with any signature header and body,
// and with a valid signature over any body (so decoding and applying run).
func FuzzWebhook(f *testing.F) {
	s := newFuzzShop(f)
	paid := sessionEvent{Type: "checkout.session.completed", SessionID: s.session, OrderID: s.order,
		Status: "complete", PaymentStatus: "paid", AmountTotal: 1000, Currency: "usd", PaymentIntent: "pi_fuzz", Email: "a@b.c"}
	for _, seed := range [][]byte{
		paid.payload(),
		chargeRefunded("pi_fuzz", 1000, 1000),
		[]byte(`{"id": "evt_1", "object": "event", "type": "checkout.session.expired", "data": {"object": {"id": "cs_1", "status": "expired", "payment_status": "unpaid", "metadata": {"order_id": "\u0000"}}}}`),
		[]byte(`{"id": "evt_2", "type": "charge.refunded", "data": {"object": {"id": "ch_1", "payment_intent": {"id": "pi_\u0000"}}}}`),
		[]byte(`{"id": "", "type": "", "data": null}`), []byte(`[]`), []byte(``), []byte(`{"id": 1}`),
	} {
		f.Add(seed, "t=1,v1=00", true)
		f.Add(seed, "", false)
	}
	f.Add([]byte(`{}`), "t="+strings.Repeat("9", 30)+",v1=zz,v0=,=,,t=", false)
	f.Fuzz(func(t *testing.T, body []byte, header string, sign bool) {
		if sign {
			header = payments.Sign(body, webhookSecret, time.Now())
		}
		req := httptest.NewRequest("POST", "/webhook/stripe", bytes.NewReader(body))
		req.Header.Set("Stripe-Signature", header)
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, req)
		if sign {
			// A signed event the database cannot take (a NUL in an id) is
			// answered 503, "not recorded": only Stripe can sign, and it
			// sends no such thing.
			checkAnswer(t, "webhook", string(body), rec, http.StatusServiceUnavailable)
		} else {
			checkAnswer(t, "webhook", string(body), rec)
		}
		if !sign && rec.Code == 200 {
			t.Fatalf("an unsigned webhook was accepted: header %q", header)
		}
	})
}

// FuzzPathsAndQueries: ids in paths and every query parameter.
func FuzzPathsAndQueries(f *testing.F) {
	s := newFuzzShop(f)
	for _, seed := range []string{s.product, s.order, s.session, "00000000-0000-0000-0000-000000000000",
		"' OR '1'='1", "\x00", "%00", "..", "../../etc/passwd", strings.Repeat("a", 5000), "evt_1", "ZZZZ", "-1", "1e9", "😀"} {
		f.Add(seed, seed)
	}
	f.Fuzz(func(t *testing.T, id, q string) {
		pid, qv := url.PathEscape(id), url.QueryEscape(q)
		public := []string{
			"/api/products/" + pid,
			"/api/checkout/status?session_id=" + qv,
			"/api/checkout/status?session_id=cs_" + qv,
		}
		for _, target := range public {
			checkAnswer(t, "GET "+target, id+q, s.serve(t, "GET", target, "", nil))
		}
		admin := [][2]string{
			{"GET", "/api/admin/products/" + pid},
			{"GET", "/api/admin/orders/" + pid},
			{"POST", "/api/admin/orders/" + pid + "/refund"},
			{"POST", "/api/admin/events/" + pid + "/reprocess"},
			{"PATCH", "/api/admin/products/" + pid},
			{"GET", "/api/admin/orders?status=" + qv},
			{"GET", "/api/admin/orders?limit=" + qv},
			{"GET", "/api/admin/orders?cursor=" + qv},
			{"GET", "/api/admin/events?cursor=" + qv + "&limit=" + qv},
			{"GET", "/api/admin/stats?days=" + qv},
		}
		for _, r := range admin {
			checkAnswer(t, r[0]+" "+r[1], id+q, s.admin(t, r[0], r[1], `{}`), http.StatusBadGateway)
		}
	})
}

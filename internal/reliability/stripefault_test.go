package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/shoptest"
)

// loseProxy stands between the server and the simulator. It forwards every
// request, and for the next n requests under a path it lets the simulator
// do the work, then resets the connection instead of answering: the
// server cannot know whether Stripe made the session or the refund.
type loseProxy struct {
	srv    *httptest.Server
	target string

	mu   sync.Mutex
	lose map[string]int // path prefix → answers still to lose
	lost int
}

func newLoseProxy(t testing.TB, target string) *loseProxy {
	p := &loseProxy{target: target, lose: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *loseProxy) loseNext(prefix string, n int) {
	p.mu.Lock()
	p.lose[prefix] = n
	p.mu.Unlock()
}

func (p *loseProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, _ := http.NewRequest(r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	req.Header = r.Header.Clone()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	p.mu.Lock()
	lose := false
	for prefix, n := range p.lose {
		if n > 0 && r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, prefix) {
			p.lose[prefix] = n - 1
			p.lost++
			lose = true
			break
		}
	}
	p.mu.Unlock()
	if lose {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			hardClose(conn)
		}
		return
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(rb)
}

// Stripe (the simulator, or a proxy before it) answers slowly, with 500s,
// 503s, 429s, or loses its answer after it made the session. Checkout
// answers 502 and releases the stock, or succeeds once thanks to the
// idempotency key: never a unit reserved forever, never two sessions for
// one order. Refunds behave the same way.
func TestStripeFaults(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	lp := newLoseProxy(t, w.simURL)
	// As cmd/stripeshop: stripe-go retries network failures twice with the
	// same idempotency key; one attempt may take 1s here.
	srv := w.startServer(serverOpts{stripeURL: lp.srv.URL, timeout: time.Second, retries: 2, stripeWait: 6 * time.Second})
	w.setTargets(srv.URL)
	a := shoptest.Login(t, srv.URL)

	const sessions = "/v1/checkout/sessions"
	cases := []struct {
		name  string
		setup func()
		want  int // 201 or 502
	}{
		{"500 once (a POST is not retried)", func() { w.fault(500, 1, 0, sessions) }, 502},
		{"503 once (retried)", func() { w.fault(503, 1, 0, sessions) }, 201},
		{"503 on every attempt", func() { w.fault(503, 3, 0, sessions) }, 502},
		{"429 rate limited", func() { w.fault(429, 1, 0, sessions) }, 502},
		{"slower than the timeout once", func() { w.fault(0, 1, 1300*time.Millisecond, sessions) }, 201},
		{"slower than the timeout on every attempt", func() { w.fault(0, 3, 1300*time.Millisecond, sessions) }, 502},
		{"answer lost after the session was made, once", func() { lp.loseNext(sessions, 1) }, 201},
		// net/http also retries a POST that carries an Idempotency-Key once on
		// a dead connection, so "every attempt" is more than stripe-go's three.
		{"answer lost after the session was made, every attempt", func() { lp.loseNext(sessions, 100) }, 502},
		{"no fault", func() {}, 201},
	}
	initial := map[string]int64{}
	paid := map[string]string{} // order → session, for the refunds below
	for _, tc := range cases {
		product := addProducts(t, a, initial, 1, 5)[0]
		w.clearFaults()
		tc.setup()
		start := time.Now()
		st, r, err := checkoutOnce(srv.URL, product, 2)
		took := time.Since(start)
		lp.loseNext(sessions, 0)
		if err != nil || r.Status != tc.want {
			t.Errorf("%s: checkout = %d %s %v, want %d", tc.name, r.Status, r.Body, err, tc.want)
			continue
		}
		o, stock := productOrder(t, w, product)
		orderID, status, made := o.ID, o.Status, len(w.sessionsOf(o.ID))
		switch {
		case tc.want == 502 && (status != "expired" || stock != 5 || r.ErrorCode() != "payment_provider"):
			t.Errorf("%s: after a 502 the order is %s and the stock %d, want expired and 5 (%s)", tc.name, status, stock, r.Body)
		case tc.want == 201 && (status != "pending" || stock != 3 || st.SessionID == ""):
			t.Errorf("%s: after a 201 the order is %s and the stock %d, want pending and 3", tc.name, status, stock)
		case made > 1:
			t.Errorf("%s: Stripe made %d sessions for one order", tc.name, made)
		case tc.want == 201 && made != 1:
			t.Errorf("%s: Stripe made %d sessions for a started checkout", tc.name, made)
		}
		t.Logf("%s: %d in %s; Stripe holds %d session(s) for the order", tc.name, r.Status, took.Round(10*time.Millisecond), made)
		if tc.want == 201 {
			if err := w.pay(st.SessionID, "paid"); err != nil {
				t.Fatal(err)
			}
			paid[orderID] = st.SessionID
		}
	}
	w.clearFaults()

	// The success page polls while Stripe fails: it still answers, pending
	// or paid, never an error.
	st, r, err := checkoutOnce(srv.URL, addProducts(t, a, initial, 1, 5)[0], 1)
	if err != nil || r.Status != 201 {
		t.Fatalf("checkout: %v %d", err, r.Status)
	}
	w.fault(500, 10, 0, sessions+"/"+st.SessionID)
	if r, err := anyone.Try("GET", srv.URL+"/api/checkout/status?session_id="+st.SessionID, nil); err != nil || r.Status != 200 {
		t.Errorf("status poll while Stripe fails: %d %s %v", r.Status, r.Body, err)
	}
	w.clearFaults()

	// Refunds: a 500, then an answer lost after the refund was made. The
	// admin sees 502 or success; Stripe refunds each order once.
	w.drain(waitBound)
	refunds := 0
	for orderID := range paid {
		switch refunds {
		case 0:
			w.fault(500, 1, 0, "/v1/refunds")
			if r, _ := a.Try("POST", "/api/admin/orders/"+orderID+"/refund", nil); r.Status != 502 {
				t.Errorf("refund while Stripe answers 500: %d %s, want 502", r.Status, r.Body)
			}
		case 1:
			lp.loseNext("/v1/refunds", 1)
		case 2:
			lp.loseNext("/v1/refunds", 100)
			if r, _ := a.Try("POST", "/api/admin/orders/"+orderID+"/refund", nil); r.Status != 502 {
				t.Errorf("refund whose answers are all lost: %d %s, want 502", r.Status, r.Body)
			}
			lp.loseNext("/v1/refunds", 0)
		}
		// The admin tries again: refunded once. When Stripe made the refund
		// but its answer was lost, the charge.refunded webhook may have
		// settled the order first: then the retry is a 409.
		r, _ := a.Try("POST", "/api/admin/orders/"+orderID+"/refund", nil)
		var status string
		_ = w.db.QueryRow(context.Background(), `SELECT status FROM orders WHERE id = $1`, orderID).Scan(&status)
		if (r.Status != 200 && r.Status != 409) || status != "refunded" {
			t.Errorf("refund %d: %d %s, order %s, want 200 (or 409 after the webhook) and refunded", refunds, r.Status, r.Body, status)
		}
		refunds++
		if refunds == 3 {
			break
		}
	}
	w.drain(waitBound)
	perPI := map[string]int{}
	for _, e := range w.events() {
		if e.Type == "charge.refunded" {
			var p struct {
				Data struct {
					Object struct {
						PaymentIntent string `json:"payment_intent"`
					} `json:"object"`
				} `json:"data"`
			}
			_ = json.Unmarshal(e.Payload, &p)
			perPI[p.Data.Object.PaymentIntent]++
		}
	}
	for pi, n := range perPI {
		if n != 1 {
			t.Errorf("payment %s refunded %d times", pi, n)
		}
	}
	if len(perPI) != refunds {
		t.Errorf("%d payments refunded at Stripe for %d refunded orders", len(perPI), refunds)
	}

	w.quiesce(t)
	status := checkSettled(t, w, settleOptions{})
	inv := checkInvariant(t, w, initial)
	t.Logf("figures: %d checkout faults, %d answers lost by the proxy, %d refunds; orders: %v; %s", len(cases), lp.lost, refunds, status, inv)
}

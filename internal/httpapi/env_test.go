package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/shoptest"
)

const (
	adminEmail    = shoptest.AdminEmail
	adminPassword = shoptest.AdminPassword
	webhookSecret = shoptest.WebhookSecret
)

// env is one shop on its own database, talking to stripe-mock unless told
// otherwise.
type env struct {
	*shoptest.Shop
	t *testing.T

	adminOnce   sync.Once
	adminClient *client
}

type (
	client   = shoptest.Client
	response = shoptest.Response
	started  = shoptest.Started
)

// newEnv starts a shop; o, when given, changes it (StripeURL defaults to
// stripe-mock).
func newEnv(t *testing.T, o ...shoptest.Options) *env {
	t.Helper()
	var opts shoptest.Options
	if len(o) > 0 {
		opts = o[0]
	}
	if opts.StripeURL == "" {
		opts.StripeURL = stripeMockURL
	}
	return &env{Shop: shoptest.Start(t, opts), t: t}
}

func (e *env) client() *client { return e.Client(e.t) }

// from names addr as the client in X-Forwarded-For, as a proxy does: for
// Do, on a shop that trusts the tests' address (TrustedProxies "127.0.0.1").
func from(addr string) []string { return []string{"X-Forwarded-For", addr} }

// admin is the signed-in admin's browser, signed in once per env.
func (e *env) admin() *client {
	e.adminOnce.Do(func() { e.adminClient = e.Login(e.t) })
	return e.adminClient
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
	Number        int64   `json:"number"`
	Status        string  `json:"status"`
	ProductID     string  `json:"product_id"`
	Quantity      int64   `json:"quantity"`
	AmountTotal   int64   `json:"amount_total"`
	Currency      string  `json:"currency"`
	CustomerEmail string  `json:"customer_email"`
	SessionID     string  `json:"session_id"`
	PaidAt        *string `json:"paid_at"`
	CancelledAt   *string `json:"cancelled_at"`
	Flagged       bool    `json:"flagged"`
	FlagReason    string  `json:"flag_reason"`
	Events        []struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"events"`
}

func (e *env) createProduct(amount, stock int64) product {
	e.t.Helper()
	var p product
	body := map[string]any{"name": "Mug", "unit_amount": amount, "currency": "usd", "stock": stock}
	if stock < 0 {
		body["stock"] = nil
	}
	e.admin().MustDo("POST", "/api/admin/products", body, 201, &p)
	return p
}

func (e *env) product(id string) product {
	e.t.Helper()
	var p product
	e.admin().MustDo("GET", "/api/admin/products/"+id, nil, 200, &p)
	return p
}

func (e *env) order(id string) order {
	e.t.Helper()
	var o order
	e.admin().MustDo("GET", "/api/admin/orders/"+id, nil, 200, &o)
	return o
}

func (e *env) buy(productID string, qty int64) started {
	e.t.Helper()
	var s started
	e.client().MustDo("POST", "/api/checkout", map[string]any{"product_id": productID, "quantity": qty}, 201, &s)
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
		"amount_total": s.AmountTotal, "amount_subtotal": s.AmountTotal, "currency": s.Currency, "client_reference_id": s.OrderID,
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
	st, err := shoptest.Deliver(e.URL, payload, secret, at)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func (e *env) mustDeliver(payload []byte) {
	e.t.Helper()
	if st := e.deliver(payload, webhookSecret, time.Now()); st != 200 {
		e.t.Fatalf("webhook answered %d, want 200", st)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

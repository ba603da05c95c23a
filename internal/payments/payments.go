// Package payments is the one place that speaks to Stripe through stripe-go:
// Checkout Sessions, refunds and webhook verification. Everything it returns
// is a plain type of its own, so no other package sees stripe-go.
package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
)

// APIVersion is the Stripe API version stripe-go v76 speaks.
const APIVersion = stripe.APIVersion

// Config says how to reach Stripe.
type Config struct {
	SecretKey string
	// APIURL overrides Stripe's own base URL (the simulator, stripe-mock).
	APIURL string
	// Timeout bounds one HTTP attempt; stripe-go retries network failures
	// MaxNetworkRetries times with the same idempotency key.
	Timeout           time.Duration
	MaxNetworkRetries int64
	Logger            *slog.Logger
}

// Client creates and reads Checkout Sessions and refunds.
type Client struct {
	api *client.API
}

// New returns a client for cfg.
func New(cfg Config) *Client {
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	bc := &stripe.BackendConfig{
		HTTPClient:        &http.Client{Timeout: cfg.Timeout, Transport: transport()},
		MaxNetworkRetries: stripe.Int64(cfg.MaxNetworkRetries),
		LeveledLogger:     slogLogger{cfg.Logger},
		EnableTelemetry:   stripe.Bool(false),
	}
	if cfg.APIURL != "" {
		bc.URL = stripe.String(cfg.APIURL)
	}
	backends := &stripe.Backends{
		API:     stripe.GetBackendWithConfig(stripe.APIBackend, bc),
		Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, bc),
		Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, bc),
	}
	return &Client{api: client.New(cfg.SecretKey, backends)}
}

// MaxIdleConns is how many idle connections to Stripe the client keeps for
// the next calls.
const MaxIdleConns = 512

// transport keeps enough idle connections to Stripe for concurrent
// checkouts: Go's default keeps two per host, and each further call would
// pay for a new connection and TLS handshake. At Stripe's latency (~300 ms)
// a crowd keeps hundreds of calls in flight at once; with 64 kept, every
// call beyond them opened a connection and closed it after one use. An
// idle connection costs two goroutines and ~10 kB, and goes after 90 s.
func transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = MaxIdleConns
	t.MaxIdleConnsPerHost = MaxIdleConns
	return t
}

// SessionParams describes the Checkout Session of one order. Every value
// comes from our database, never from the browser.
type SessionParams struct {
	OrderID string
	// OrderNumber is the order's number for people; the session carries
	// it so Stripe's dashboard names the order as the shop does.
	OrderNumber int64
	ProductName string
	Currency    string
	UnitAmount  int64
	Quantity    int64
	SuccessURL  string
	CancelURL   string
	ExpiresAt   time.Time
	// ImageURL, when set, is the product's picture on the checkout page
	// (product_data.images): a public https URL.
	ImageURL string
}

// Session is what we read of a Checkout Session.
type Session struct {
	ID              string
	URL             string
	Status          string // open, complete, expired
	PaymentStatus   string // paid, unpaid, no_payment_required
	Currency        string
	CustomerEmail   string
	PaymentIntentID string
	// PaymentIntentStatus is set when the payment intent was expanded
	// (GetSession): processing, succeeded, requires_payment_method, …
	PaymentIntentStatus string
	ClientReferenceID   string
	OrderID             string // metadata.order_id
	AmountTotal         int64
	ExpiresAt           time.Time
}

// Refund is what we read of a refund.
type Refund struct {
	ID              string
	Status          string
	Amount          int64
	PaymentIntentID string
}

// PlausibleSessionID reports whether id could be a Checkout Session's id
// (cs_ and letters, digits and underscores), so that one that cannot be is
// not sent to Stripe at all.
func PlausibleSessionID(id string) bool {
	if len(id) < 4 || len(id) > 255 || !strings.HasPrefix(id, "cs_") {
		return false
	}
	for _, c := range id {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// ErrNotFound is returned when Stripe does not know the object.
var ErrNotFound = errors.New("payments: no such object")

// CreateSession creates the hosted Checkout Session of an order. The
// idempotency key is derived from the order id, so a retry after a lost
// answer returns the same session instead of a second one.
func (c *Client) CreateSession(ctx context.Context, p SessionParams) (Session, error) {
	params := &stripe.CheckoutSessionParams{
		Mode: stripe.String(string(stripe.CheckoutSessionModePayment)),
		LineItems: []*stripe.CheckoutSessionLineItemParams{{
			PriceData: &stripe.CheckoutSessionLineItemPriceDataParams{
				Currency:   stripe.String(p.Currency),
				UnitAmount: stripe.Int64(p.UnitAmount),
				ProductData: &stripe.CheckoutSessionLineItemPriceDataProductDataParams{
					Name:        stripe.String(p.ProductName),
					Description: stripe.String(OrderLabel(p.OrderNumber)),
				},
			},
			Quantity: stripe.Int64(p.Quantity),
		}},
		ClientReferenceID: stripe.String(p.OrderID),
		SuccessURL:        stripe.String(p.SuccessURL),
		CancelURL:         stripe.String(p.CancelURL),
		ExpiresAt:         stripe.Int64(p.ExpiresAt.Unix()),
	}
	if p.ImageURL != "" {
		params.LineItems[0].PriceData.ProductData.Images = []*string{stripe.String(p.ImageURL)}
	}
	params.AddMetadata("order_id", p.OrderID)
	params.AddMetadata("order_number", strconv.FormatInt(p.OrderNumber, 10))
	params.SetIdempotencyKey(IdempotencyKey("checkout", p.OrderID))
	params.Context = ctx
	s, err := c.api.CheckoutSessions.New(params)
	if err != nil {
		return Session{}, wrap("create checkout session", err)
	}
	return sessionFrom(s), nil
}

// OrderLabel is how an order is named to people: "Order #1001".
func OrderLabel(number int64) string { return "Order #" + strconv.FormatInt(number, 10) }

// GetSession reads a Checkout Session.
func (c *Client) GetSession(ctx context.Context, id string) (Session, error) {
	params := &stripe.CheckoutSessionParams{}
	// The payment intent's status tells a delayed payment that failed from
	// one still processing: the session says "unpaid" for both.
	params.AddExpand("payment_intent")
	params.Context = ctx
	s, err := c.api.CheckoutSessions.Get(id, params)
	if err != nil {
		return Session{}, wrap("get checkout session", err)
	}
	return sessionFrom(s), nil
}

// ExpireSession ends an open Checkout Session so it can no longer be paid.
func (c *Client) ExpireSession(ctx context.Context, id string) (Session, error) {
	params := &stripe.CheckoutSessionExpireParams{}
	params.Context = ctx
	s, err := c.api.CheckoutSessions.Expire(id, params)
	if err != nil {
		return Session{}, wrap("expire checkout session", err)
	}
	return sessionFrom(s), nil
}

// Refund refunds a payment in full.
func (c *Client) Refund(ctx context.Context, paymentIntentID, idempotencyKey string) (Refund, error) {
	params := &stripe.RefundParams{PaymentIntent: stripe.String(paymentIntentID)}
	params.SetIdempotencyKey(idempotencyKey)
	params.Context = ctx
	r, err := c.api.Refunds.New(params)
	if err != nil {
		return Refund{}, wrap("refund", err)
	}
	out := Refund{ID: r.ID, Status: string(r.Status), Amount: r.Amount}
	if r.PaymentIntent != nil {
		out.PaymentIntentID = r.PaymentIntent.ID
	}
	return out, nil
}

// IdempotencyKey derives a stable key for one operation on one object.
func IdempotencyKey(op, id string) string { return "stripeshop-" + op + "-" + id }

// sessionFrom is what the shop reads of a session stripe-go decoded.
func sessionFrom(s *stripe.CheckoutSession) Session {
	e := eventSession{
		ID:                s.ID,
		URL:               s.URL,
		Status:            string(s.Status),
		PaymentStatus:     string(s.PaymentStatus),
		Currency:          string(s.Currency),
		CustomerEmail:     s.CustomerEmail,
		ClientReferenceID: s.ClientReferenceID,
		AmountTotal:       s.AmountTotal,
		ExpiresAt:         s.ExpiresAt,
		Metadata:          s.Metadata,
	}
	if s.CustomerDetails != nil {
		e.CustomerDetails = &customerDetails{Email: s.CustomerDetails.Email}
	}
	if s.PaymentIntent != nil {
		e.PaymentIntent = &expandable{ID: s.PaymentIntent.ID, Status: string(s.PaymentIntent.Status)}
	}
	return e.session()
}

// ProviderError is a failure of Stripe or of the way to it. Nothing was
// charged: no session or refund exists unless a retry with the same key
// later returns it.
type ProviderError struct {
	Op         string
	StatusCode int // 0 when no answer came
	Code       string
	err        error
}

func (e *ProviderError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("stripe %s: status %d %s", e.Op, e.StatusCode, e.Code)
	}
	return fmt.Sprintf("stripe %s: %v", e.Op, e.err)
}

func (e *ProviderError) Unwrap() error { return e.err }

func wrap(op string, err error) error {
	var se *stripe.Error
	if errors.As(err, &se) {
		if se.HTTPStatusCode == http.StatusNotFound || se.Code == stripe.ErrorCodeResourceMissing {
			return fmt.Errorf("stripe %s: %w", op, ErrNotFound)
		}
		return &ProviderError{Op: op, StatusCode: se.HTTPStatusCode, Code: string(se.Code), err: err}
	}
	return &ProviderError{Op: op, err: err}
}

// slogLogger sends stripe-go's own log lines to slog at debug level; stripe-go
// never logs the secret key.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Debugf(format string, v ...any) {
	s.l.Debug("stripe-go: " + fmt.Sprintf(format, v...))
}
func (s slogLogger) Infof(format string, v ...any) {
	s.l.Debug("stripe-go: " + fmt.Sprintf(format, v...))
}
func (s slogLogger) Warnf(format string, v ...any) {
	s.l.Warn("stripe-go: " + fmt.Sprintf(format, v...))
}
func (s slogLogger) Errorf(format string, v ...any) {
	s.l.Debug("stripe-go: " + fmt.Sprintf(format, v...))
}

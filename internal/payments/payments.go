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
// comes from our database and configuration, never from the browser.
type SessionParams struct {
	OrderID string
	// OrderNumber is the order's number for people; the session carries
	// it so Stripe's dashboard names the order as the shop does.
	OrderNumber int64
	Currency    string
	// Lines are the order's lines, one line item each. An order of one
	// product may give ProductName, UnitAmount and Quantity instead.
	Lines       []LineItem
	ProductName string
	UnitAmount  int64
	Quantity    int64
	SuccessURL  string
	CancelURL   string
	ExpiresAt   time.Time
	// ShippingCountries, when any, has Stripe ask for a shipping address
	// in one of them (ISO 3166-1 alpha-2).
	ShippingCountries []string
	// ShippingOptions are offered on Stripe's page (Stripe takes at most 5).
	ShippingOptions []ShippingOption
	// AllowPromotionCodes lets the customer enter a promotion code.
	AllowPromotionCodes bool
	// AutomaticTax has Stripe compute tax; TaxBehavior ("exclusive" or
	// "inclusive") says whether prices include it.
	AutomaticTax bool
	TaxBehavior  string
}

// LineItem is one line of a session.
type LineItem struct {
	Name       string
	UnitAmount int64
	Quantity   int64
	TaxCode    string // "" for the account's default
	// ImageURL, when set, is the product's picture on the checkout page
	// (product_data.images): a public https URL.
	ImageURL string
}

// ShippingOption is a shipping rate offered on a session. ID is the shop's
// (a rate's id, or "free"); the session's metadata maps the amounts back
// to it, since Stripe reports the chosen rate by its own id.
type ShippingOption struct {
	ID       string
	Name     string
	Amount   int64
	MinDays  int64 // 0: no lower bound
	MaxDays  int64 // 0: no upper bound
	Currency string
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
	// What Stripe charged, once complete: the subtotal of the line items,
	// and the discount, shipping and tax of total_details.
	AmountSubtotal int64
	AmountDiscount int64
	AmountShipping int64
	AmountTax      int64
	// Shipping is the address the customer gave (shipping_details at
	// 2023-10-16, collected_information.shipping_details later), nil when none.
	Shipping *ShippingDetails
	// ShippingRateID is the shop's id of the rate chosen (see
	// ShippingOption), "" when none or unknown; ShippingRate is Stripe's.
	ShippingRateID string
	ShippingRate   string
	// PromotionCode is the promotion code of the session's discount, as
	// Stripe reports it (its id), "" when none.
	PromotionCode string
}

// ShippingDetails is a name and a postal address.
type ShippingDetails struct {
	Name       string
	Line1      string
	Line2      string
	City       string
	State      string
	PostalCode string
	Country    string
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
	lines := p.Lines
	if len(lines) == 0 {
		lines = []LineItem{{Name: p.ProductName, UnitAmount: p.UnitAmount, Quantity: p.Quantity}}
	}
	params := &stripe.CheckoutSessionParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModePayment)),
		ClientReferenceID: stripe.String(p.OrderID),
		SuccessURL:        stripe.String(p.SuccessURL),
		CancelURL:         stripe.String(p.CancelURL),
		ExpiresAt:         stripe.Int64(p.ExpiresAt.Unix()),
	}
	for _, l := range lines {
		item := &stripe.CheckoutSessionLineItemParams{
			PriceData: &stripe.CheckoutSessionLineItemPriceDataParams{
				Currency:   stripe.String(p.Currency),
				UnitAmount: stripe.Int64(l.UnitAmount),
				ProductData: &stripe.CheckoutSessionLineItemPriceDataProductDataParams{
					Name:        stripe.String(l.Name),
					Description: stripe.String(OrderLabel(p.OrderNumber)),
				},
			},
			Quantity: stripe.Int64(l.Quantity),
		}
		if l.ImageURL != "" {
			item.PriceData.ProductData.Images = []*string{stripe.String(l.ImageURL)}
		}
		if l.TaxCode != "" {
			item.PriceData.ProductData.TaxCode = stripe.String(l.TaxCode)
		}
		if p.AutomaticTax && p.TaxBehavior != "" {
			item.PriceData.TaxBehavior = stripe.String(p.TaxBehavior)
		}
		params.LineItems = append(params.LineItems, item)
	}
	if len(p.ShippingCountries) > 0 {
		params.ShippingAddressCollection = &stripe.CheckoutSessionShippingAddressCollectionParams{
			AllowedCountries: stripe.StringSlice(p.ShippingCountries),
		}
	}
	var rates []string
	for _, o := range p.ShippingOptions {
		data := &stripe.CheckoutSessionShippingOptionShippingRateDataParams{
			Type:        stripe.String("fixed_amount"),
			DisplayName: stripe.String(o.Name),
			FixedAmount: &stripe.CheckoutSessionShippingOptionShippingRateDataFixedAmountParams{
				Amount:   stripe.Int64(o.Amount),
				Currency: stripe.String(p.Currency),
			},
		}
		if o.MinDays > 0 || o.MaxDays > 0 {
			data.DeliveryEstimate = &stripe.CheckoutSessionShippingOptionShippingRateDataDeliveryEstimateParams{}
			if o.MinDays > 0 {
				data.DeliveryEstimate.Minimum = &stripe.CheckoutSessionShippingOptionShippingRateDataDeliveryEstimateMinimumParams{
					Unit: stripe.String("business_day"), Value: stripe.Int64(o.MinDays)}
			}
			if o.MaxDays > 0 {
				data.DeliveryEstimate.Maximum = &stripe.CheckoutSessionShippingOptionShippingRateDataDeliveryEstimateMaximumParams{
					Unit: stripe.String("business_day"), Value: stripe.Int64(o.MaxDays)}
			}
		}
		if p.AutomaticTax && p.TaxBehavior != "" {
			data.TaxBehavior = stripe.String(p.TaxBehavior)
		}
		params.ShippingOptions = append(params.ShippingOptions, &stripe.CheckoutSessionShippingOptionParams{ShippingRateData: data})
		rates = append(rates, strconv.FormatInt(o.Amount, 10)+"="+o.ID)
	}
	if p.AllowPromotionCodes {
		params.AllowPromotionCodes = stripe.Bool(true)
	}
	if p.AutomaticTax {
		params.AutomaticTax = &stripe.CheckoutSessionAutomaticTaxParams{Enabled: stripe.Bool(true)}
	}
	params.AddMetadata("order_id", p.OrderID)
	params.AddMetadata("order_number", strconv.FormatInt(p.OrderNumber, 10))
	if len(rates) > 0 {
		params.AddMetadata(shippingRatesKey, strings.Join(rates, ","))
	}
	params.SetIdempotencyKey(IdempotencyKey("checkout", p.OrderID))
	params.Context = ctx
	s, err := c.api.CheckoutSessions.New(params)
	if err != nil {
		return Session{}, wrap("create checkout session", err)
	}
	return sessionFrom(s), nil
}

// shippingRatesKey is the session's metadata that maps the amount of each
// shipping option to the shop's rate id: "500=<id>,0=free". Stripe names
// the chosen rate by an id of its own and its amount.
const shippingRatesKey = "shipping_rates"

// rateFor is the shop's id of the shipping option of that amount, the
// first when several share it.
func rateFor(metadata map[string]string, amount int64) string {
	want := strconv.FormatInt(amount, 10) + "="
	for _, r := range strings.Split(metadata[shippingRatesKey], ",") {
		if id, ok := strings.CutPrefix(r, want); ok {
			return id
		}
	}
	return ""
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

// Refund refunds all that is left of a payment.
func (c *Client) Refund(ctx context.Context, paymentIntentID, idempotencyKey string) (Refund, error) {
	return c.RefundAmount(ctx, paymentIntentID, 0, idempotencyKey)
}

// RefundAmount refunds amount minor units of a payment, or, for 0, all
// that is left of it.
func (c *Client) RefundAmount(ctx context.Context, paymentIntentID string, amount int64, idempotencyKey string) (Refund, error) {
	params := &stripe.RefundParams{PaymentIntent: stripe.String(paymentIntentID)}
	if amount > 0 {
		params.Amount = stripe.Int64(amount)
	}
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
		AmountSubtotal:    s.AmountSubtotal,
		ExpiresAt:         s.ExpiresAt,
		Metadata:          s.Metadata,
	}
	if s.CustomerDetails != nil {
		e.CustomerDetails = &customerDetails{Email: s.CustomerDetails.Email}
	}
	if s.PaymentIntent != nil {
		e.PaymentIntent = &expandable{ID: s.PaymentIntent.ID, Status: string(s.PaymentIntent.Status)}
	}
	if t := s.TotalDetails; t != nil {
		e.TotalDetails = &totalDetails{AmountDiscount: t.AmountDiscount, AmountShipping: t.AmountShipping, AmountTax: t.AmountTax}
	}
	if d := s.ShippingDetails; d != nil {
		e.ShippingDetails = &shippingDetails{Name: d.Name}
		if a := d.Address; a != nil {
			e.ShippingDetails.Address = address{Line1: a.Line1, Line2: a.Line2, City: a.City, State: a.State,
				PostalCode: a.PostalCode, Country: a.Country}
		}
	}
	if c := s.ShippingCost; c != nil {
		e.ShippingCost = &shippingCost{AmountSubtotal: c.AmountSubtotal}
		if c.ShippingRate != nil {
			e.ShippingCost.ShippingRate = &expandable{ID: c.ShippingRate.ID}
		}
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

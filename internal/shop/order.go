package shop

import (
	"slices"
	"strings"
	"time"
)

// Status is where an order stands.
type Status string

// The statuses of an order. Paid, failed, expired and refunded are terminal
// except that paid may become refunded.
const (
	StatusPending    Status = "pending"
	StatusProcessing Status = "processing"
	StatusPaid       Status = "paid"
	StatusFailed     Status = "failed"
	StatusExpired    Status = "expired"
	StatusRefunded   Status = "refunded"
)

// Statuses lists every status.
var Statuses = []Status{StatusPending, StatusProcessing, StatusPaid, StatusFailed, StatusExpired, StatusRefunded}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// lifecycle is every move an order may make (docs/lifecycle.md). Paid,
// failed and expired are final but for paid → refunded.
var lifecycle = map[Status][]Status{
	StatusPending:    {StatusPaid, StatusProcessing, StatusExpired, StatusFailed},
	StatusProcessing: {StatusPaid, StatusFailed},
	StatusPaid:       {StatusRefunded},
}

// CanMove reports whether an order may move from one status to another.
func CanMove(from, to Status) bool {
	for _, s := range lifecycle[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Change is what Stripe reported about an order along with a move.
type Change struct {
	SessionID       string
	PaymentIntentID string
	CustomerEmail   string
	// Totals, when set, are Stripe's totals of a completed session.
	Totals *Totals
}

// Totals are what Stripe charged for a completed session: its total, the
// discount, shipping and tax it computed, the address and rate the customer
// chose and the promotion code they entered.
type Totals struct {
	AmountTotal    int64
	AmountDiscount int64
	AmountShipping int64
	AmountTax      int64
	Shipping       *Shipping
	PromotionCode  string
}

// Release is units an order gives back to a product's stock.
type Release struct {
	ProductID string
	Units     int64
}

// Move is one step of an order's life, decided here and written as it is
// by the store: the order as the step leaves it (its lines included), and
// the units it gives back to each product's stock.
type Move struct {
	From     Status
	Order    Order
	Released []Release
}

// Move returns the step that takes o to status `to` at time `at` with what
// Stripe reported, and false when o's status does not allow it. A move to
// paid stamps paid_at, to refunded refunded_at; an order that fails or
// expires gives every line's reserved units back. The session is recorded
// once; the payment and the e-mail are Stripe's latest word, and so are the
// totals of a completed session.
func (o Order) Move(to Status, at time.Time, c Change) (Move, bool) {
	if !CanMove(o.Status, to) {
		return Move{}, false
	}
	m := Move{From: o.Status, Order: o}
	n := &m.Order
	n.Lines = slices.Clone(o.Lines)
	n.Status = to
	at = at.UTC()
	switch to {
	case StatusPaid:
		n.PaidAt = &at
	case StatusRefunded:
		n.RefundedAt = &at
		n.AmountRefunded = n.AmountTotal
		for i := range n.Lines {
			n.Lines[i].RefundedQuantity = n.Lines[i].Quantity
		}
	case StatusExpired, StatusFailed:
		m.Released = n.release(func(Line) int64 { return 0 })
	}
	if n.SessionID == "" {
		n.SessionID = c.SessionID
	}
	if c.PaymentIntentID != "" {
		n.PaymentIntentID = c.PaymentIntentID
	}
	if c.CustomerEmail != "" {
		n.CustomerEmail = c.CustomerEmail
	}
	if t := c.Totals; t != nil && (to == StatusPaid || to == StatusProcessing) {
		n.AmountTotal, n.AmountDiscount, n.AmountShipping, n.AmountTax = t.AmountTotal, t.AmountDiscount, t.AmountShipping, t.AmountTax
		if t.Shipping != nil {
			n.Shipping = t.Shipping
		}
		if t.PromotionCode != "" {
			n.PromotionCode = t.PromotionCode
		}
	}
	return m, true
}

// release sets each line's reserved units to keep(line) and returns what
// that gives back, product by product.
func (o *Order) release(keep func(Line) int64) []Release {
	var out []Release
	for i := range o.Lines {
		l := &o.Lines[i]
		if k := keep(*l); k < l.Reserved {
			out = append(out, Release{ProductID: l.ProductID, Units: l.Reserved - k})
			l.Reserved = k
		}
	}
	return out
}

// Restock returns the step that gives a refunded order's reserved units
// back to stock (an admin's choice when refunding), and false when it is
// not refunded or holds none.
func (o Order) Restock() (Move, bool) {
	if o.Status != StatusRefunded || o.Reserved() == 0 {
		return Move{}, false
	}
	m := Move{From: o.Status, Order: o}
	m.Order.Lines = slices.Clone(o.Lines)
	m.Released = m.Order.release(func(Line) int64 { return 0 })
	return m, true
}

// Reserved is the units the order holds in stock, all lines together.
func (o Order) Reserved() int64 {
	var n int64
	for _, l := range o.Lines {
		n += l.Reserved
	}
	return n
}

// Units is the units the order is for, all lines together.
func (o Order) Units() int64 {
	var n int64
	for _, l := range o.Lines {
		n += l.Quantity
	}
	return n
}

// Order is one checkout: a snapshot of what was bought at what price.
// ProductID, ProductName, UnitAmount and Quantity are its first line's,
// for clients that read a one-product order.
type Order struct {
	ID string `json:"id"`
	// Number is the order's short number for people (1001, 1002, …),
	// increasing with each order; Stripe's dashboard shows it too.
	Number      int64  `json:"number"`
	Status      Status `json:"status"`
	ProductID   string `json:"product_id"`
	ProductName string `json:"product_name"`
	UnitAmount  int64  `json:"unit_amount"`
	Quantity    int64  `json:"quantity"`
	Lines       []Line `json:"lines"`
	// AmountSubtotal is what the shop priced: the lines' sum. The rest are
	// Stripe's on completion; until then AmountTotal is the subtotal.
	AmountSubtotal int64      `json:"amount_subtotal"`
	AmountDiscount int64      `json:"amount_discount"`
	AmountShipping int64      `json:"amount_shipping"`
	AmountTax      int64      `json:"amount_tax"`
	AmountTotal    int64      `json:"amount_total"`
	AmountRefunded int64      `json:"amount_refunded"`
	Shipping       *Shipping  `json:"shipping"`
	PromotionCode  string     `json:"promotion_code"`
	Currency       string     `json:"currency"`
	CustomerEmail  string     `json:"customer_email"`
	SessionID      string     `json:"session_id"`
	CreatedAt      time.Time  `json:"created_at"`
	PaidAt         *time.Time `json:"paid_at"`
	// CancelledAt is when the customer gave the order up (its status is
	// then expired); nil when it ran out or was never cancelled.
	CancelledAt *time.Time `json:"cancelled_at"`
	// Admin-only fields.
	PaymentIntentID string     `json:"payment_intent_id,omitempty"`
	Flagged         bool       `json:"flagged,omitempty"`
	FlagReason      string     `json:"flag_reason,omitempty"`
	UpdatedAt       time.Time  `json:"updated_at"`
	RefundedAt      *time.Time `json:"refunded_at,omitempty"`
	// ExpiresAt is when its Checkout Session expires.
	ExpiresAt time.Time `json:"-"`
	// ShippingOptions are the rates its Checkout Session offers, in order,
	// as they were when it was placed; nil for an order placed before they
	// were kept.
	ShippingOptions []ShippingRate `json:"-"`
}

// Line is one product of an order, as sold.
type Line struct {
	ProductID        string `json:"product_id"`
	ProductName      string `json:"product_name"`
	UnitAmount       int64  `json:"unit_amount"`
	Quantity         int64  `json:"quantity"`
	AmountSubtotal   int64  `json:"amount_subtotal"`
	RefundedQuantity int64  `json:"refunded_quantity"`
	// TaxCode is the product's Stripe tax code when the order was placed.
	TaxCode string `json:"-"`
	// Reserved is the units the line took from stock: its quantity, or 0
	// for a product with unlimited stock, and 0 again once given back.
	Reserved int64 `json:"-"`
	// Image is the product's picture when the order was placed: the path
	// of its main picture on the shop ("/media/…"), else its external
	// image_url, else "".
	Image string `json:"-"`
}

// Shipping is where an order goes and how, as the customer gave it on
// Stripe's page.
type Shipping struct {
	Name     string  `json:"name"`
	Address  Address `json:"address"`
	RateName string  `json:"rate_name"`
	RateID   string  `json:"rate_id"`
}

// Address is a postal address in Stripe's fields.
type Address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	City       string `json:"city"`
	State      string `json:"state"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

// Public returns the view of an order that anyone holding its session id may see.
func (o Order) Public() Order {
	o.PaymentIntentID = ""
	o.Flagged = false
	o.FlagReason = ""
	return o
}

// Limits of a checkout.
const (
	MinQuantity = 1
	MaxQuantity = 100
)

// Event is one Stripe webhook event as recorded in the inbox.
type Event struct {
	ID          string     `json:"id"`
	Type        string     `json:"type"`
	APIVersion  string     `json:"api_version"`
	OrderID     *string    `json:"order_id"`
	ReceivedAt  time.Time  `json:"received_at"`
	ProcessedAt *time.Time `json:"processed_at"`
	// Note is what the workflow noted for the admin ("partial refund: the
	// order stays paid", "no order for session …"); empty when the event
	// applied as it is. Error is its old name, kept for existing clients.
	Note    string `json:"note"`
	Error   string `json:"error"`
	Payload []byte `json:"-"`
	// PaymentIntentID is the payment the event is about, when it names one.
	PaymentIntentID string `json:"-"`
}

// ParseOrderNumber reads an order's number as people write it, with or
// without its "#": "1001", "#1001".
func ParseOrderNumber(s string) (int64, bool) {
	digits := strings.TrimPrefix(s, "#")
	if digits == "" || len(digits) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n > 0
}

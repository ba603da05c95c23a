package shop

import "time"

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

// transitions are the only moves an order may make (API.md).
var transitions = map[Status][]Status{
	StatusPending:    {StatusPaid, StatusProcessing, StatusExpired, StatusFailed},
	StatusProcessing: {StatusPaid, StatusFailed},
	StatusPaid:       {StatusRefunded},
}

// CanTransition reports whether an order may move from one status to another.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// From lists the statuses from which an order may move to s.
func From(to Status) []Status {
	var from []Status
	for _, s := range Statuses {
		if CanTransition(s, to) {
			from = append(from, s)
		}
	}
	return from
}

// HoldsStock reports whether an order in status s holds reserved units.
func (s Status) HoldsStock() bool { return s == StatusPending || s == StatusProcessing }

// Order is one checkout: a snapshot of what was bought at what price.
type Order struct {
	ID            string     `json:"id"`
	Status        Status     `json:"status"`
	ProductID     string     `json:"product_id"`
	ProductName   string     `json:"product_name"`
	UnitAmount    int64      `json:"unit_amount"`
	Quantity      int64      `json:"quantity"`
	AmountTotal   int64      `json:"amount_total"`
	Currency      string     `json:"currency"`
	CustomerEmail string     `json:"customer_email"`
	SessionID     string     `json:"session_id"`
	CreatedAt     time.Time  `json:"created_at"`
	PaidAt        *time.Time `json:"paid_at"`
	// Admin-only fields.
	PaymentIntentID string     `json:"payment_intent_id,omitempty"`
	Flagged         bool       `json:"flagged,omitempty"`
	FlagReason      string     `json:"flag_reason,omitempty"`
	UpdatedAt       time.Time  `json:"updated_at"`
	RefundedAt      *time.Time `json:"refunded_at,omitempty"`
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
	Error       string     `json:"error"`
	Payload     []byte     `json:"-"`
	// PaymentIntentID is the payment the event is about, when it names one.
	PaymentIntentID string `json:"-"`
}

package shop

import "time"

// EmailKind is one e-mail an order may cause; each is sent at most once per
// order.
type EmailKind string

// The e-mails: to the customer, and to the shop's staff.
const (
	EmailConfirmation  EmailKind = "order_confirmation" // paid
	EmailPending       EmailKind = "payment_pending"    // a delayed payment is processing
	EmailFailed        EmailKind = "payment_failed"
	EmailRefunded      EmailKind = "refund_issued"
	EmailStaffPaid     EmailKind = "staff_new_order"
	EmailStaffFailed   EmailKind = "staff_payment_failed"
	EmailStaffMismatch EmailKind = "staff_amount_mismatch"
	EmailStaffDispute  EmailKind = "staff_dispute_opened"
)

// EmailKinds lists every kind.
var EmailKinds = []EmailKind{EmailConfirmation, EmailPending, EmailFailed, EmailRefunded,
	EmailStaffPaid, EmailStaffFailed, EmailStaffMismatch, EmailStaffDispute}

// Staff reports whether the kind goes to the shop's staff, not the customer.
func (k EmailKind) Staff() bool {
	switch k {
	case EmailStaffPaid, EmailStaffFailed, EmailStaffMismatch, EmailStaffDispute:
		return true
	}
	return false
}

// Valid reports whether k is a known kind.
func (k EmailKind) Valid() bool {
	for _, v := range EmailKinds {
		if k == v {
			return true
		}
	}
	return false
}

// Emails are the e-mails a move sends.
func (m Move) Emails() []EmailKind {
	if m.From == m.Order.Status {
		return nil // a restock is no news
	}
	switch m.Order.Status {
	case StatusPaid:
		return []EmailKind{EmailConfirmation, EmailStaffPaid}
	case StatusProcessing:
		return []EmailKind{EmailPending}
	case StatusFailed:
		return []EmailKind{EmailFailed, EmailStaffFailed}
	case StatusRefunded:
		return []EmailKind{EmailRefunded}
	}
	return nil
}

// Email statuses.
const (
	EmailQueued   = "queued"
	EmailRetrying = "retrying"
	EmailSent     = "sent"
	EmailGaveUp   = "failed"
)

// Email is one e-mail of an order, as the admin sees it.
type Email struct {
	ID        int64      `json:"id"`
	OrderID   string     `json:"order_id"`
	Kind      EmailKind  `json:"kind"`
	Recipient string     `json:"recipient"`
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error"`
	MessageID string     `json:"message_id"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	SentAt    *time.Time `json:"sent_at"`
}

// Dispute is what Stripe reported of a dispute opened on an order's payment.
type Dispute struct {
	ID     string
	Reason string
	Amount int64
}

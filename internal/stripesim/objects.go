package stripesim

import (
	"strconv"
	"strings"
	"time"
)

// The simulator's state, and its rendering in Stripe's JSON shapes at the
// API versions of versions.go. Renderers return maps so that encoding/json writes
// the keys sorted, as Stripe does, and every field stripe-go reads is
// present (null when Stripe sends null).

type session struct {
	seq               int // its index in Server.sessionOrder
	ID                string
	Created           time.Time
	ExpiresAt         time.Time
	Mode              string
	Status            string // open, complete, expired
	PaymentStatus     string // unpaid, paid, no_payment_required
	Currency          string
	AmountSubtotal    int64
	AmountTotal       int64
	ClientReferenceID string
	CustomerEmail     string // prefilled by the caller
	CustomerCreation  string
	BillingAddress    string
	Locale            string
	SubmitType        string
	SuccessURL        string
	CancelURL         string
	Metadata          map[string]string
	MethodTypes       []string
	LineItems         []lineItem
	PaymentIntentID   string
	Email             string // customer_details.email, once completed

	// What the hosted page remembers between requests: a card waiting
	// for 3-D Secure, and a message and e-mail to show on the next view.
	auth      *pendingAuth
	pageError string
	pageEmail string
}

// pendingAuth is a card payment waiting for the customer to authenticate
// with their bank.
type pendingAuth struct {
	Email string
	Brand string
	Last4 string
}

type lineItem struct {
	ID         string
	PriceID    string
	ProductID  string
	Name       string
	Image      string // the first of product_data[images], if any
	Currency   string
	UnitAmount int64
	Quantity   int64
}

type paymentIntent struct {
	ID        string
	Created   time.Time
	Amount    int64
	Currency  string
	Status    string // processing, succeeded, requires_payment_method
	ChargeID  string // the latest charge
	SessionID string
	Email     string
	Method    string // card or us_bank_account
	LastError *paymentError
}

// paymentError is a PaymentIntent's last_payment_error.
type paymentError struct {
	Code        string
	DeclineCode string
	Message     string
	Type        string // card_error, or invalid_request_error for a bank debit
}

type charge struct {
	ID              string
	Created         time.Time
	Amount          int64
	AmountRefunded  int64
	Currency        string
	Status          string // pending, succeeded, failed
	PaymentIntentID string
	Email           string
	Method          string // card or us_bank_account
	FailureCode     string
	FailureMessage  string
	Disputed        bool
}

type dispute struct {
	ID              string
	Created         time.Time
	Amount          int64
	Currency        string
	ChargeID        string
	PaymentIntentID string
	Reason          string
	Status          string
}

type refund struct {
	ID              string
	Created         time.Time
	Amount          int64
	Currency        string
	ChargeID        string
	PaymentIntentID string
	Reason          string
	Metadata        map[string]string
}

// expansions is the set of fields a request asked to expand, with the list
// prefix "data." removed.
type expansions map[string]bool

func expansionsOf(params map[string]any) expansions {
	e := expansions{}
	for _, f := range getStrings(params, "expand") {
		e[strings.TrimPrefix(f, "data.")] = true
	}
	return e
}

// check refuses fields that cannot be expanded on this object.
func (e expansions) check(allowed ...string) *apiError {
	for f := range e {
		ok := false
		for _, a := range allowed {
			ok = ok || f == a
		}
		if !ok {
			return invalidRequest("expand", "", "This property cannot be expanded (%s).", f)
		}
	}
	return nil
}

var sessionExpandable = []string{"payment_intent", "line_items", "customer", "invoice", "payment_link", "setup_intent", "subscription"}

func unix(t time.Time) int64 { return t.Unix() }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func metadataJSON(md map[string]string) map[string]string {
	if md == nil {
		return map[string]string{}
	}
	return md
}

func nullAddress() map[string]any {
	return map[string]any{"city": nil, "country": nil, "line1": nil, "line2": nil, "postal_code": nil, "state": nil}
}

// sessionJSON renders a Checkout Session at API version ver; s.mu must be
// held.
func (s *Server) sessionJSON(cs *session, exp expansions, ver string) map[string]any {
	var customerDetails any
	if cs.Status == "complete" {
		customerDetails = map[string]any{
			"address": nullAddress(), "email": cs.Email, "name": nil, "phone": nil,
			"tax_exempt": "none", "tax_ids": []any{},
		}
	}
	var pi any = orNil(cs.PaymentIntentID)
	if p := s.paymentIntents[cs.PaymentIntentID]; p != nil && exp["payment_intent"] {
		pi = s.paymentIntentJSON(p, ver)
	}
	email := cs.CustomerEmail
	if email == "" {
		email = cs.Email
	}
	obj := map[string]any{
		"id":                                   cs.ID,
		"object":                               "checkout.session",
		"after_expiration":                     nil,
		"allow_promotion_codes":                nil,
		"amount_subtotal":                      cs.AmountSubtotal,
		"amount_total":                         cs.AmountTotal,
		"automatic_tax":                        map[string]any{"enabled": false, "liability": nil, "status": nil},
		"billing_address_collection":           orNil(cs.BillingAddress),
		"cancel_url":                           orNil(cs.CancelURL),
		"client_reference_id":                  orNil(cs.ClientReferenceID),
		"client_secret":                        nil,
		"consent":                              nil,
		"consent_collection":                   nil,
		"created":                              unix(cs.Created),
		"currency":                             cs.Currency,
		"currency_conversion":                  nil,
		"custom_fields":                        []any{},
		"custom_text":                          map[string]any{"after_submit": nil, "shipping_address": nil, "submit": nil, "terms_of_service_acceptance": nil},
		"customer":                             nil,
		"customer_creation":                    orNil(cs.CustomerCreation),
		"customer_details":                     customerDetails,
		"customer_email":                       orNil(email),
		"expires_at":                           unix(cs.ExpiresAt),
		"invoice":                              nil,
		"invoice_creation":                     map[string]any{"enabled": false, "invoice_data": map[string]any{"account_tax_ids": nil, "custom_fields": nil, "description": nil, "footer": nil, "issuer": nil, "metadata": map[string]string{}, "rendering_options": nil}},
		"livemode":                             false,
		"locale":                               orNil(cs.Locale),
		"metadata":                             metadataJSON(cs.Metadata),
		"mode":                                 cs.Mode,
		"payment_intent":                       pi,
		"payment_link":                         nil,
		"payment_method_collection":            "if_required",
		"payment_method_configuration_details": nil,
		"payment_method_options":               map[string]any{},
		"payment_method_types":                 cs.MethodTypes,
		"payment_status":                       cs.PaymentStatus,
		"phone_number_collection":              map[string]any{"enabled": false},
		"recovered_from":                       nil,
		"setup_intent":                         nil,
		"shipping_address_collection":          nil,
		"shipping_cost":                        nil,
		"shipping_details":                     nil,
		"shipping_options":                     []any{},
		"status":                               cs.Status,
		"submit_type":                          orNil(cs.SubmitType),
		"subscription":                         nil,
		"success_url":                          orNil(cs.SuccessURL),
		"total_details":                        map[string]any{"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
		"ui_mode":                              "hosted",
		"url":                                  nil,
	}
	if cs.Status == "open" {
		obj["url"] = s.cfg.PublicURL + "/pay/" + cs.ID
	}
	if exp["line_items"] {
		obj["line_items"] = lineItemsJSON(cs)
	}
	if basil(ver) {
		delete(obj, "shipping_details")
		obj["collected_information"] = nil
	}
	return obj
}

func lineItemsJSON(cs *session) map[string]any {
	data := make([]any, 0, len(cs.LineItems))
	for _, li := range cs.LineItems {
		amount := li.UnitAmount * li.Quantity
		data = append(data, map[string]any{
			"id": li.ID, "object": "item",
			"amount_discount": 0, "amount_subtotal": amount, "amount_tax": 0, "amount_total": amount,
			"currency": li.Currency, "description": li.Name, "quantity": li.Quantity,
			"price": map[string]any{
				"id": li.PriceID, "object": "price", "active": false, "billing_scheme": "per_unit",
				"created": unix(cs.Created), "currency": li.Currency, "custom_unit_amount": nil,
				"livemode": false, "lookup_key": nil, "metadata": map[string]string{}, "nickname": nil,
				"product": li.ProductID, "recurring": nil, "tax_behavior": "unspecified", "tiers_mode": nil,
				"transform_quantity": nil, "type": "one_time", "unit_amount": li.UnitAmount,
				"unit_amount_decimal": itoa(li.UnitAmount),
			},
		})
	}
	return map[string]any{"object": "list", "data": data, "has_more": false,
		"url": "/v1/checkout/sessions/" + cs.ID + "/line_items"}
}

// paymentIntentJSON renders a PaymentIntent; s.mu must be held.
func (s *Server) paymentIntentJSON(p *paymentIntent, ver string) map[string]any {
	received := int64(0)
	if p.Status == "succeeded" {
		received = p.Amount
	}
	var lastErr any
	if e := p.LastError; e != nil {
		lastErr = map[string]any{"code": e.Code, "decline_code": orNil(e.DeclineCode), "doc_url": "https://stripe.com/docs/error-codes/" + strings.ReplaceAll(e.Code, "_", "-"),
			"message": e.Message, "payment_method": nil, "type": e.Type}
	}
	var processing any
	if p.Status == "processing" {
		processing = map[string]any{"type": orDefault(p.Method, "card")}
	}
	obj := map[string]any{
		"id": p.ID, "object": "payment_intent", "amount": p.Amount, "amount_capturable": 0,
		"amount_details": map[string]any{"tip": map[string]any{}}, "amount_received": received,
		"application": nil, "application_fee_amount": nil, "automatic_payment_methods": nil,
		"canceled_at": nil, "cancellation_reason": nil, "capture_method": "automatic",
		"client_secret": p.ID + "_secret_stripesim", "confirmation_method": "automatic",
		"created": unix(p.Created), "currency": p.Currency, "customer": nil, "description": nil,
		"invoice": nil, "last_payment_error": lastErr, "latest_charge": orNil(p.ChargeID),
		"livemode": false, "metadata": map[string]string{}, "next_action": nil, "on_behalf_of": nil,
		"payment_method": nil, "payment_method_configuration_details": nil, "payment_method_options": map[string]any{},
		"payment_method_types": []string{orDefault(p.Method, "card")}, "processing": processing,
		"receipt_email": nil, "review": nil, "setup_future_usage": nil, "shipping": nil,
		"statement_descriptor": nil, "statement_descriptor_suffix": nil, "status": p.Status,
		"transfer_data": nil, "transfer_group": nil,
	}
	if basil(ver) {
		delete(obj, "invoice")
	}
	return obj
}

// chargeJSON renders a Charge at API version ver.
func chargeJSON(c *charge, ver string) map[string]any {
	var outcome any
	switch c.Status {
	case "succeeded":
		outcome = map[string]any{"network_status": "approved_by_network", "reason": nil, "risk_level": "normal",
			"seller_message": "Payment complete.", "type": "authorized"}
	case "failed":
		outcome = map[string]any{"network_status": "declined_by_network", "reason": orNil(c.FailureCode), "risk_level": "normal",
			"seller_message": "The bank did not return any further details with this decline.", "type": "issuer_declined"}
	}
	captured := int64(0)
	if c.Status == "succeeded" {
		captured = c.Amount
	}
	obj := map[string]any{
		"id": c.ID, "object": "charge", "amount": c.Amount, "amount_captured": captured,
		"amount_refunded": c.AmountRefunded, "application": nil, "application_fee": nil, "application_fee_amount": nil,
		"balance_transaction":             nil,
		"billing_details":                 map[string]any{"address": nullAddress(), "email": orNil(c.Email), "name": nil, "phone": nil},
		"calculated_statement_descriptor": "STRIPESHOP", "captured": c.Status == "succeeded",
		"created": unix(c.Created), "currency": c.Currency, "customer": nil, "description": nil,
		"disputed": c.Disputed, "failure_balance_transaction": nil, "failure_code": orNil(c.FailureCode),
		"failure_message": orNil(c.FailureMessage), "fraud_details": map[string]any{}, "invoice": nil,
		"livemode": false, "metadata": map[string]string{}, "on_behalf_of": nil, "outcome": outcome,
		"paid": c.Status == "succeeded", "payment_intent": c.PaymentIntentID, "payment_method": nil,
		"payment_method_details": map[string]any{"type": orDefault(c.Method, "card")},
		"receipt_email":          orNil(c.Email), "receipt_number": nil, "receipt_url": nil,
		"refunded": c.AmountRefunded >= c.Amount && c.Amount > 0, "review": nil, "shipping": nil,
		"source_transfer": nil, "statement_descriptor": nil, "statement_descriptor_suffix": nil,
		"status": c.Status, "transfer_data": nil, "transfer_group": nil,
	}
	if basil(ver) {
		delete(obj, "invoice")
	}
	return obj
}

func refundJSON(r *refund) map[string]any {
	return map[string]any{
		"id": r.ID, "object": "refund", "amount": r.Amount, "balance_transaction": nil,
		"charge": r.ChargeID, "created": unix(r.Created), "currency": r.Currency,
		"destination_details": nil, "metadata": metadataJSON(r.Metadata), "payment_intent": r.PaymentIntentID,
		"reason": orNil(r.Reason), "receipt_number": nil, "source_transfer_reversal": nil,
		"status": "succeeded", "transfer_reversal": nil,
	}
}

// disputeEvidenceFields are the evidence a dispute's response may carry,
// all empty until the merchant answers.
var disputeEvidenceFields = []string{"access_activity_log", "billing_address", "cancellation_policy",
	"cancellation_policy_disclosure", "cancellation_rebuttal", "customer_communication", "customer_email_address",
	"customer_name", "customer_purchase_ip", "customer_signature", "duplicate_charge_documentation",
	"duplicate_charge_explanation", "duplicate_charge_id", "product_description", "receipt", "refund_policy",
	"refund_policy_disclosure", "refund_refusal_explanation", "service_date", "service_documentation",
	"shipping_address", "shipping_carrier", "shipping_date", "shipping_documentation", "shipping_tracking_number",
	"uncategorized_file", "uncategorized_text"}

func disputeJSON(d *dispute) map[string]any {
	evidence := map[string]any{}
	for _, f := range disputeEvidenceFields {
		evidence[f] = nil
	}
	return map[string]any{
		"id": d.ID, "object": "dispute", "amount": d.Amount, "balance_transactions": []any{},
		"charge": d.ChargeID, "created": unix(d.Created), "currency": d.Currency,
		"enhanced_eligibility_types": []any{}, "evidence": evidence,
		"evidence_details": map[string]any{"due_by": unix(d.Created.Add(7 * 24 * time.Hour)), "has_evidence": false,
			"past_due": false, "submission_count": 0},
		"is_charge_refundable": false, "livemode": false, "metadata": map[string]string{},
		"payment_intent": orNil(d.PaymentIntentID),
		"payment_method_details": map[string]any{"card": map[string]any{"brand": "visa", "case_type": "chargeback",
			"network_reason_code": "10.4"}, "type": "card"},
		"reason": d.Reason, "status": d.Status,
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

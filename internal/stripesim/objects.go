package stripesim

import (
	"slices"
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

	// Shipping, promotion codes and tax (totals.go, shipping.go).
	AllowPromotionCodes bool           `json:",omitempty"`
	AutomaticTax        bool           `json:",omitempty"`
	TaxRate             int64          `json:",omitempty"` // percentScale units, fixed at creation
	AllowedCountries    []string       `json:",omitempty"` // shipping_address_collection
	ShippingOptions     []shippingRate `json:",omitempty"`
	ShippingRateID      string         `json:",omitempty"` // the chosen one; the first until the customer chooses
	Promotion           *PromotionCode `json:",omitempty"` // the code applied
	// Located is set once the customer gave an address: tax is worked
	// out from then on (automatic_tax.status complete).
	Located         bool             `json:",omitempty"`
	ShippingDetails *shippingDetails `json:",omitempty"`
	CustomerName    string           `json:",omitempty"`
	CustomerAddress *address         `json:",omitempty"` // billing

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
	Pay   payInput // the rest of what the customer chose
}

type lineItem struct {
	ID        string
	PriceID   string
	ProductID string
	Name      string
	Image     string   // the first of product_data[images], if any
	Images    []string `json:",omitempty"`
	TaxCode   string   `json:",omitempty"`
	// Description and ProductMetadata are product_data's.
	Description     string            `json:",omitempty"`
	ProductMetadata map[string]string `json:",omitempty"`
	// TaxBehavior is the price's: exclusive, inclusive or unspecified
	// (taxed as exclusive).
	TaxBehavior string `json:",omitempty"`
	Currency    string
	UnitAmount  int64
	Quantity    int64
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

var sessionExpandable = []string{"payment_intent", "line_items", "customer", "invoice", "payment_link", "setup_intent", "subscription",
	"total_details.breakdown", "total_details.breakdown.discounts.discount.promotion_code", "shipping_cost.shipping_rate", "shipping_options.shipping_rate", "discounts.coupon",
	"discounts.promotion_code", "line_items.data.price.product", "line_items.data.discounts", "line_items.data.taxes"}

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
		addr := nullAddress()
		if cs.CustomerAddress != nil {
			addr = addressJSON(*cs.CustomerAddress)
		}
		customerDetails = map[string]any{
			"address": addr, "email": cs.Email, "name": orNil(cs.CustomerName), "phone": nil,
			"tax_exempt": "none", "tax_ids": []any{},
		}
	}
	t := cs.totals()
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
		"allow_promotion_codes":                orNilBool(cs.AllowPromotionCodes),
		"amount_subtotal":                      t.Subtotal,
		"amount_total":                         t.Total,
		"automatic_tax":                        automaticTaxJSON(cs),
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
		"discounts":                            discountsJSON(cs, exp),
		"shipping_address_collection":          nil,
		"shipping_cost":                        nil,
		"shipping_details":                     nil,
		"shipping_options":                     shippingOptionsJSON(cs, exp),
		"status":                               cs.Status,
		"submit_type":                          orNil(cs.SubmitType),
		"subscription":                         nil,
		"success_url":                          orNil(cs.SuccessURL),
		"total_details":                        map[string]any{"amount_discount": t.Discount, "amount_shipping": t.Shipping, "amount_tax": t.Tax},
		"ui_mode":                              "hosted",
		"url":                                  nil,
	}
	if cs.Status == "open" {
		obj["url"] = s.cfg.PublicURL + "/pay/" + cs.ID
	}
	if len(cs.AllowedCountries) > 0 {
		obj["shipping_address_collection"] = map[string]any{"allowed_countries": cs.AllowedCountries}
	}
	if r := cs.shippingRate(); r != nil {
		obj["shipping_cost"] = map[string]any{"amount_subtotal": t.Shipping, "amount_tax": t.ShippingTax,
			"amount_total": t.ShippingTotal, "shipping_rate": shippingRateRef(r, exp["shipping_cost.shipping_rate"])}
	}
	var shipping any
	if d := cs.ShippingDetails; d != nil {
		shipping = map[string]any{"address": addressJSON(d.Address), "name": d.Name}
	}
	obj["shipping_details"] = shipping
	promoExpanded := exp["total_details.breakdown.discounts.discount.promotion_code"]
	if exp["total_details.breakdown"] || promoExpanded {
		obj["total_details"].(map[string]any)["breakdown"] = breakdownJSON(cs, t, promoExpanded)
	}
	if exp["line_items"] {
		obj["line_items"] = lineItemsJSON(cs, t, cs.LineItems, false, subExpansions(exp, "line_items.data."))
	}
	if basil(ver) {
		// 2025-03-31.basil moved shipping_details under
		// collected_information.
		delete(obj, "shipping_details")
		obj["collected_information"] = nil
		if shipping != nil {
			obj["collected_information"] = map[string]any{"shipping_details": shipping}
		}
	}
	return obj
}

// subExpansions are the expansions under prefix, without it.
func subExpansions(exp expansions, prefix string) expansions {
	out := expansions{}
	for f := range exp {
		if rest, ok := strings.CutPrefix(f, prefix); ok {
			out[rest] = true
		}
	}
	return out
}

func orNilBool(b bool) any {
	if !b {
		return nil
	}
	return true
}

func automaticTaxJSON(cs *session) map[string]any {
	if !cs.AutomaticTax {
		return map[string]any{"enabled": false, "liability": nil, "status": nil}
	}
	status := "requires_location_inputs"
	if cs.Located {
		status = "complete"
	}
	return map[string]any{"enabled": true, "liability": map[string]any{"type": "self"}, "status": status}
}

func shippingRateRef(r *shippingRate, expand bool) any {
	if expand {
		return shippingRateJSON(r)
	}
	return r.ID
}

func shippingOptionsJSON(cs *session, exp expansions) []any {
	out := []any{}
	for i := range cs.ShippingOptions {
		r := &cs.ShippingOptions[i]
		out = append(out, map[string]any{"shipping_amount": r.Amount, "shipping_rate": shippingRateRef(r, exp["shipping_options.shipping_rate"])})
	}
	return out
}

func discountsJSON(cs *session, exp expansions) []any {
	pc := cs.Promotion
	if pc == nil {
		return []any{}
	}
	var coupon, promo any = pc.CouponID(), pc.ID()
	if exp["discounts.coupon"] {
		coupon = couponJSON(pc, cs)
	}
	if exp["discounts.promotion_code"] {
		promo = promotionCodeJSON(pc, cs)
	}
	return []any{map[string]any{"coupon": coupon, "promotion_code": promo}}
}

func couponJSON(pc *PromotionCode, cs *session) map[string]any {
	var amountOff, currency, percentOff any
	if pc.AmountOff > 0 {
		amountOff, currency = pc.AmountOff, cs.Currency
	} else {
		percentOff = pc.PercentOff
	}
	return map[string]any{
		"id": pc.CouponID(), "object": "coupon", "amount_off": amountOff, "created": unix(cs.Created),
		"currency": currency, "duration": "once", "duration_in_months": nil, "livemode": false,
		"max_redemptions": nil, "metadata": map[string]string{}, "name": pc.Code, "percent_off": percentOff,
		"redeem_by": nil, "times_redeemed": 0, "valid": true,
	}
}

func promotionCodeJSON(pc *PromotionCode, cs *session) map[string]any {
	return map[string]any{
		"id": pc.ID(), "object": "promotion_code", "active": true, "code": pc.Code, "coupon": couponJSON(pc, cs),
		"created": unix(cs.Created), "customer": nil, "expires_at": nil, "livemode": false, "max_redemptions": nil,
		"metadata": map[string]string{},
		"restrictions": map[string]any{"currency_options": map[string]any{}, "first_time_transaction": false,
			"minimum_amount": nil, "minimum_amount_currency": nil},
		"times_redeemed": 0,
	}
}

// discountJSON is the Discount object of a session's applied code.
func discountJSON(pc *PromotionCode, cs *session) map[string]any {
	return map[string]any{
		"id": "di_sim" + strings.TrimPrefix(cs.ID, "cs_test_"), "object": "discount", "checkout_session": cs.ID,
		"coupon": couponJSON(pc, cs), "customer": nil, "end": nil, "invoice": nil, "invoice_item": nil,
		"promotion_code": pc.ID(), "start": unix(cs.Created), "subscription": nil,
	}
}

// taxRateJSON is the TaxRate automatic tax applied: the one rate of
// Config.TaxRate, inclusive or not.
func taxRateJSON(cs *session, inclusive bool) map[string]any {
	id := "txr_sim" + strings.ReplaceAll(strings.TrimSuffix(formatPercent(cs.TaxRate), "%"), ".", "_")
	if inclusive {
		id += "_incl"
	}
	pct := percentFloat(cs.TaxRate)
	return map[string]any{
		"id": id, "object": "tax_rate", "active": true, "country": nil, "created": unix(cs.Created),
		"description": nil, "display_name": "Sales tax", "effective_percentage": pct, "flat_amount": nil,
		"inclusive": inclusive, "jurisdiction": nil, "jurisdiction_level": nil, "livemode": false,
		"metadata": map[string]string{}, "percentage": pct, "rate_type": "percentage", "state": nil,
		"tax_type": "sales_tax",
	}
}

// taxesJSON are the tax amounts of one amount (a line or shipping), or
// none without tax.
func taxesJSON(cs *session, amount, taxable int64, behavior string) []any {
	if !cs.AutomaticTax || !cs.Located {
		return []any{}
	}
	return []any{map[string]any{"amount": amount, "rate": taxRateJSON(cs, behavior == "inclusive"),
		"taxability_reason": "standard_rated", "taxable_amount": taxable}}
}

// breakdownJSON is total_details.breakdown; expandPromo expands each
// discount's promotion_code (to read the code the customer typed).
func breakdownJSON(cs *session, t totals, expandPromo bool) map[string]any {
	discounts := []any{}
	if pc := cs.Promotion; pc != nil && t.Discount > 0 {
		d := discountJSON(pc, cs)
		if expandPromo {
			d["promotion_code"] = promotionCodeJSON(pc, cs)
		}
		discounts = append(discounts, map[string]any{"amount": t.Discount, "discount": d})
	}
	// One entry per rate: the exclusive and the inclusive one.
	var amount, taxable [2]int64
	add := func(behavior string, tax, base int64) {
		i := 0
		if behavior == "inclusive" {
			i = 1
		}
		amount[i] += tax
		taxable[i] += base
	}
	for i, li := range cs.LineItems {
		add(li.TaxBehavior, t.Lines[i].Tax, t.Lines[i].Subtotal-t.Lines[i].Discount)
	}
	if r := cs.shippingRate(); r != nil {
		add(r.TaxBehavior, t.ShippingTax, t.Shipping)
	}
	taxes := []any{}
	if cs.AutomaticTax && cs.Located {
		for i, inclusive := range []bool{false, true} {
			if taxable[i] > 0 {
				taxes = append(taxes, map[string]any{"amount": amount[i], "rate": taxRateJSON(cs, inclusive),
					"taxability_reason": "standard_rated", "taxable_amount": taxable[i]})
			}
		}
	}
	return map[string]any{"discounts": discounts, "taxes": taxes}
}

// lineItemsJSON renders a list of a session's line items (lines, a part
// of cs.LineItems); exp are the expansions of each item.
func lineItemsJSON(cs *session, t totals, lines []lineItem, hasMore bool, exp expansions) map[string]any {
	data := make([]any, 0, len(lines))
	for _, li := range lines {
		i := slices.IndexFunc(cs.LineItems, func(l lineItem) bool { return l.ID == li.ID })
		lt := t.Lines[i]
		var product any = li.ProductID
		if exp["price.product"] {
			product = productJSON(cs, li)
		}
		item := map[string]any{
			"id": li.ID, "object": "item",
			"amount_discount": lt.Discount, "amount_subtotal": lt.Subtotal, "amount_tax": lt.Tax, "amount_total": lt.Total,
			"currency": li.Currency, "description": li.Name, "quantity": li.Quantity,
			"price": map[string]any{
				"id": li.PriceID, "object": "price", "active": false, "billing_scheme": "per_unit",
				"created": unix(cs.Created), "currency": li.Currency, "custom_unit_amount": nil,
				"livemode": false, "lookup_key": nil, "metadata": map[string]string{}, "nickname": nil,
				"product": product, "recurring": nil, "tax_behavior": orDefault(li.TaxBehavior, "unspecified"), "tiers_mode": nil,
				"transform_quantity": nil, "type": "one_time", "unit_amount": li.UnitAmount,
				"unit_amount_decimal": itoa(li.UnitAmount),
			},
		}
		if exp["discounts"] {
			discounts := []any{}
			if cs.Promotion != nil && lt.Discount > 0 {
				discounts = append(discounts, map[string]any{"amount": lt.Discount, "discount": discountJSON(cs.Promotion, cs)})
			}
			item["discounts"] = discounts
		}
		if exp["taxes"] {
			item["taxes"] = taxesJSON(cs, lt.Tax, lt.Subtotal-lt.Discount, li.TaxBehavior)
		}
		data = append(data, item)
	}
	return map[string]any{"object": "list", "data": data, "has_more": hasMore,
		"url": "/v1/checkout/sessions/" + cs.ID + "/line_items"}
}

// productJSON is the Product price_data[product_data] made.
func productJSON(cs *session, li lineItem) map[string]any {
	images := li.Images
	if images == nil {
		images = []string{}
	}
	return map[string]any{
		"id": li.ProductID, "object": "product", "active": false, "created": unix(cs.Created),
		"default_price": nil, "description": orNil(li.Description), "images": images, "livemode": false,
		"marketing_features": []any{}, "metadata": metadataJSON(li.ProductMetadata), "name": li.Name,
		"package_dimensions": nil, "shippable": nil, "statement_descriptor": nil, "tax_code": orNil(li.TaxCode),
		"unit_label": nil, "updated": unix(cs.Created), "url": nil,
	}
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

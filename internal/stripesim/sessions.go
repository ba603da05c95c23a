package stripesim

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Checkout Session lifetime bounds for expires_at (Stripe's rule).
const (
	minSessionLifetime = 30 * time.Minute
	maxSessionLifetime = 24 * time.Hour
)

// Payment outcomes a shopper (or a test) can choose.
const (
	outcomePaid           = "paid"
	outcomeAsyncSucceeded = "async_succeeded"
	outcomeAsyncFailed    = "async_failed"
)

func (s *Server) createSession(c *call) (any, error) {
	p := c.params
	exp := expansionsOf(p)
	if e := exp.check(sessionExpandable...); e != nil {
		return nil, e
	}
	if mode := getString(p, "mode"); mode != "payment" {
		return nil, invalidRequest("mode", "", "stripesim simulates mode=payment only, not mode=%s.", mode)
	}
	if getString(p, "ui_mode") == "embedded" {
		return nil, invalidRequest("ui_mode", "", "stripesim simulates the hosted page only (ui_mode=hosted).")
	}
	if getString(p, "return_url") != "" {
		return nil, invalidRequest("return_url", "", "`return_url` can only be used with `ui_mode: embedded`.")
	}
	if _, ok := p["redirect_on_completion"]; ok {
		return nil, invalidRequest("redirect_on_completion", "", "`redirect_on_completion` can only be used with `ui_mode: embedded`.")
	}
	successURL := getString(p, "success_url")
	if successURL == "" {
		return nil, missingParam("success_url")
	}
	for _, name := range []string{"success_url", "cancel_url"} {
		if v := getString(p, name); v != "" && !validURL(v) {
			return nil, invalidRequest(name, "url_invalid", "Not a valid URL")
		}
	}
	if id := getString(p, "customer"); id != "" {
		return nil, noSuch(http.StatusBadRequest, "customer", "customer", id)
	}
	if email := getString(p, "customer_email"); email != "" && !validEmail(email) {
		return nil, invalidRequest("customer_email", "email_invalid", "Invalid email address: %s", email)
	}
	md := getHash(p, "metadata")
	if e := checkMetadata("metadata", md); e != nil {
		return nil, e
	}

	items, currency, itemsTotal, err := parseLineItems(getList(p, "line_items"), getString(p, "currency"))
	if err != nil {
		return nil, err
	}
	if min, ok := minimumCharge[currency]; ok && itemsTotal > 0 && itemsTotal < min {
		return nil, invalidRequest("", "amount_too_small", "The Checkout Session's total amount due must add up to at least %s %s", formatAmount(min, currency), currency)
	}
	if itemsTotal > maximumAmount {
		return nil, invalidRequest("", "amount_too_large", "The Checkout Session's total amount due must be no more than %s %s", formatAmount(maximumAmount, currency), currency)
	}
	allowed, err := parseAllowedCountries(getObject(p, "shipping_address_collection"))
	if err != nil {
		return nil, err
	}
	rates, err := s.parseShippingOptions(getList(p, "shipping_options"), currency, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	allowPromo, _ := p["allow_promotion_codes"].(bool)
	promo, err := s.parseDiscounts(getList(p, "discounts"), allowPromo)
	if err != nil {
		return nil, err
	}
	autoTax, _ := getObject(p, "automatic_tax")["enabled"].(bool)
	now := s.cfg.Now()
	expiresAt := now.Add(maxSessionLifetime)
	if at, ok := getInt(p, "expires_at"); ok {
		switch {
		case at < now.Add(minSessionLifetime).Unix():
			return nil, invalidRequest("expires_at", "", "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.")
		case at > now.Add(maxSessionLifetime).Unix():
			return nil, invalidRequest("expires_at", "", "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.")
		}
		expiresAt = time.Unix(at, 0)
	}
	methods := getStrings(p, "payment_method_types")
	if len(methods) == 0 {
		methods = []string{"card"}
	}

	cs := &session{
		ID:                newID("cs_test_a1", 58),
		Created:           now,
		ExpiresAt:         expiresAt,
		Mode:              "payment",
		Status:            "open",
		PaymentStatus:     "unpaid",
		Currency:          currency,
		ClientReferenceID: getString(p, "client_reference_id"),
		CustomerEmail:     getString(p, "customer_email"),
		CustomerCreation:  getString(p, "customer_creation"),
		BillingAddress:    getString(p, "billing_address_collection"),
		Locale:            getString(p, "locale"),
		SubmitType:        getString(p, "submit_type"),
		SuccessURL:        successURL,
		CancelURL:         getString(p, "cancel_url"),
		Metadata:          md,
		MethodTypes:       methods,
		LineItems:         items,

		AllowPromotionCodes: allowPromo,
		AutomaticTax:        autoTax,
		AllowedCountries:    allowed,
		ShippingOptions:     rates,
		Promotion:           promo,
	}
	if cs.CustomerCreation == "" {
		cs.CustomerCreation = "if_required"
	}
	if autoTax {
		cs.TaxRate = int64(math.Round(s.cfg.TaxRate * percentScale))
	}
	if len(rates) > 0 {
		cs.ShippingRateID = rates[0].ID
	}
	cs.refreshTotals()
	if cs.AmountTotal > maximumAmount {
		return nil, invalidRequest("", "amount_too_large", "The Checkout Session's total amount due must be no more than %s %s", formatAmount(maximumAmount, currency), currency)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addSession(cs)
	return s.sessionJSON(cs, exp, c.version), nil
}

// parseLineItems checks the line items of a payment-mode session the way
// Stripe does and returns them with their common currency and total.
func parseLineItems(list []any, currency string) ([]lineItem, string, int64, error) {
	if len(list) == 0 {
		return nil, "", 0, missingParam("line_items")
	}
	if len(list) > 100 {
		return nil, "", 0, invalidRequest("line_items", "", "You can only pass up to 100 line items.")
	}
	var items []lineItem
	var total int64
	for i, v := range list {
		li, _ := v.(map[string]any)
		name := fmt.Sprintf("line_items[%d]", i)
		if price := getString(li, "price"); price != "" {
			if li["price_data"] != nil {
				return nil, "", 0, invalidRequest(name+"[price_data]", "", "You may only specify one of these parameters: price, price_data.")
			}
			// The simulator keeps no Price objects, so every id is unknown.
			return nil, "", 0, noSuch(http.StatusBadRequest, "price", name+"[price]", price)
		}
		pd := getObject(li, "price_data")
		if pd == nil {
			return nil, "", 0, invalidRequest(name+"[price]", "parameter_missing", "You must specify either `price` or `price_data` in `%s`.", name)
		}
		pdName := name + "[price_data]"
		cur := getString(pd, "currency")
		if !isSupportedCurrency(cur) {
			return nil, "", 0, invalidRequest(pdName+"[currency]", "", "Invalid currency: %s. Stripe currently supports these currencies: %s", cur, strings.Join(supportedCurrencies, ", "))
		}
		if _, ok := pd["recurring"]; ok {
			return nil, "", 0, invalidRequest(pdName+"[recurring]", "", "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.")
		}
		if product := getString(pd, "product"); product != "" {
			return nil, "", 0, noSuch(http.StatusBadRequest, "product", pdName+"[product]", product)
		}
		prod := getObject(pd, "product_data")
		if prod == nil {
			return nil, "", 0, invalidRequest(pdName+"[product_data]", "parameter_missing", "You must specify either `product` or `product_data` when creating a price.")
		}
		unit, ok := getInt(pd, "unit_amount")
		if dec := getString(pd, "unit_amount_decimal"); dec != "" {
			if ok {
				return nil, "", 0, invalidRequest(pdName+"[unit_amount_decimal]", "", "You may only specify one of these parameters: unit_amount, unit_amount_decimal.")
			}
			n, err := strconv.ParseInt(dec, 10, 64)
			if err != nil {
				return nil, "", 0, invalidRequest(pdName+"[unit_amount_decimal]", "", "stripesim simulates whole minor units only; got unit_amount_decimal=%s.", dec)
			}
			unit, ok = n, true
		}
		if !ok {
			return nil, "", 0, missingParam(pdName + "[unit_amount]")
		}
		if unit < 0 || unit > maximumAmount {
			return nil, "", 0, invalidRequest(pdName+"[unit_amount]", "", "This value must be greater than or equal to 0 and less than or equal to %d.", maximumAmount)
		}
		qty, ok := getInt(li, "quantity")
		if !ok {
			return nil, "", 0, invalidRequest(name+"[quantity]", "parameter_missing", "Quantity is required. Add `quantity` to `%s`", name)
		}
		if qty < 1 || qty > 999_999 {
			return nil, "", 0, invalidRequest(name+"[quantity]", "", "This value must be greater than or equal to 1 and less than or equal to 999999.")
		}
		switch {
		case currency == "":
			currency = cur
		case cur != currency:
			return nil, "", 0, invalidRequest(pdName+"[currency]", "", "All line items must have the same currency; %s has %s but the session is in %s.", name, cur, currency)
		}
		images := getStrings(prod, "images")
		if len(images) > 8 {
			return nil, "", 0, invalidRequest(pdName+"[product_data][images]", "", "You can pass up to 8 images; you passed %d.", len(images))
		}
		for j, img := range images {
			if !validURL(img) {
				return nil, "", 0, invalidRequest(fmt.Sprintf("%s[product_data][images][%d]", pdName, j), "url_invalid", "Not a valid URL")
			}
		}
		taxCode := getString(prod, "tax_code")
		if e := checkTaxCode(pdName+"[product_data][tax_code]", taxCode); e != nil {
			return nil, "", 0, e
		}
		md := getHash(prod, "metadata")
		if e := checkMetadata(pdName+"[product_data][metadata]", md); e != nil {
			return nil, "", 0, e
		}
		item := lineItem{
			ID:              newID("li_1", 24),
			PriceID:         newID("price_1", 24),
			ProductID:       newID("prod_", 14),
			Name:            getString(prod, "name"),
			Description:     getString(prod, "description"),
			ProductMetadata: md,
			Images:          images,
			TaxCode:         taxCode,
			TaxBehavior:     orDefault(getString(pd, "tax_behavior"), "unspecified"),
			Currency:        cur,
			UnitAmount:      unit,
			Quantity:        qty,
		}
		if len(images) > 0 {
			item.Image = images[0]
		}
		items = append(items, item)
		total += unit * qty
	}
	return items, currency, total, nil
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func validEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t\r\n<>")
}

func (s *Server) getSession(c *call) (any, error) {
	exp := expansionsOf(c.params)
	if e := exp.check(sessionExpandable...); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.sessions[c.r.PathValue("id")]
	if cs == nil {
		return nil, noSuch(http.StatusNotFound, "checkout.session", "session", c.r.PathValue("id"))
	}
	return s.sessionJSON(cs, exp, c.version), nil
}

// listLimit is a list request's limit: 10 unless it says 1 to 100.
func listLimit(p map[string]any) (int64, error) {
	n, ok := getInt(p, "limit")
	if !ok {
		return 10, nil
	}
	if n < 1 || n > 100 {
		return 0, invalidRequest("limit", "", "This value must be greater than or equal to 1 and less than or equal to 100.")
	}
	return n, nil
}

// listLineItems is GET /v1/checkout/sessions/{id}/line_items, a page of
// the session's items in the order they were given.
func (s *Server) listLineItems(c *call) (any, error) {
	p := c.params
	exp := expansionsOf(p)
	if e := exp.check("price.product", "discounts", "taxes"); e != nil {
		return nil, e
	}
	limit, err := listLimit(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.sessions[c.r.PathValue("id")]
	if cs == nil {
		return nil, noSuch(http.StatusNotFound, "checkout.session", "session", c.r.PathValue("id"))
	}
	lines := cs.LineItems
	for _, cursor := range []struct{ param, id string }{{"starting_after", getString(p, "starting_after")}, {"ending_before", getString(p, "ending_before")}} {
		if cursor.id == "" {
			continue
		}
		i := slices.IndexFunc(lines, func(li lineItem) bool { return li.ID == cursor.id })
		if i < 0 {
			return nil, noSuch(http.StatusBadRequest, "line item", cursor.param, cursor.id)
		}
		if cursor.param == "starting_after" {
			lines = lines[i+1:]
		} else {
			lines = lines[max(0, i-int(limit)):i]
		}
	}
	hasMore := int64(len(lines)) > limit
	if hasMore {
		lines = lines[:limit]
	}
	return lineItemsJSON(cs, cs.totals(), lines, hasMore, exp), nil
}

func (s *Server) listSessions(c *call) (any, error) {
	p := c.params
	exp := expansionsOf(p)
	if e := exp.check(sessionExpandable...); e != nil {
		return nil, e
	}
	limit, err := listLimit(p)
	if err != nil {
		return nil, err
	}
	startingAfter, endingBefore := getString(p, "starting_after"), getString(p, "ending_before")
	if startingAfter != "" && endingBefore != "" {
		return nil, invalidRequest("ending_before", "", "You may only specify one of these parameters: ending_before, starting_after.")
	}

	piFilter, statusFilter := getString(p, "payment_intent"), getString(p, "status")
	emailFilter := getString(getObject(p, "customer_details"), "email")
	match := func(cs *session) bool {
		switch {
		case piFilter != "" && cs.PaymentIntentID != piFilter,
			statusFilter != "" && cs.Status != statusFilter,
			emailFilter != "" && cs.Email != emailFilter,
			// No customers, payment links or subscriptions exist here.
			getString(p, "customer") != "", getString(p, "payment_link") != "", getString(p, "subscription") != "":
			return false
		}
		return true
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	// Lists run newest first, as Stripe's do. The walk starts at the
	// cursor and stops after limit+1 matches, so a page costs the same
	// however many sessions are held (a rare filter aside); a payment
	// intent names at most one session, found by its index.
	candidates := s.sessionOrder
	if piFilter != "" {
		candidates = nil
		if cs := s.sessionsByPI[piFilter]; cs != nil {
			candidates = []*session{cs}
		}
	}
	cursorOf := func(id, param string) (int, error) {
		cs := s.sessions[id]
		if cs == nil {
			return 0, noSuch(http.StatusBadRequest, "checkout.session", param, id)
		}
		return sort.Search(len(candidates), func(i int) bool { return candidates[i].seq >= cs.seq }), nil
	}
	var page []*session
	hasMore := false
	if endingBefore != "" {
		at, err := cursorOf(endingBefore, "ending_before")
		if err != nil {
			return nil, err
		}
		if at < len(candidates) && candidates[at].ID == endingBefore {
			at++
		}
		for i := at; i < len(candidates) && int64(len(page)) <= limit; i++ {
			if match(candidates[i]) {
				page = append(page, candidates[i])
			}
		}
		if hasMore = int64(len(page)) > limit; hasMore {
			page = page[:limit]
		}
		slices.Reverse(page)
	} else {
		before := len(candidates) // walk the candidates older than this index
		if startingAfter != "" {
			at, err := cursorOf(startingAfter, "starting_after")
			if err != nil {
				return nil, err
			}
			before = at
		}
		for i := before - 1; i >= 0 && int64(len(page)) <= limit; i-- {
			if match(candidates[i]) {
				page = append(page, candidates[i])
			}
		}
		if hasMore = int64(len(page)) > limit; hasMore {
			page = page[:limit]
		}
	}
	data := make([]any, 0, len(page))
	for _, cs := range page {
		data = append(data, s.sessionJSON(cs, exp, c.version))
	}
	return map[string]any{"object": "list", "data": data, "has_more": hasMore, "url": "/v1/checkout/sessions"}, nil
}

func (s *Server) expireSessionAPI(c *call) (any, error) {
	exp := expansionsOf(c.params)
	if e := exp.check(sessionExpandable...); e != nil {
		return nil, e
	}
	id := c.r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.sessions[id]
	if cs == nil {
		return nil, noSuch(http.StatusNotFound, "checkout.session", "session", id)
	}
	if cs.Status != "open" {
		return nil, invalidRequest("", "", "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of %q.", cs.Status)
	}
	s.expire(cs, c)
	return s.sessionJSON(cs, exp, c.version), nil
}

// expire ends an open session and emits checkout.session.expired; c is the
// API request that asked, nil when the session ran out of time. s.mu must
// be held.
func (s *Server) expire(cs *session, c *call) *event {
	cs.Status = "expired"
	return s.newEvent("checkout.session.expired", c, s.sessionObject(cs))
}

// sessionObject renders cs for an event; s.mu must be held.
func (s *Server) sessionObject(cs *session) func(string) map[string]any {
	return func(ver string) map[string]any { return s.sessionJSON(cs, nil, ver) }
}

func (s *Server) paymentIntentObject(p *paymentIntent) func(string) map[string]any {
	return func(ver string) map[string]any { return s.paymentIntentJSON(p, ver) }
}

func chargeObject(c *charge) func(string) map[string]any {
	return func(ver string) map[string]any { return chargeJSON(c, ver) }
}

// complete pays an open session with the given outcome, as the hosted page
// does, and returns where the shopper is sent next and the events emitted.
// A delayed method's payment stays processing for settleAfter (on the
// wall clock, as webhook retries) before its second event; zero settles
// it at once.
func (s *Server) complete(id, outcome string, in payInput, settleAfter time.Duration) (string, []*event, error) {
	switch outcome {
	case outcomePaid, outcomeAsyncSucceeded, outcomeAsyncFailed:
	default:
		return "", nil, invalidRequest("outcome", "", "outcome must be one of %s, %s or %s, not %q", outcomePaid, outcomeAsyncSucceeded, outcomeAsyncFailed, outcome)
	}
	s.expireDue()
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.sessions[id]
	if cs == nil {
		return "", nil, noSuch(http.StatusNotFound, "checkout.session", "session", id)
	}
	if cs.Status != "open" {
		return "", nil, &apiError{Status: http.StatusConflict, Type: "invalid_request_error",
			Message: fmt.Sprintf("This Checkout Session is %s and can no longer be paid.", cs.Status)}
	}
	email := in.Email
	if email == "" {
		email = cs.CustomerEmail
	}
	if email == "" {
		email = "customer@example.com"
	}
	if !validEmail(email) {
		return "", nil, invalidRequest("email", "email_invalid", "Invalid email address: %s", email)
	}
	if err := s.applyChoices(cs, in); err != nil {
		return "", nil, err
	}
	redirect := strings.ReplaceAll(cs.SuccessURL, "{CHECKOUT_SESSION_ID}", cs.ID)
	cs.Status, cs.Email = "complete", email
	cs.auth, cs.pageError, cs.pageEmail = nil, "", ""
	if cs.AmountTotal == 0 {
		cs.PaymentStatus = "no_payment_required"
		return redirect, events(s.newEvent("checkout.session.completed", nil, s.sessionObject(cs))), nil
	}

	method := "card"
	if outcome != outcomePaid {
		method = "us_bank_account"
	}
	pi, ch := s.attemptPayment(cs, email, method)
	if outcome == outcomePaid {
		cs.PaymentStatus = "paid"
		return redirect, events(
			s.newEvent("charge.succeeded", nil, chargeObject(ch)),
			s.newEvent("payment_intent.succeeded", nil, s.paymentIntentObject(pi)),
			s.newEvent("checkout.session.completed", nil, s.sessionObject(cs)),
		), nil
	}
	// A delayed method (a bank debit, say): the session completes unpaid
	// and the money's fate is told by a second event.
	cs.PaymentStatus, pi.Status, ch.Status = "unpaid", "processing", "pending"
	evs := events(
		s.newEvent("charge.pending", nil, chargeObject(ch)),
		s.newEvent("payment_intent.processing", nil, s.paymentIntentObject(pi)),
		s.newEvent("checkout.session.completed", nil, s.sessionObject(cs)),
	)
	succeeds := outcome == outcomeAsyncSucceeded
	if settleAfter > 0 {
		s.settleLater(settleAfter, cs.ID, succeeds)
		return redirect, evs, nil
	}
	return redirect, append(evs, s.settle(cs, succeeds)...), nil
}

// attemptPayment makes a payment attempt of cs's total: a new charge on
// its payment intent, made with the session's first attempt. The caller
// sets their statuses; s.mu must be held.
func (s *Server) attemptPayment(cs *session, email, method string) (*paymentIntent, *charge) {
	now := s.cfg.Now()
	pi := s.paymentIntents[cs.PaymentIntentID]
	if pi == nil {
		pi = &paymentIntent{ID: newID("pi_3", 24), Created: now, Amount: cs.AmountTotal, Currency: cs.Currency, SessionID: cs.ID}
		s.paymentIntents[pi.ID] = pi
		cs.PaymentIntentID = pi.ID
		s.sessionsByPI[pi.ID] = cs
	}
	ch := &charge{ID: newID("ch_3", 24), Created: now, Amount: cs.AmountTotal, Currency: cs.Currency,
		Status: "succeeded", PaymentIntentID: pi.ID, Email: email, Method: method}
	s.charges[ch.ID] = ch
	pi.Status, pi.ChargeID, pi.Email, pi.Method, pi.LastError = "succeeded", ch.ID, email, method, nil
	return pi, ch
}

// decline records a card the bank refused on the hosted page: the
// session stays open, its payment intent waits for another payment
// method, and charge.failed and payment_intent.payment_failed are sent.
func (s *Server) decline(id string, in payInput, code, declineCode, message string) []*event {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.sessions[id]
	if cs == nil || cs.Status != "open" || s.applyChoices(cs, in) != nil || cs.AmountTotal == 0 {
		return nil
	}
	pi, ch := s.attemptPayment(cs, in.Email, "card")
	failCharge(pi, ch, "card_error", code, declineCode, message)
	return events(
		s.newEvent("charge.failed", nil, chargeObject(ch)),
		s.newEvent("payment_intent.payment_failed", nil, s.paymentIntentObject(pi)),
	)
}

func failCharge(pi *paymentIntent, ch *charge, typ, code, declineCode, message string) {
	ch.Status, ch.FailureCode, ch.FailureMessage = "failed", code, message
	if declineCode != "" {
		ch.FailureCode = declineCode
	}
	pi.Status = "requires_payment_method"
	pi.LastError = &paymentError{Type: typ, Code: code, DeclineCode: declineCode, Message: message}
}

// settle ends a delayed payment of cs; s.mu must be held.
func (s *Server) settle(cs *session, succeeds bool) []*event {
	pi := s.paymentIntents[cs.PaymentIntentID]
	ch := s.charges[pi.ChargeID]
	if succeeds {
		cs.PaymentStatus, pi.Status, ch.Status = "paid", "succeeded", "succeeded"
		return events(
			s.newEvent("charge.succeeded", nil, chargeObject(ch)),
			s.newEvent("payment_intent.succeeded", nil, s.paymentIntentObject(pi)),
			s.newEvent("checkout.session.async_payment_succeeded", nil, s.sessionObject(cs)),
		)
	}
	// Stripe's test account 000111111113 fails as a closed account.
	failCharge(pi, ch, "invalid_request_error", "account_closed", "", "The customer's bank account has been closed.")
	return events(
		s.newEvent("charge.failed", nil, chargeObject(ch)),
		s.newEvent("payment_intent.payment_failed", nil, s.paymentIntentObject(pi)),
		s.newEvent("checkout.session.async_payment_failed", nil, s.sessionObject(cs)),
	)
}

// settleLater settles the delayed payment of session id after d (on the
// wall clock), unless the simulator is closed first: then it stays in
// StateFile, to be settled after a restart. s.mu must be held.
func (s *Server) settleLater(d time.Duration, id string, succeeds bool) {
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.settling[t]; !ok || s.closed {
			return // stopped by Close
		}
		delete(s.settling, t)
		s.settle(s.sessions[id], succeeds)
	})
	s.settling[t] = &settlement{SessionID: id, Succeeds: succeeds, Due: time.Now().Add(d)}
}

// payInput is what the customer chose and typed on the hosted page (or a
// test sent to the control API) besides the payment method.
type payInput struct {
	Email string
	// Name is the customer's (the name on the card), if given.
	Name string
	// Shipping is the address goods go to; nil on a session that collects
	// none, and from the control API for a test address in the first
	// allowed country.
	Shipping *shippingDetails
	// Billing is the billing address (country and postal code from the
	// card form); nil means the same as Shipping.
	Billing *address
	// ShippingRate is the id of the chosen option; empty keeps the one
	// chosen before (the first).
	ShippingRate string
	// PromotionCode, when not nil, is the code applied (empty for none).
	PromotionCode *string
}

// testAddress is where the control API ships when a test gives no address.
func testAddress(country string) address {
	if country == "US" {
		return address{Line1: "354 Oyster Point Blvd", City: "South San Francisco", State: "CA", PostalCode: "94080", Country: "US"}
	}
	return address{Line1: "1 Test Street", City: "Testville", PostalCode: "12345", Country: country}
}

// applyChoices records on cs what the customer chose and works out its
// totals, tax included from now on; s.mu must be held.
func (s *Server) applyChoices(cs *session, in payInput) error {
	if in.ShippingRate != "" {
		found := false
		for _, r := range cs.ShippingOptions {
			found = found || r.ID == in.ShippingRate
		}
		if !found {
			return invalidRequest("shipping_rate", "", "This Checkout Session offers no shipping rate %s.", in.ShippingRate)
		}
	}
	var promo *PromotionCode
	if in.PromotionCode != nil && *in.PromotionCode != "" {
		if !cs.AllowPromotionCodes {
			return invalidRequest("promotion_code", "", "This Checkout Session does not allow promotion codes.")
		}
		if promo = s.findPromotion(*in.PromotionCode); promo == nil {
			return invalidRequest("promotion_code", "", "This code is invalid.")
		}
	}
	ship := in.Shipping
	if len(cs.AllowedCountries) > 0 {
		if ship == nil {
			ship = &shippingDetails{Name: orDefault(in.Name, "Jenny Rosen"), Address: testAddress(cs.AllowedCountries[0])}
		}
		if !slices.Contains(cs.AllowedCountries, ship.Address.Country) {
			return invalidRequest("shipping[address][country]", "", "This Checkout Session does not ship to %q; it ships to %s.", ship.Address.Country, strings.Join(cs.AllowedCountries, ", "))
		}
	} else {
		ship = nil
	}
	if in.ShippingRate != "" {
		cs.ShippingRateID = in.ShippingRate
	}
	if in.PromotionCode != nil {
		cs.Promotion = promo
	}
	cs.ShippingDetails = ship
	cs.CustomerName = in.Name
	if cs.CustomerName == "" && ship != nil {
		cs.CustomerName = ship.Name
	}
	cs.CustomerAddress = in.Billing
	if cs.CustomerAddress == nil && ship != nil {
		a := ship.Address
		cs.CustomerAddress = &a
	}
	cs.Located = true
	cs.refreshTotals()
	return nil
}

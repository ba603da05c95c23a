package stripesim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The control API under /_sim/, for tests and for poking the simulator by
// hand. See the package documentation for the list.

func (s *Server) handleSimComplete(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Outcome string `json:"outcome"`
		Email   string `json:"email"`
		Name    string `json:"name"`
		// Shipping is the address a session that collects one ships to;
		// without it, a test address in its first allowed country.
		Shipping *struct {
			Name    string `json:"name"`
			Address struct {
				Line1      string `json:"line1"`
				Line2      string `json:"line2"`
				City       string `json:"city"`
				State      string `json:"state"`
				PostalCode string `json:"postal_code"`
				Country    string `json:"country"`
			} `json:"address"`
		} `json:"shipping"`
		// ShippingRate is the id of the chosen shipping option (shr_…);
		// empty is the first.
		ShippingRate string `json:"shipping_rate"`
		// PromotionCode is a code of Config.PromotionCodes to apply.
		PromotionCode *string `json:"promotion_code"`
		// SettleAfterMS keeps a delayed payment processing this long;
		// zero settles it before the answer.
		SettleAfterMS int64 `json:"settle_after_ms"`
	}
	if err := decodeControl(r, &in); err != nil {
		writeError(w, err)
		return
	}
	if in.Outcome == "" {
		in.Outcome = outcomePaid
	}
	if in.SettleAfterMS < 0 {
		writeError(w, invalidRequest("settle_after_ms", "", "settle_after_ms must not be negative."))
		return
	}
	pay := payInput{Email: in.Email, Name: in.Name, ShippingRate: in.ShippingRate, PromotionCode: in.PromotionCode}
	if sh := in.Shipping; sh != nil {
		a := sh.Address
		pay.Shipping = &shippingDetails{Name: sh.Name, Address: address{Line1: a.Line1, Line2: a.Line2, City: a.City,
			State: a.State, PostalCode: a.PostalCode, Country: a.Country}}
	}
	redirect, evs, err := s.complete(r.PathValue("id"), in.Outcome, pay, time.Duration(in.SettleAfterMS)*time.Millisecond)
	if err != nil {
		writeError(w, err)
		return
	}
	s.awaitAttempt(r.Context(), evs...)
	writeJSON(w, http.StatusOK, map[string]any{"redirect_url": redirect, "events": eventIDs(evs)})
}

func (s *Server) handleSimExpire(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	cs := s.sessions[id]
	var ev *event
	switch {
	case cs == nil:
		s.mu.Unlock()
		writeError(w, noSuch(http.StatusNotFound, "checkout.session", "session", id))
		return
	case cs.Status != "open":
		s.mu.Unlock()
		writeError(w, &apiError{Status: http.StatusConflict, Type: "invalid_request_error",
			Message: "This Checkout Session is " + cs.Status + " and cannot expire."})
		return
	}
	ev = s.expire(cs, nil)
	s.mu.Unlock()
	s.awaitAttempt(r.Context(), ev)
	s.mu.Lock()
	out := s.sessionJSON(cs, nil, s.cfg.APIVersion)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// handleSimDispute opens a dispute on a succeeded charge, named by its id
// or its payment intent's, as a cardholder's bank would, and emits
// charge.dispute.created.
func (s *Server) handleSimDispute(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Charge        string `json:"charge"`
		PaymentIntent string `json:"payment_intent"`
		Reason        string `json:"reason"`
		Amount        int64  `json:"amount"`
	}
	if err := decodeControl(r, &in); err != nil {
		writeError(w, err)
		return
	}
	if in.Reason == "" {
		in.Reason = "fraudulent"
	}
	if !slices.Contains(disputeReasons, in.Reason) {
		writeError(w, invalidRequest("reason", "", "reason must be one of %s.", strings.Join(disputeReasons, ", ")))
		return
	}
	s.mu.Lock()
	ch := s.charges[in.Charge]
	if in.Charge == "" {
		if pi := s.paymentIntents[in.PaymentIntent]; pi != nil {
			ch = s.charges[pi.ChargeID]
		}
	}
	var err error
	switch {
	case in.Charge == "" && in.PaymentIntent == "":
		err = invalidRequest("", "parameter_missing", "Name the disputed payment by charge or payment_intent.")
	case ch == nil && in.Charge != "":
		err = noSuch(http.StatusNotFound, "charge", "charge", in.Charge)
	case ch == nil:
		err = noSuch(http.StatusNotFound, "payment_intent", "payment_intent", in.PaymentIntent)
	case ch.Status != "succeeded":
		err = &apiError{Status: http.StatusConflict, Type: "invalid_request_error", Message: "Only a succeeded charge can be disputed; " + ch.ID + " is " + ch.Status + "."}
	case ch.Disputed:
		err = &apiError{Status: http.StatusConflict, Type: "invalid_request_error", Message: "Charge " + ch.ID + " is already disputed."}
	case in.Amount < 0 || in.Amount > ch.Amount:
		err = invalidRequest("amount", "", "amount must be between 1 and the charge's %d.", ch.Amount)
	}
	if err != nil {
		s.mu.Unlock()
		writeError(w, err)
		return
	}
	if in.Amount == 0 {
		in.Amount = ch.Amount
	}
	d := &dispute{ID: newID("dp_1", 24), Created: s.cfg.Now(), Amount: in.Amount, Currency: ch.Currency,
		ChargeID: ch.ID, PaymentIntentID: ch.PaymentIntentID, Reason: in.Reason, Status: "needs_response"}
	s.disputes[d.ID] = d
	ch.Disputed = true
	ev := s.newEvent("charge.dispute.created", nil, func(string) map[string]any { return disputeJSON(d) })
	out := disputeJSON(d)
	s.mu.Unlock()
	s.awaitAttempt(r.Context(), ev)
	writeJSON(w, http.StatusOK, map[string]any{"dispute": out, "events": eventIDs(events(ev))})
}

// disputeReasons are Stripe's reasons a cardholder's bank gives.
var disputeReasons = []string{"bank_cannot_process", "check_returned", "credit_not_processed", "customer_initiated",
	"debit_not_authorized", "duplicate", "fraudulent", "general", "incorrect_account_details", "insufficient_funds",
	"product_not_received", "product_unacceptable", "subscription_canceled", "unrecognized"}

// eventRecord is an event as GET /_sim/events shows it.
type eventRecord struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	Created       int64           `json:"created"`
	State         string          `json:"state"`
	Attempts      []attempt       `json:"attempts"`
	NextAttemptAt *time.Time      `json:"next_attempt_at"`
	Payload       json.RawMessage `json:"payload"`
}

func recordOf(ev *event) eventRecord {
	rec := eventRecord{ID: ev.ID, Type: ev.Type, Created: unix(ev.Created), State: ev.State,
		Attempts: append([]attempt{}, ev.Attempts...), Payload: ev.Payload}
	if ev.State == statePending {
		due := ev.Due.UTC()
		rec.NextAttemptAt = &due
	}
	return rec
}

func (s *Server) handleSimEvents(w http.ResponseWriter, r *http.Request) {
	typ := r.URL.Query().Get("type")
	s.mu.Lock()
	out := []eventRecord{}
	for _, ev := range s.eventOrder {
		if typ == "" || ev.Type == typ {
			out = append(out, recordOf(ev))
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"events": out})
}

// handleSimRedeliver sends an event once more, at once; the events page's
// Resend button posts here too (return=dashboard) and is sent back.
func (s *Server) handleSimRedeliver(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	page := fromDashboard(r)
	fail := func(err *apiError) {
		if page {
			backToDashboard(w, r, id, "Could not send "+id+" again: "+err.Message, true)
			return
		}
		writeError(w, err)
	}
	s.mu.Lock()
	ev := s.events[id]
	switch {
	case ev == nil:
		s.mu.Unlock()
		fail(noSuch(http.StatusNotFound, "event", "id", id))
		return
	case s.webhookURL == "":
		s.mu.Unlock()
		fail(&apiError{Status: http.StatusConflict, Type: "invalid_request_error", Message: "No webhook URL is configured."})
		return
	}
	s.enqueue(ev)
	s.mu.Unlock()
	s.awaitAttempt(r.Context(), ev)
	s.mu.Lock()
	rec := recordOf(ev)
	msg, failed := resendOutcome(ev, s.paused)
	s.mu.Unlock()
	if page {
		backToDashboard(w, r, id, msg, failed)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *Server) handleSimWebhooks(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		var in struct {
			Paused *bool   `json:"paused"`
			URL    *string `json:"url"`
		}
		if err := decodeControl(r, &in); err != nil {
			writeError(w, err)
			return
		}
		s.mu.Lock()
		if in.URL != nil {
			s.webhookURL = *in.URL
		}
		if in.Paused != nil {
			s.paused = *in.Paused
			if s.paused {
				// Nobody waits for an attempt that will not come.
				for _, ev := range s.queue {
					releaseWaiters(ev)
				}
			}
		}
		s.mu.Unlock()
		s.kick()
	}
	s.mu.Lock()
	out := map[string]any{"url": s.webhookURL, "paused": s.paused, "queued": len(s.queue)}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// fault makes the next Count API requests whose path starts with Path wait
// DelayMS and then, when Status is set, fail with that status.
type fault struct {
	Status  int    `json:"status"`
	Count   int    `json:"count"`
	DelayMS int64  `json:"delay_ms"`
	Path    string `json:"path"`
}

func (f *fault) delay() time.Duration { return time.Duration(f.DelayMS) * time.Millisecond }

func (f *fault) err() *apiError {
	switch {
	case f.Status == 0:
		return nil
	case f.Status == http.StatusTooManyRequests:
		return &apiError{Status: f.Status, Type: "invalid_request_error", Code: "rate_limit",
			Message: "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits."}
	case f.Status >= 500:
		return &apiError{Status: f.Status, Type: "api_error",
			Message: "An unknown error occurred (injected by stripesim)."}
	}
	return &apiError{Status: f.Status, Type: "invalid_request_error", Message: "Injected by stripesim."}
}

// takeFault uses up one request of the first fault that matches path.
func (s *Server) takeFault(path string) *fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if strings.HasPrefix(path, f.Path) {
			taken := *f
			if f.Count--; f.Count <= 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			return &taken
		}
	}
	return nil
}

func (s *Server) handleSimFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		var f fault
		if err := decodeControl(r, &f); err != nil {
			writeError(w, err)
			return
		}
		if f.Count <= 0 {
			f.Count = 1
		}
		if f.Path == "" {
			f.Path = "/v1/"
		}
		if (f.Status != 0 && (f.Status < 400 || f.Status > 599)) || f.DelayMS < 0 || (f.Status == 0 && f.DelayMS == 0) {
			writeError(w, invalidRequest("status", "", "A fault needs a status between 400 and 599, a positive delay_ms, or both."))
			return
		}
		s.mu.Lock()
		s.faults = append(s.faults, &f)
		s.mu.Unlock()
	case http.MethodDelete:
		s.mu.Lock()
		s.faults = nil
		s.mu.Unlock()
	}
	s.mu.Lock()
	out := []fault{}
	for _, f := range s.faults {
		out = append(out, *f)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"faults": out})
}

// decodeControl reads a control request's JSON body; an empty body is an
// empty object.
func decodeControl(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return invalidRequest("", "", "Invalid JSON body: %v", err)
	}
	return nil
}

func eventIDs(evs []*event) []string {
	ids := make([]string, len(evs))
	for i, ev := range evs {
		ids[i] = ev.ID
	}
	return ids
}

package stripesim

import (
	"net/http"
)

// createRefund refunds a succeeded charge, found by charge or
// payment_intent, in full unless amount says less, and emits
// charge.refunded, refund.created and charge.refund.updated.
func (s *Server) createRefund(c *call) (any, error) {
	p := c.params
	exp := expansionsOf(p)
	if e := exp.check("charge", "payment_intent"); e != nil {
		return nil, e
	}
	md := getHash(p, "metadata")
	if e := checkMetadata("metadata", md); e != nil {
		return nil, e
	}
	chargeID, piID := getString(p, "charge"), getString(p, "payment_intent")

	s.mu.Lock()
	defer s.mu.Unlock()
	var ch *charge
	switch {
	case chargeID == "" && piID == "":
		return nil, invalidRequest("", "parameter_missing", "One of the following params should be provided for this request: payment_intent or charge.")
	case chargeID != "" && piID != "":
		return nil, invalidRequest("payment_intent", "", "You may only specify one of these parameters: charge, payment_intent.")
	case chargeID != "":
		if ch = s.charges[chargeID]; ch == nil {
			return nil, noSuch(http.StatusBadRequest, "charge", "charge", chargeID)
		}
	default:
		pi := s.paymentIntents[piID]
		if pi == nil {
			return nil, noSuch(http.StatusBadRequest, "payment_intent", "payment_intent", piID)
		}
		ch = s.charges[pi.ChargeID]
	}
	if ch == nil || ch.Status != "succeeded" {
		return nil, invalidRequest("", "charge_not_refundable", "This PaymentIntent does not have a successful charge to refund.")
	}
	remaining := ch.Amount - ch.AmountRefunded
	if remaining == 0 {
		return nil, invalidRequest("", "charge_already_refunded", "Charge %s has already been refunded.", ch.ID)
	}
	amount := remaining
	if n, ok := getInt(p, "amount"); ok {
		if n < 1 {
			return nil, invalidRequest("amount", "", "This value must be greater than or equal to 1.")
		}
		if n > remaining {
			return nil, invalidRequest("amount", "amount_too_large", "Refund amount (%s) is greater than unrefunded amount on charge (%s)", formatAmount(n, ch.Currency), formatAmount(remaining, ch.Currency))
		}
		amount = n
	}
	if cur := getString(p, "currency"); cur != "" && cur != ch.Currency {
		return nil, invalidRequest("currency", "", "The currency of the refund (%s) must match the currency of the charge (%s).", cur, ch.Currency)
	}

	re := &refund{ID: newID("re_3", 24), Created: s.cfg.Now(), Amount: amount, Currency: ch.Currency,
		ChargeID: ch.ID, PaymentIntentID: ch.PaymentIntentID, Reason: getString(p, "reason"), Metadata: md}
	s.refunds[re.ID] = re
	ch.AmountRefunded += amount
	refundObject := func(string) map[string]any { return refundJSON(re) }
	s.newEvent("charge.refunded", c, chargeObject(ch))
	s.newEvent("refund.created", c, refundObject)
	s.newEvent("charge.refund.updated", c, refundObject)

	out := refundJSON(re)
	if exp["charge"] {
		out["charge"] = chargeJSON(ch, c.version)
	}
	if pi := s.paymentIntents[ch.PaymentIntentID]; pi != nil && exp["payment_intent"] {
		out["payment_intent"] = s.paymentIntentJSON(pi, c.version)
	}
	return out, nil
}

package payments_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/payments"
)

const sessionEvent = `{"id": "evt_1", "object": "event", "type": "checkout.session.completed", "api_version": "2023-10-16",
 "created": 1700000000, "data": {"object": {"id": "cs_test_1", "object": "checkout.session", "status": "complete",
 "payment_status": "paid", "amount_total": 2500, "currency": "usd", "client_reference_id": "order-1",
 "metadata": {"order_id": "order-1"}, "payment_intent": "pi_1", "customer_details": {"email": "a@example.com"}}}}`

func TestVerifyEvent(t *testing.T) {
	now := time.Now()
	body := []byte(sessionEvent)
	ev, err := payments.VerifyEvent(body, payments.Sign(body, "whsec_b", now), []string{"whsec_a", "whsec_b"}, now)
	if err != nil {
		t.Fatal(err)
	}
	s := ev.Session
	if ev.ID != "evt_1" || s == nil || s.ID != "cs_test_1" || s.PaymentStatus != "paid" || s.AmountTotal != 2500 ||
		s.OrderID != "order-1" || s.PaymentIntentID != "pi_1" || s.CustomerEmail != "a@example.com" || ev.VersionMismatch() {
		t.Fatalf("decoded %+v %+v", ev, s)
	}
	refused := map[string]string{
		"other secret":  payments.Sign(body, "whsec_c", now),
		"stale":         payments.Sign(body, "whsec_a", now.Add(-301*time.Second)),
		"future":        payments.Sign(body, "whsec_a", now.Add(301*time.Second)),
		"empty":         "",
		"no v1":         "t=1700000000",
		"tampered body": payments.Sign([]byte(sessionEvent+" "), "whsec_a", now),
		"fresh t before an old signature": "t=" + strconv.FormatInt(now.Unix(), 10) + "," +
			payments.Sign(body, "whsec_a", now.Add(-48*time.Hour)),
	}
	for name, header := range refused {
		if _, err := payments.VerifyEvent(body, header, []string{"whsec_a"}, now); !errors.Is(err, payments.ErrSignature) {
			t.Errorf("%s: %v, want ErrSignature", name, err)
		}
	}
	junk := []byte(`{"id": "evt_2"}`)
	if _, err := payments.VerifyEvent(junk, payments.Sign(junk, "whsec_a", now), []string{"whsec_a"}, now); !errors.Is(err, payments.ErrBadEvent) {
		t.Errorf("signed non-event: %v, want ErrBadEvent", err)
	}
}

func BenchmarkVerifyEvent(b *testing.B) {
	now := time.Now()
	body := []byte(sessionEvent)
	header := payments.Sign(body, "whsec_a", now)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := payments.VerifyEvent(body, header, []string{"whsec_a"}, now); err != nil {
			b.Fatal(err)
		}
	}
}

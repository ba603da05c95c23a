package payments_test

import (
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/payments"
)

// completedEvent is a checkout.session.completed as Stripe (and the
// simulator) sends it at API version 2023-10-16: the body a webhook really
// verifies and decodes, about 2.3 kB.
const completedEvent = `{"id":"evt_1PbenchAbCdEfGhIjKlMnOp","object":"event","api_version":"2023-10-16","created":1700000000,` +
	`"data":{"object":{"id":"cs_test_a1B2c3D4e5F6g7H8i9J0","object":"checkout.session","after_expiration":null,` +
	`"allow_promotion_codes":null,"amount_subtotal":2500,"amount_total":2500,"automatic_tax":{"enabled":false,` +
	`"liability":null,"status":null},"billing_address_collection":null,` +
	`"cancel_url":"https://shop.example/checkout/cancel?product_id=6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b",` +
	`"client_reference_id":"0b6c3f7e-2d1a-4c5b-9e8f-7a6b5c4d3e2f","client_secret":null,"consent":null,` +
	`"consent_collection":null,"created":1699999940,"currency":"usd","currency_conversion":null,"custom_fields":[],` +
	`"custom_text":{"after_submit":null,"shipping_address":null,"submit":null,"terms_of_service_acceptance":null},` +
	`"customer":null,"customer_creation":"if_required","customer_details":{"address":{"city":null,"country":null,` +
	`"line1":null,"line2":null,"postal_code":null,"state":null},"email":"buyer@example.com","name":null,"phone":null,` +
	`"tax_exempt":"none","tax_ids":[]},"customer_email":null,"expires_at":1700001800,"invoice":null,` +
	`"invoice_creation":{"enabled":false,"invoice_data":{"account_tax_ids":null,"custom_fields":null,"description":null,` +
	`"footer":null,"issuer":null,"metadata":{},"rendering_options":null}},"livemode":false,"locale":null,` +
	`"metadata":{"order_id":"0b6c3f7e-2d1a-4c5b-9e8f-7a6b5c4d3e2f"},"mode":"payment",` +
	`"payment_intent":"pi_3PbenchAbCdEfGhIjKlMnOp","payment_link":null,"payment_method_collection":"if_required",` +
	`"payment_method_configuration_details":null,"payment_method_options":{},"payment_method_types":["card"],` +
	`"payment_status":"paid","phone_number_collection":{"enabled":false},"recovered_from":null,"setup_intent":null,` +
	`"shipping_address_collection":null,"shipping_cost":null,"shipping_details":null,"shipping_options":[],` +
	`"status":"complete","submit_type":null,"subscription":null,` +
	`"success_url":"https://shop.example/checkout/success?session_id={CHECKOUT_SESSION_ID}",` +
	`"total_details":{"amount_discount":0,"amount_shipping":0,"amount_tax":0},"ui_mode":"hosted","url":null}},` +
	`"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"checkout.session.completed"}`

// BenchmarkVerifyCompletedEvent is the webhook's whole CPU work before the
// database: signature check and decoding of a full-size event.
func BenchmarkVerifyCompletedEvent(b *testing.B) {
	now := time.Now()
	body := []byte(completedEvent)
	header := payments.Sign(body, "whsec_a", now)
	secrets := []string{"whsec_old", "whsec_a"} // mid-rotation: the second secret matches
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		ev, err := payments.VerifyEvent(body, header, secrets, now)
		if err != nil || ev.Session == nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseCompletedEvent is the decoding alone (stripe-go's types).
func BenchmarkParseCompletedEvent(b *testing.B) {
	body := []byte(completedEvent)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		ev, err := payments.ParseEvent(body)
		if err != nil || ev.Session == nil || ev.Session.OrderID == "" {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefuseForgedEvent is what a forged or stale request costs: the
// signature check fails before any decoding.
func BenchmarkRefuseForgedEvent(b *testing.B) {
	now := time.Now()
	body := []byte(completedEvent)
	header := payments.Sign(body, "whsec_attacker", now)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := payments.VerifyEvent(body, header, []string{"whsec_a"}, now); err == nil {
			b.Fatal("forged event accepted")
		}
	}
}

// BenchmarkSignEvent is the simulator's (and shopbench's) cost per event.
func BenchmarkSignEvent(b *testing.B) {
	now := time.Now()
	body := []byte(completedEvent)
	b.ReportAllocs()
	for b.Loop() {
		_ = payments.Sign(body, "whsec_a", now)
	}
}

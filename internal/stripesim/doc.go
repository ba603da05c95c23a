// Package stripesim is an in-memory stand-in for the part of the Stripe API
// that stripeshop uses, for development and tests without a Stripe account.
// The real stripe-go client talks to it when its API URL points here; it
// answers in Stripe's JSON shapes at API version 2023-10-16, serves a
// hosted checkout page, and sends signed webhooks.
//
// # Stripe API subset
//
// Every /v1 request needs "Authorization: Bearer sk_test_…" (any key that
// looks like a Stripe secret or restricted key). Parameters are form
// encoded as stripe-go sends them; unknown, missing or mistyped ones get
// Stripe's error body and status. A POST with an Idempotency-Key replays
// the stored answer for the same parameters and fails with an
// idempotency_error for different ones (keys live 24 hours; requests that
// failed validation are not stored, as at Stripe).
//
//	POST /v1/checkout/sessions             mode=payment with price_data line items only
//	GET  /v1/checkout/sessions             limit, starting_after, ending_before, payment_intent, status, customer_details[email]
//	GET  /v1/checkout/sessions/{id}        expand[]=payment_intent and line_items work
//	POST /v1/checkout/sessions/{id}/expire only open sessions
//	POST /v1/refunds                       payment_intent or charge; amount defaults to what is left
//	GET  /v1/events/{id}
//
// A session is open until it is paid (complete) or expires: by the expire
// call, or by itself once Config.Now passes its expires_at (checked every
// Config.SweepInterval and before every request). A session whose total is
// zero completes with payment_status no_payment_required.
//
// # Hosted page
//
// GET /pay/{id} shows the line items, the total, an Email field and the
// buttons Pay (id "pay"), "Pay with delayed method (succeeds)"
// (id "pay-delayed-succeeds"), "Pay with delayed method (fails)"
// (id "pay-delayed-fails") and a Cancel link (id "cancel") to cancel_url;
// each element also has a data-testid equal to its id. The form posts
// action=paid|async_succeeded|async_failed|cancel and email to /pay/{id},
// which answers 303 to success_url with {CHECKOUT_SESSION_ID} filled in
// (or to cancel_url) once the webhooks have had their first attempt.
//
// # Webhooks
//
// Events (checkout.session.completed, .async_payment_succeeded,
// .async_payment_failed, .expired, and charge.refunded) are POSTed to
// Config.WebhookURL one at a time, signed like Stripe's:
// "Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<unix>.<body>">"
// with the first of the comma-separated Config.WebhookSecret. A non-2xx
// answer or a network error is retried after RetryBackoff, 2×, 4×, …,
// up to MaxAttempts attempts; every attempt is logged.
//
// # Control API for tests (JSON, no authentication)
//
//	POST   /_sim/checkout/sessions/{id}/complete  {"outcome": "paid"|"async_succeeded"|"async_failed", "email": "…"}
//	       → {"redirect_url": "…", "events": ["evt_…"]} after each event's first delivery attempt.
//	       async outcomes send checkout.session.completed (payment_status unpaid),
//	       then async_payment_succeeded (paid) or async_payment_failed (unpaid).
//	POST   /_sim/checkout/sessions/{id}/expire    → the expired session, after its event's first attempt
//	GET    /_sim/events[?type=…]                  → {"events": [{"id", "type", "created", "state",
//	       "attempts": [{"at", "url", "status_code", "error", "duration_ms"}], "next_attempt_at", "payload"}]}
//	       state is pending, delivered, failed (attempts used up) or not_sent (no webhook URL)
//	POST   /_sim/events/{id}/redeliver            → the event record, after one more attempt
//	POST   /_sim/webhooks {"paused": true|false, "url": "…"}  pause or resume delivery, change the
//	       URL (both optional); GET shows {"url", "paused", "queued"}
//	POST   /_sim/faults {"status": 500, "count": 2, "delay_ms": 0, "path": "/v1/checkout/sessions"}
//	       the next count /v1 requests under path wait delay_ms, then fail with status in Stripe's
//	       shape (429 is a rate_limit error, 5xx an api_error); GET lists faults, DELETE clears them
package stripesim

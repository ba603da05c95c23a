// Package stripesim is an in-memory stand-in for the part of the Stripe API
// that stripeshop uses, for development and tests without a Stripe account.
// The real stripe-go client talks to it when its API URL points here; it
// answers in Stripe's JSON shapes, serves a hosted checkout page, and
// sends signed webhooks.
//
// # API versions
//
// Objects are rendered at 2023-10-16 (APIVersion, the default, which
// stripe-go v76 speaks) or 2025-03-31.basil (APIVersionBasil). A request
// is answered at the version its Stripe-Version header names, else at
// Config.APIVersion (the account's default); events are rendered at
// Config.APIVersion (the webhook endpoint's). At basil a Checkout Session
// has no shipping_details but collected_information.shipping_details (null
// until an address is collected), and a Charge and a PaymentIntent have no invoice;
// what the shop reads is the same at both. Another Stripe-Version is
// refused with Stripe's 400.
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
//	GET  /v1/checkout/sessions/{id}/line_items  limit, starting_after, ending_before; expand data.price.product, data.taxes, data.discounts
//	GET  /v1/shipping_rates/{id}           the rates sessions made from shipping_options[][shipping_rate_data]
//	POST /v1/refunds                       payment_intent or charge; amount defaults to what is left
//	GET  /v1/events/{id}
//
// # Shipping, promotion codes and tax
//
// A session may collect a shipping address (shipping_address_collection),
// offer up to 5 shipping rates (shipping_options with shipping_rate_data),
// allow the promotion codes of Config.PromotionCodes
// (allow_promotion_codes; or apply one with discounts) and charge
// automatic tax at Config.TaxRate (automatic_tax[enabled]), per line item
// tax_behavior. How the totals are worked out is in totals.go and
// docs/api.md; the hosted page, the session, its line items, the events
// and the charge agree on them.
//
// A session is open until it is paid (complete) or expires: by the expire
// call, or by itself once Config.Now passes its expires_at (checked every
// Config.SweepInterval and before every request). A session whose total is
// zero completes with payment_status no_payment_required. Sessions are
// indexed (by id, by payment intent, and by expires_at for expiry), so a
// request costs the same however many sessions the simulator holds.
//
// # Hosted page
//
// GET /pay/{id} is laid out as a hosted checkout is: a header with a back
// link to cancel_url (id "cancel") naming Config.MerchantName and a "Test
// mode" badge; an aside with the line items (image from
// product_data[images], quantity, unit price), subtotal, shipping,
// discount, tax and total (id "total"); and a form with Email (id
// "email"), a choice of Card or Bank debit, and a button "Pay $…"
// (id "pay"). Card: card number, expiry (MM / YY), CVC, name on card,
// country or region and ZIP or postal code (ids card-number, card-expiry,
// card-cvc, card-name, country, postal). Bank debit: account holder name,
// routing and account number (bank-name, bank-routing, bank-account).
// A session that collects an address asks for it (shipping-name,
// shipping-country with the allowed countries only, shipping-line1,
// shipping-line2, shipping-city, shipping-state, shipping-postal; the
// card's billing address is that address), offers its rates as radio
// buttons (shipping-rate-0, -1, …), and with allow_promotion_codes has an
// "Add promotion code" disclosure with the promotion-code field and an
// Apply button (apply-code; action=apply_code re-renders the page with
// the discount or "This code is invalid."). The summary's totals are the
// server's: each rate's are in its data-* attributes for the script to
// show; without script the next submit (or "Update total") shows them.
// Every element with an id also has a data-testid equal to it. The page
// needs no JavaScript; a few lines group the card number in fours. One
// column below 760px wide.
//
// Checks made on submit, shown beside their field (aria-describedby) with
// Stripe's wording: e-mail, a card number that is incomplete or fails the
// Luhn check, an expiry that is incomplete or past (by Config.Now), a
// short CVC, a missing name, a ZIP that is not 5 or 9 digits (US; GB and
// CA need a postal code).
//
// Stripe's test cards decide what a valid card does:
//
//	4242 4242 4242 4242 (and Stripe's other success numbers)  pays
//	4000 0000 0000 0002  "Your card was declined."             } a role=alert message (id "error");
//	4000 0000 0000 9995  "Your card has insufficient funds."   } the session stays open and the
//	4000 0000 0000 0069  "Your card has expired."              } customer can try again (402)
//	4000 0000 0000 0127  "Your card's security code is incorrect."
//	4000 0027 6000 3184  3-D Secure: GET /pay/{id}/authenticate with "Complete authentication"
//	                     (pays) and "Fail authentication" (back to the form with Stripe's message)
//	any other number     declined as a live card used in test mode
//
// Bank debit (routing number 110000000): account 000123456789 succeeds and
// 000111111113 fails. The session completes unpaid at once (the customer
// goes to success_url) and the payment stays processing for
// Config.BankDebitDelay (on the wall clock) before
// checkout.session.async_payment_succeeded or _failed.
//
// A payment answers 303 to success_url with {CHECKOUT_SESSION_ID} filled
// in once the webhooks have had their first attempt; action=cancel answers
// 303 to cancel_url.
//
// # Webhooks
//
// Events are made as Stripe makes them, for the types the webhook endpoint
// listens to (Config.EnabledEvents; by default the five the shop acts on,
// marked *; "*" is all), and POSTed to Config.WebhookURL one at a time:
//
//	a card pays            charge.succeeded, payment_intent.succeeded, checkout.session.completed*
//	a card is declined     charge.failed, payment_intent.payment_failed (the session stays open)
//	a bank debit           charge.pending, payment_intent.processing, checkout.session.completed*, then
//	                       charge.succeeded, payment_intent.succeeded, checkout.session.async_payment_succeeded*
//	                       or charge.failed, payment_intent.payment_failed, checkout.session.async_payment_failed*
//	a session expires      checkout.session.expired*
//	a refund               charge.refunded*, refund.created, charge.refund.updated
//	a dispute              charge.dispute.created
//
// In the order they happen, or, with Config.ShuffleDelivery, the queued
// ones in random order (Stripe promises none). Each is signed like Stripe's:
// "Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<unix>.<body>">",
// one v1 for each secret of the comma-separated Config.WebhookSecret (as
// Stripe signs during a secret rotation). A non-2xx
// answer or a network error is retried after RetryBackoff, 2×, 4×, …,
// up to MaxAttempts attempts; every attempt is logged.
//
// # Events page
//
// GET /_sim/dashboard/events lists the events newest first (?type= to
// filter), each with its state, its delivery attempts (when, where, the
// answer, how long) and its data, and a Resend button that posts to
// /_sim/events/{id}/redeliver and comes back to the page saying how the
// attempt went.
//
// # State across restarts
//
// With Config.StateFile, sessions, payment intents, charges, refunds,
// disputes, events (with their attempts; pending ones are sent after a
// restart), idempotency keys and delayed payments not yet settled are
// written to that JSON file, atomically, at most Config.SaveInterval after
// a change and by Close, and read back by New. An unreadable file is
// renamed aside and the simulator starts empty.
//
// # Control API for tests (JSON, no authentication)
//
//	POST   /_sim/checkout/sessions/{id}/complete  {"outcome": "paid"|"async_succeeded"|"async_failed", "email": "…",
//	       "settle_after_ms": 0} → {"redirect_url": "…", "events": ["evt_…"]} after each event's first
//	       delivery attempt. async outcomes send checkout.session.completed (payment_status unpaid),
//	       then async_payment_succeeded (paid) or async_payment_failed (unpaid): at once, or
//	       settle_after_ms later (that event is then not in "events").
//	POST   /_sim/checkout/sessions/{id}/expire    → the expired session, after its event's first attempt
//	POST   /_sim/disputes {"charge": "ch_…" | "payment_intent": "pi_…", "reason": "fraudulent", "amount": 0}
//	       → {"dispute": {…}, "events": ["evt_…"]}: the cardholder's bank disputes a succeeded charge
//	       (in full unless amount says less) after charge.dispute.created's first attempt
//	GET    /_sim/events[?type=…]                  → {"events": [{"id", "type", "created", "state",
//	       "attempts": [{"at", "url", "status_code", "error", "duration_ms"}], "next_attempt_at", "payload"}]}
//	       state is pending, delivered, failed (attempts used up) or not_sent (no webhook URL)
//	POST   /_sim/events/{id}/redeliver            → the event record, after one more attempt
//	POST   /_sim/webhooks {"paused": true|false, "url": "…"}  pause or resume delivery, change the
//	       URL (both optional); GET shows {"url", "paused", "queued"}
//	POST   /_sim/faults {"status": 500, "count": 2, "delay_ms": 0, "path": "/v1/checkout/sessions"}
//	       the next count /v1 requests under path wait delay_ms, then fail with status in Stripe's
//	       shape (429 is a rate_limit error, 5xx an api_error); GET lists faults, DELETE clears them.
//	       With status 0 the request is only delayed. The body is read before the wait, so a
//	       client that goes away during it still has its request carried out, as at Stripe
package stripesim

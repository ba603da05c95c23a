package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/stripeshop/stripeshop/internal/jobs"
	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// The baselines are what a competent engineer would write in an afternoon:
// chi and pgx, no middleware, no logging, no metrics. shopbench runs them
// as children of itself (see startBaseline), configured by these variables.
const (
	childEnv       = "SHOPBENCH_CHILD" // catalog, webhook, checkout or image
	childAddrEnv   = "SHOPBENCH_CHILD_ADDR"
	childDBEnv     = "SHOPBENCH_CHILD_DATABASE_URL"
	childSecretEnv = "SHOPBENCH_CHILD_WEBHOOK_SECRET"
	childStripeEnv = "SHOPBENCH_CHILD_STRIPE_URL"
	childSourceEnv = "SHOPBENCH_CHILD_SOURCE_URL" // the server, whose catalog answer catalog-static serves
)

func childMain(kind string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serveBaseline(ctx, kind, os.Getenv(childAddrEnv), os.Getenv(childDBEnv), os.Getenv(childSecretEnv), os.Getenv(childStripeEnv), os.Getenv(childSourceEnv)); err != nil {
		fmt.Fprintln(os.Stderr, "shopbench baseline:", err)
		return 1
	}
	return 0
}

func serveBaseline(ctx context.Context, kind, addr, dbURL, secret, stripeURL, sourceURL string) error {
	// The same pool settings as the server's.
	pool, err := postgres.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	r := chi.NewRouter()
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	switch kind {
	case "catalog":
		r.Get("/api/products", minimalCatalog(pool, sourceURL))
	case "catalog-static":
		h, err := staticCatalog(ctx, sourceURL+"/api/products")
		if err != nil {
			return err
		}
		r.Get("/api/products", h)
	case "webhook":
		// An insert-only River client: the baseline queues the paid order's
		// e-mails as the server does, and sends none.
		queue, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
		if err != nil {
			return err
		}
		r.Post("/webhook/stripe", minimalWebhook(pool, queue, secret))
	case "image":
		h, err := minimalMedia(ctx, pool)
		if err != nil {
			return err
		}
		r.Get("/media/{key}/{name}", h)
	case "checkout":
		pay := payments.New(payments.Config{SecretKey: benchKey, APIURL: stripeURL, Timeout: 10 * time.Second, MaxNetworkRetries: 2})
		r.Post("/api/checkout", minimalCheckout(pool, pay, "http://"+addr))
	default:
		return fmt.Errorf("unknown baseline %q", kind)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// minimalCatalog runs the server's catalog query (the same store method)
// and encodes the same JSON on every request; a product with pictures has
// its main one's largest variant, on the server's URL, as its image_url.
func minimalCatalog(pool *pgxpool.Pool, appURL string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		products, err := postgres.NewProducts(pool).List(r.Context(), false)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		for i, p := range products {
			if len(p.Images) > 0 {
				products[i].ImageURL = appURL + p.Images[0].LargestPath()
			}
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(map[string]any{"products": products})
	}
}

// staticCatalog is the ceiling of the catalog on this machine: an empty chi
// handler answering the server's own pre-encoded answer (read from it once
// at start, gzip and identity), with the same headers and the same choice
// between the two, and nothing else: no middleware, no log, no metrics.
func staticCatalog(ctx context.Context, url string) (http.HandlerFunc, error) {
	type answer struct {
		body   []byte
		header http.Header
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(encoding string) (answer, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			return answer{}, err
		}
		req.Header.Set("Accept-Encoding", encoding)
		resp, err := client.Do(req)
		if err != nil {
			return answer{}, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
		}
		h := http.Header{}
		for _, k := range []string{"Content-Type", "Content-Encoding", "Vary", "ETag", "Cache-Control"} {
			if v := resp.Header.Get(k); v != "" {
				h[k] = []string{v}
			}
		}
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
		return answer{body, h}, err
	}
	plain, err := get("identity")
	if err != nil {
		return nil, err
	}
	zipped, err := get("gzip")
	if err != nil {
		return nil, err
	}
	return func(w http.ResponseWriter, r *http.Request) {
		a := plain
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			a = zipped
		}
		maps.Copy(w.Header(), a.header)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(a.body)
	}, nil
}

// minimalWebhook verifies Stripe's HMAC by hand, decodes the few fields it
// needs and runs the webhook transaction.
func minimalWebhook(pool *pgxpool.Pool, queue *river.Client[pgx.Tx], secret string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil || !validHMAC(body, r.Header.Get("Stripe-Signature"), secret, time.Now()) {
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		var ev minimalEvent
		if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" {
			http.Error(w, "not an event", http.StatusBadRequest)
			return
		}
		if err := applyPaid(r.Context(), pool, queue, ev, body); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"received":true}`)
	}
}

// validHMAC checks "t=…,v1=…" as Stripe signs: HMAC-SHA256 of "t.body",
// at most five minutes old.
func validHMAC(body []byte, header, secret string, now time.Time) bool {
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range sigs {
		got, err := hex.DecodeString(s)
		if err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// minimalEvent is what the transaction needs of a checkout.session.completed.
type minimalEvent struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	APIVersion string `json:"api_version"`
	Data       struct {
		Object struct {
			ID              string            `json:"id"`
			Status          string            `json:"status"`
			PaymentStatus   string            `json:"payment_status"`
			AmountTotal     int64             `json:"amount_total"`
			Currency        string            `json:"currency"`
			Metadata        map[string]string `json:"metadata"`
			PaymentIntent   string            `json:"payment_intent"`
			CustomerDetails *struct {
				Email string `json:"email"`
			} `json:"customer_details"`
		} `json:"object"`
	} `json:"data"`
}

// applyPaid is the webhook transaction at its leanest: record the event in
// the inbox (a duplicate stops there), lock the order, mark it paid when it
// is pending and the amount matches, queue its two e-mails (River's
// InsertManyTx, unique per order and kind, as the server's), and note the
// outcome on the event. It is the same SQL work as the server's HandleEvent
// for this event: the server's e-mail records (order_emails) are written by
// the jobs when they run, not in this transaction.
func applyPaid(ctx context.Context, pool *pgxpool.Pool, queue *river.Client[pgx.Tx], ev minimalEvent, payload []byte) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit
	tag, err := tx.Exec(ctx, `INSERT INTO stripe_events (id, type, api_version, payload) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO NOTHING`, ev.ID, ev.Type, ev.APIVersion, payload)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return tx.Commit(ctx)
	}
	s := ev.Data.Object
	orderID := s.Metadata["order_id"]
	var (
		status   string
		amount   int64
		currency string
	)
	err = tx.QueryRow(ctx, `SELECT status, amount_total, currency FROM orders WHERE id = $1 FOR UPDATE`, orderID).
		Scan(&status, &amount, &currency)
	note := ""
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		note, orderID = "no order", ""
	case err != nil:
		return err
	case s.Status != "complete" || s.PaymentStatus != "paid":
		note = "not paid"
	case amount != s.AmountTotal || currency != s.Currency:
		note = "amount mismatch"
	default:
		email := ""
		if s.CustomerDetails != nil {
			email = s.CustomerDetails.Email
		}
		if _, err := tx.Exec(ctx, `UPDATE orders SET status = 'paid', updated_at = now(), paid_at = now(),
			session_id = coalesce(session_id, $2), payment_intent_id = $3, customer_email = $4
			WHERE id = $1 AND status = 'pending'`, orderID, s.ID, s.PaymentIntent, email); err != nil {
			return err
		}
		opts := baselineJobOpts()
		if _, err := queue.InsertManyTx(ctx, tx, []river.InsertManyParams{
			{Args: jobs.SendEmailArgs{OrderID: orderID, Email: shop.EmailConfirmation, Recipient: email,
				MessageID: jobs.MessageID(orderID, shop.EmailConfirmation, "127.0.0.1")}, InsertOpts: &opts},
			{Args: jobs.SendEmailArgs{OrderID: orderID, Email: shop.EmailStaffPaid, Recipient: "staff@example.com",
				MessageID: jobs.MessageID(orderID, shop.EmailStaffPaid, "127.0.0.1")}, InsertOpts: &opts},
		}); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE stripe_events SET processed_at = now(), note = $3,
		order_id = nullif($2, '')::uuid WHERE id = $1`, ev.ID, orderID, note); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// baselineQueue is the River queue the baselines' jobs go to: the same
// rows, with River's uniqueness by order and kind, but in a queue no worker
// works. In the default queue the server's worker took them, found no
// e-mail record (the baselines keep none) and retried each with a backoff,
// through every later run: work for the server during the baselines' runs
// and its own, which neither the baselines nor the webhook cause.
const baselineQueue = "shopbench_baseline"

func baselineJobOpts() river.InsertOpts {
	opts := jobs.SendEmailArgs{}.InsertOpts()
	opts.Queue = baselineQueue
	return opts
}

// minimalCheckout is POST /api/checkout as a careful engineer would write
// it with chi, pgx and stripe-go in a minimal handler, doing the durable
// work the server does: for one product ({"product_id","quantity"}) or a
// cart ({"items":[…]}), one transaction locks the products of limited
// stock in id order (those of unlimited stock are only read: their orders
// take nothing, so their buyers need not queue on their rows, nor do the
// server's), refuses a missing, inactive or short one (409), takes the
// units, inserts the order (its number from order_number_seq, its amounts
// the sum of its lines) and one row per line; then it creates the session
// with one line item per line, records its id and answers 201. No rate
// limit, no per-client cap (so no client key on the order), no shipping
// options, no access log, no metrics; a plain commit for the session id.
func minimalCheckout(pool *pgxpool.Pool, pay *payments.Client, appURL string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			cartItem
			Items []cartItem `json:"items"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		items := in.Items
		if len(items) == 0 {
			items = []cartItem{in.cartItem}
		}
		for _, it := range items {
			if it.Quantity < 1 || it.Quantity > 100 {
				http.Error(w, "quantity must be between 1 and 100", http.StatusBadRequest)
				return
			}
		}
		expires := time.Now().Add(31 * time.Minute).Truncate(time.Second)
		o, err := placeCart(r.Context(), pool, items, expires)
		var short errShort
		switch {
		case errors.As(err, &short):
			http.Error(w, err.Error(), http.StatusConflict)
			return
		case err != nil:
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		params := payments.SessionParams{
			OrderID: o.id, OrderNumber: o.number, Currency: o.currency,
			SuccessURL: appURL + "/checkout/success?session_id={CHECKOUT_SESSION_ID}",
			CancelURL:  appURL + "/checkout/cancel?product_id=" + items[0].ProductID + "&order_id=" + o.id,
			ExpiresAt:  expires,
		}
		for _, l := range o.lines {
			params.Lines = append(params.Lines, payments.LineItem{Name: l.name, UnitAmount: l.unitAmount, Quantity: l.quantity, TaxCode: l.taxCode})
		}
		sess, err := pay.CreateSession(r.Context(), params)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if _, err := pool.Exec(r.Context(), `UPDATE orders SET session_id = $2, updated_at = now() WHERE id = $1`, o.id, sess.ID); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"order_id": o.id, "session_id": sess.ID, "checkout_url": sess.URL, "number": o.number})
	}
}

// cartItem is a line of the server's checkout request.
type cartItem struct {
	ProductID string `json:"product_id"`
	Quantity  int64  `json:"quantity"`
}

// errShort is a cart the shop cannot sell as it stands.
type errShort string

func (e errShort) Error() string { return string(e) }

type placedLine struct {
	productID, name, taxCode       string
	unitAmount, quantity, reserved int64
}

type placedOrder struct {
	id       string
	number   int64
	currency string
	lines    []placedLine
}

// placeCart records a pending order of the items, taking their units from
// limited stock: all lines or none.
func placeCart(ctx context.Context, pool *pgxpool.Pool, items []cartItem, expires time.Time) (placedOrder, error) {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ProductID
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return placedOrder{}, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit
	rows, err := tx.Query(ctx, `
		WITH locked AS (
			SELECT id, name, unit_amount, currency, tax_code, stock, active FROM products
			WHERE id = ANY($1::uuid[]) AND stock IS NOT NULL ORDER BY id FOR NO KEY UPDATE
		)
		SELECT * FROM locked
		UNION ALL
		SELECT id, name, unit_amount, currency, tax_code, stock, active FROM products
		WHERE id = ANY($1::uuid[]) AND stock IS NULL`, ids)
	if err != nil {
		return placedOrder{}, err
	}
	type row struct {
		name, currency, taxCode string
		unitAmount              int64
		stock                   *int64
		active                  bool
	}
	found := map[string]row{}
	for rows.Next() {
		var id string
		var p row
		if err := rows.Scan(&id, &p.name, &p.unitAmount, &p.currency, &p.taxCode, &p.stock, &p.active); err != nil {
			return placedOrder{}, err
		}
		found[id] = p
	}
	if err := rows.Err(); err != nil {
		return placedOrder{}, err
	}
	o := placedOrder{id: newUUID()}
	var subtotal int64
	var lineIDs, names, taxCodes []string
	var amounts, qtys, reserved []int64
	for i, it := range items {
		p, ok := found[it.ProductID]
		switch {
		case !ok || !p.active:
			return placedOrder{}, errShort("product " + it.ProductID + " is not for sale")
		case i > 0 && p.currency != o.currency:
			return placedOrder{}, errShort("the cart mixes currencies")
		case p.stock != nil && *p.stock < it.Quantity:
			return placedOrder{}, errShort("not enough of " + p.name + " left")
		}
		o.currency = p.currency
		l := placedLine{productID: it.ProductID, name: p.name, taxCode: p.taxCode, unitAmount: p.unitAmount, quantity: it.Quantity}
		if p.stock != nil {
			l.reserved = it.Quantity
		}
		o.lines = append(o.lines, l)
		subtotal += l.unitAmount * l.quantity
		lineIDs, names, taxCodes = append(lineIDs, l.productID), append(names, l.name), append(taxCodes, l.taxCode)
		amounts, qtys, reserved = append(amounts, l.unitAmount), append(qtys, l.quantity), append(reserved, l.reserved)
	}
	// The writes in one round trip.
	first := o.lines[0]
	batch := &pgx.Batch{}
	batch.Queue(`UPDATE products p SET stock = p.stock - r.units
		FROM unnest($1::uuid[], $2::bigint[]) AS r(id, units) WHERE p.id = r.id AND r.units > 0`, lineIDs, reserved)
	batch.Queue(`INSERT INTO orders (id, number, product_id, product_name, unit_amount, quantity, amount_subtotal, amount_total, currency, expires_at)
		VALUES ($1, nextval('order_number_seq'), $2, $3, $4, $5, $6, $6, $7, $8) RETURNING number`,
		o.id, first.productID, first.name, first.unitAmount, first.quantity, subtotal, o.currency, expires).
		QueryRow(func(r pgx.Row) error { return r.Scan(&o.number) })
	batch.Queue(`INSERT INTO order_lines (order_id, position, product_id, product_name, unit_amount, quantity, reserved, tax_code)
		SELECT $1, r.n - 1, r.id, r.name, r.unit_amount, r.quantity, r.reserved, r.tax_code
		FROM unnest($2::uuid[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[])
			WITH ORDINALITY AS r(id, name, unit_amount, quantity, reserved, tax_code, n)`,
		o.id, lineIDs, names, amounts, qtys, reserved, taxCodes)
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return placedOrder{}, err
	}
	return o, tx.Commit(ctx)
}

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

// minimalCheckout is POST /api/checkout as a minimal chi + pgx + stripe-go
// handler would write it, for a product with unlimited stock: insert the
// order at the product's price (one statement), create the session with
// the same stripe-go call, record its id, answer 201. No rate limit, no
// access log, no metrics, a plain commit for the session id.
func minimalCheckout(pool *pgxpool.Pool, pay *payments.Client, appURL string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			ProductID string `json:"product_id"`
			Quantity  int64  `json:"quantity"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil || in.Quantity < 1 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var (
			orderID, name, currency string
			unitAmount              int64
			expires                 time.Time
		)
		err := pool.QueryRow(r.Context(), `
			INSERT INTO orders (product_id, product_name, unit_amount, quantity, amount_subtotal, amount_total, currency, expires_at)
			SELECT id, name, unit_amount, $2, unit_amount * $2, unit_amount * $2, currency, date_trunc('second', now() + interval '31 minutes')
			FROM products WHERE id = $1 AND active AND stock IS NULL
			RETURNING id::text, product_name, unit_amount, currency, expires_at`, in.ProductID, in.Quantity).
			Scan(&orderID, &name, &unitAmount, &currency, &expires)
		if err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		sess, err := pay.CreateSession(r.Context(), payments.SessionParams{
			OrderID: orderID, ProductName: name, Currency: currency, UnitAmount: unitAmount, Quantity: in.Quantity,
			SuccessURL: appURL + "/checkout/success?session_id={CHECKOUT_SESSION_ID}",
			CancelURL:  appURL + "/checkout/cancel?product_id=" + in.ProductID + "&order_id=" + orderID,
			ExpiresAt:  expires,
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if _, err := pool.Exec(r.Context(), `UPDATE orders SET session_id = $2, updated_at = now() WHERE id = $1`, orderID, sess.ID); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]string{"order_id": orderID, "session_id": sess.ID, "checkout_url": sess.URL})
	}
}

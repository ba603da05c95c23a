// Package checkout is the payment workflow: Start reserves stock and opens a
// Stripe Checkout Session; HandleEvent, Fulfil and the reconciler apply what
// Stripe reports, once, through conditional updates in Postgres.
package checkout

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// SessionLifetime is how long a customer has to pay: Stripe's minimum of
// 30 minutes, plus a minute so a request that crosses a second boundary on
// its way is not refused for being under the minimum.
const SessionLifetime = 31 * time.Minute

// Config holds the workflow's dependencies.
type Config struct {
	Pool     *pgxpool.Pool
	Payments *payments.Client
	Logger   *slog.Logger
	Metrics  *Metrics
	AppURL   string
	// StripeTimeout bounds one call to Stripe made while a customer waits.
	StripeTimeout time.Duration
	Now           func() time.Time
	// WebhookSecrets verify Stripe-Signature (several during a rotation).
	WebhookSecrets []string
	// SignatureNow is the clock signatures are checked against: Stripe's,
	// the wall clock, even when a test moves Now.
	SignatureNow func() time.Time
}

// Service runs the workflow.
type Service struct {
	pool    *pgxpool.Pool
	pay     *payments.Client
	log     *slog.Logger
	metrics *Metrics
	appURL  string
	timeout time.Duration
	now     func() time.Time
	secrets []string
	sigNow  func() time.Time
}

// New returns the workflow over cfg.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SignatureNow == nil {
		cfg.SignatureNow = time.Now
	}
	if cfg.StripeTimeout == 0 {
		cfg.StripeTimeout = 20 * time.Second
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{pool: cfg.Pool, pay: cfg.Payments, log: cfg.Logger, metrics: cfg.Metrics,
		appURL: cfg.AppURL, timeout: cfg.StripeTimeout, now: cfg.Now,
		secrets: cfg.WebhookSecrets, sigNow: cfg.SignatureNow}
}

// Started is what the browser needs to go and pay.
type Started struct {
	OrderID     string `json:"order_id"`
	SessionID   string `json:"session_id"`
	CheckoutURL string `json:"checkout_url"`
}

// Start reserves qty units of a product and opens its Checkout Session. The
// price comes from our database. When Stripe fails, the reservation is
// released and the order expired before the error returns: nothing stays held.
func (s *Service) Start(ctx context.Context, productID string, qty int64) (Started, error) {
	if qty < shop.MinQuantity || qty > shop.MaxQuantity {
		return Started{}, shop.Invalid(map[string]string{"quantity": "must be between 1 and 100"})
	}
	if !postgres.IsUUID(productID) {
		return Started{}, shop.Errorf(shop.ErrNotFound, "product not found")
	}
	order, err := postgres.NewOrders(s.pool).Place(ctx, productID, qty, s.now().Add(SessionLifetime).Truncate(time.Second))
	if err != nil {
		return Started{}, err
	}
	// The customer may give up waiting; the session and the release must
	// still run to their end so nothing is left half-done.
	ctx = context.WithoutCancel(ctx)
	sess, err := s.createSession(ctx, order)
	if err != nil {
		s.log.Error("checkout session failed; releasing the reservation", "order_id", order.ID, "err", err)
		if rerr := s.abandon(ctx, order); rerr != nil {
			// The reconciler will release it: the order is pending with no session.
			s.log.Error("release after a failed checkout session", "order_id", order.ID, "err", rerr)
		}
		return Started{}, shop.Errorf(shop.ErrPaymentProvider, "the payment provider is unavailable; nothing was charged, please try again")
	}
	if err := postgres.NewOrders(s.pool).SetSession(ctx, order.ID, sess.ID); err != nil {
		// The webhook finds the order by its metadata and records the session then.
		s.log.Warn("could not record the session id; the webhook will", "order_id", order.ID, "err", err)
	}
	return Started{OrderID: order.ID, SessionID: sess.ID, CheckoutURL: sess.URL}, nil
}

// createSession asks Stripe for the order's session. Every parameter derives
// from the order row, so the reconciler can repeat the call with the same
// idempotency key and get the same session back.
func (s *Service) createSession(ctx context.Context, o postgres.OrderRow) (payments.Session, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return s.pay.CreateSession(ctx, payments.SessionParams{
		OrderID:     o.ID,
		ProductName: o.ProductName,
		Currency:    o.Currency,
		UnitAmount:  o.UnitAmount,
		Quantity:    o.Quantity,
		SuccessURL:  s.appURL + "/checkout/success?session_id={CHECKOUT_SESSION_ID}",
		CancelURL: s.appURL + "/checkout/cancel?product_id=" + url.QueryEscape(o.ProductID) +
			"&order_id=" + url.QueryEscape(o.ID),
		ExpiresAt: o.ExpiresAt,
	})
}

// abandon expires a pending order whose session could not be created.
func (s *Service) abandon(ctx context.Context, o postgres.OrderRow) error {
	return s.inTx(ctx, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := s.transition(ctx, tx, o.ID, shop.StatusExpired, postgres.Change{})
		return err
	})
}

// transition moves an order if its status allows, releases stock when the
// order gives up its units, and counts the move.
func (s *Service) transition(ctx context.Context, tx *postgres.Tx, orderID string, to shop.Status, c postgres.Change) (bool, error) {
	before, err := postgres.NewOrders(tx).GetForUpdate(ctx, orderID)
	if err != nil {
		return false, err
	}
	_, moved, err := s.move(ctx, tx, before, to, c)
	return moved, err
}

// move is transition for an order row the transaction has already locked
// (FOR UPDATE), which spares the webhook's hot path a second read. The lock
// means the row's status decides: an order that may not move is left as it
// is, and one that may is moved by an UPDATE whose result is known, sent
// with the transaction's next statement or its commit, unless a move to
// paid must first learn whether refunds of its payment were recorded
// before (then the UPDATE answers that in its RETURNING).
func (s *Service) move(ctx context.Context, tx *postgres.Tx, before postgres.OrderRow, to shop.Status, c postgres.Change) (postgres.OrderRow, bool, error) {
	if !slices.Contains(shop.From(to), before.Status) {
		return before, false, nil
	}
	orderID := before.ID
	orders := postgres.NewOrders(tx)
	after := before.Moved(to, c)
	waiting, known := refundsWaitingFor(ctx, orderID, after.PaymentIntentID)
	if to != shop.StatusPaid || known {
		if err := orders.TransitionLater(ctx, orderID, to, c); err != nil {
			return before, false, err
		}
		after.RefundsWaiting = to == shop.StatusPaid && waiting
	} else {
		var moved bool
		var err error
		after, moved, err = orders.Transition(ctx, orderID, to, c)
		if err != nil || !moved { // !moved: the lock says it cannot happen
			return before, false, err
		}
	}
	if before.Reserved > 0 && after.Reserved == 0 {
		if err := postgres.NewProducts(tx).Release(ctx, after.ProductID, before.Reserved); err != nil {
			return after, false, err
		}
	}
	onCommit(ctx, func() {
		s.metrics.Transitions.WithLabelValues(string(before.Status), string(to)).Inc()
		s.log.Info("order transition", "order_id", orderID, "from", before.Status, "to", to)
	})
	return after, true, nil
}

// applySession brings an order in line with what Stripe says of its session.
// kind is the event type, or "" when the session was read from Stripe. It
// returns the order id and a note for the event log when nothing applied.
func (s *Service) applySession(ctx context.Context, tx *postgres.Tx, sess payments.Session, kind string) (string, string, error) {
	// Before the order's row lock: a refund of this payment takes the same
	// lock first too, so neither waits on the other in the opposite order.
	if err := lockPaymentIntent(ctx, tx, sess.PaymentIntentID); err != nil {
		return "", "", err
	}
	o, err := s.orderForSession(ctx, tx, sess)
	if shop.ErrorCode(err) == shop.ErrNotFound {
		return "", "no order for session " + sess.ID, nil
	}
	if err != nil {
		return "", "", err
	}
	change := postgres.Change{SessionID: sess.ID, PaymentIntentID: sess.PaymentIntentID, CustomerEmail: sess.CustomerEmail}
	var to shop.Status
	switch {
	case kind == "checkout.session.async_payment_failed",
		// Read from Stripe: a delayed payment that failed leaves the session
		// complete and unpaid, and its payment intent back at the start.
		kind == "" && sess.Status == "complete" && sess.PaymentStatus == "unpaid" &&
			(sess.PaymentIntentStatus == "requires_payment_method" || sess.PaymentIntentStatus == "canceled"):
		to = shop.StatusFailed
	case sess.Status == "complete" && (sess.PaymentStatus == "paid" || sess.PaymentStatus == "no_payment_required"):
		to = shop.StatusPaid
	case sess.Status == "complete":
		to = shop.StatusProcessing
	case sess.Status == "expired":
		to = shop.StatusExpired
	default:
		return o.ID, "", nil // still open: nothing to do yet
	}
	if to == shop.StatusPaid {
		if reason := paidMismatch(o, sess); reason != "" {
			return o.ID, reason, s.flag(ctx, tx, o, reason)
		}
	}
	after, moved, err := s.move(ctx, tx, o, to, change) // o is locked by orderForSession
	if err != nil {
		return o.ID, "", err
	}
	if moved && after.RefundsWaiting {
		// A refund may have been reported before the payment (events come
		// in any order); it found no order then and applies now. The
		// payment is the order's, which a session without one leaves as it was.
		if err := s.applyEarlierRefunds(ctx, tx, after.PaymentIntentID); err != nil {
			return o.ID, "", err
		}
	}
	if !moved && to == shop.StatusPaid && (o.Status == shop.StatusExpired || o.Status == shop.StatusFailed) {
		reason := fmt.Sprintf("paid after the order was %s: refund the customer or fulfil by hand", o.Status)
		return o.ID, reason, s.flag(ctx, tx, o, reason)
	}
	if !moved && o.Status != to {
		return o.ID, fmt.Sprintf("ignored: %s → %s is not allowed", o.Status, to), nil
	}
	return o.ID, "", nil
}

func paidMismatch(o postgres.OrderRow, sess payments.Session) string {
	if sess.AmountTotal != o.AmountTotal || sess.Currency != o.Currency {
		return fmt.Sprintf("Stripe reported %d %s for an order of %d %s; not marked paid",
			sess.AmountTotal, sess.Currency, o.AmountTotal, o.Currency)
	}
	return ""
}

func (s *Service) flag(ctx context.Context, tx *postgres.Tx, o postgres.OrderRow, reason string) error {
	if o.Flagged && o.FlagReason == reason {
		return nil
	}
	onCommit(ctx, func() {
		s.metrics.Flagged.Inc()
		s.log.Warn("order flagged for the admin", "order_id", o.ID, "reason", reason)
	})
	return postgres.NewOrders(tx).Flag(ctx, o.ID, reason)
}

// orderForSession finds the order a session belongs to: by the order id we
// put in its metadata (which works even when saving the session id failed),
// else by the session id.
func (s *Service) orderForSession(ctx context.Context, tx *postgres.Tx, sess payments.Session) (postgres.OrderRow, error) {
	orders := postgres.NewOrders(tx)
	id := sessionOrderID(sess)
	if postgres.IsUUID(id) {
		o, err := lockedOrder(ctx, id)
		if err == errNotPrefetched {
			o, err = orders.GetForUpdate(ctx, id)
		}
		if err == nil && o.SessionID != "" && o.SessionID != sess.ID {
			return postgres.OrderRow{}, shop.Errorf(shop.ErrNotFound, "session %s is not the order's", sess.ID)
		}
		if err == nil || shop.ErrorCode(err) != shop.ErrNotFound {
			return o, err
		}
	}
	o, err := orders.BySession(ctx, sess.ID)
	if err != nil {
		return o, err
	}
	return orders.GetForUpdate(ctx, o.ID)
}

// sessionOrderID is the order a session names: in its metadata, else as
// its client reference.
func sessionOrderID(sess payments.Session) string {
	if sess.OrderID != "" {
		return sess.OrderID
	}
	return sess.ClientReferenceID
}

// Order returns an order with its events, for the admin.
func (s *Service) Order(ctx context.Context, id string) (shop.Order, []shop.Event, error) {
	if !postgres.IsUUID(id) {
		return shop.Order{}, nil, shop.Errorf(shop.ErrNotFound, "order not found")
	}
	o, err := postgres.NewOrders(s.pool).Get(ctx, id)
	if err != nil {
		return shop.Order{}, nil, err
	}
	events, err := postgres.NewEvents(s.pool).ForOrder(ctx, id)
	return o.Order, events, err
}

// Refund refunds a paid order in full. The idempotency key is the order's,
// so a retried refund never refunds twice.
func (s *Service) Refund(ctx context.Context, orderID string) (shop.Order, error) {
	if !postgres.IsUUID(orderID) {
		return shop.Order{}, shop.Errorf(shop.ErrNotFound, "order not found")
	}
	o, err := postgres.NewOrders(s.pool).Get(ctx, orderID)
	if err != nil {
		return shop.Order{}, err
	}
	if o.Status != shop.StatusPaid {
		return shop.Order{}, shop.Errorf(shop.ErrConflict, "only a paid order can be refunded; this one is %s", o.Status)
	}
	if o.PaymentIntentID == "" {
		return shop.Order{}, shop.Errorf(shop.ErrConflict, "the order has no recorded payment to refund")
	}
	ctx = context.WithoutCancel(ctx)
	sctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if _, err := s.pay.Refund(sctx, o.PaymentIntentID, payments.IdempotencyKey("refund", o.ID)); err != nil {
		s.log.Error("refund failed", "order_id", o.ID, "err", err)
		return shop.Order{}, shop.Errorf(shop.ErrPaymentProvider, "the payment provider refused or failed the refund; nothing was refunded")
	}
	err = s.inTx(ctx, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := s.transition(ctx, tx, o.ID, shop.StatusRefunded, postgres.Change{})
		return err
	})
	if err != nil {
		return shop.Order{}, err
	}
	o, err = postgres.NewOrders(s.pool).Get(ctx, orderID)
	return o.Order, err
}

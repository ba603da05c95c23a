// Package checkout is the payment workflow: Start reserves stock and opens a
// Stripe Checkout Session; HandleEvent, Fulfil and the reconciler apply what
// Stripe reports, once, through conditional updates in Postgres.
package checkout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
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
	// ReconcileAge is how old an open order must be before the reconciler
	// asks Stripe about it (default DefaultReconcileAge).
	ReconcileAge time.Duration
	Now          func() time.Time
	// WebhookSecrets verify Stripe-Signature (several during a rotation).
	WebhookSecrets []string
	// SignatureNow is the clock signatures are checked against: Stripe's,
	// the wall clock, even when a test moves Now.
	SignatureNow func() time.Time
	// MaxUnitsPerClient is the most units one client may hold in open
	// (pending or processing) orders at once; 0 is no cap.
	MaxUnitsPerClient int64
	// Sessions says what a Checkout Session asks of the customer beyond
	// the lines: address, shipping, promotion codes, tax.
	Sessions SessionOptions
	// Mail queues the e-mails order changes send; nil sends none.
	Mail MailQueue
}

// SessionOptions are the shop's settings for its Checkout Sessions
// (config: SHIPPING_COUNTRIES, FREE_SHIPPING_OVER, PROMOTION_CODES,
// AUTOMATIC_TAX, TAX_BEHAVIOR).
type SessionOptions struct {
	ShippingCountries []string
	// FreeShippingOver offers free shipping to an order whose subtotal
	// reaches it (minor units of the order's currency); 0 is never.
	FreeShippingOver int64
	PromotionCodes   bool
	AutomaticTax     bool
	TaxBehavior      string
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

	reconcileAge      time.Duration
	maxUnitsPerClient int64
	sessions          SessionOptions
	mail              MailQueue
}

// DefaultReconcileAge leaves the webhook a minute to arrive, and settles an
// order whose server stopped before recording its session within about two
// (with a sweep a minute).
const DefaultReconcileAge = time.Minute

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
	if cfg.ReconcileAge == 0 {
		cfg.ReconcileAge = DefaultReconcileAge
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{pool: cfg.Pool, pay: cfg.Payments, log: cfg.Logger, metrics: cfg.Metrics,
		appURL: cfg.AppURL, timeout: cfg.StripeTimeout, now: cfg.Now, reconcileAge: cfg.ReconcileAge,
		secrets: cfg.WebhookSecrets, sigNow: cfg.SignatureNow, maxUnitsPerClient: cfg.MaxUnitsPerClient,
		sessions: cfg.Sessions, mail: cfg.Mail}
}

// Started is what the browser needs to go and pay.
type Started struct {
	OrderID     string `json:"order_id"`
	SessionID   string `json:"session_id"`
	CheckoutURL string `json:"checkout_url"`
	Number      int64  `json:"number"`
}

// Start reserves a cart's items for a client (clientip.Key; "" for none)
// and opens its Checkout Session: every line reserved or none. Prices come
// from our database. The client may hold at most MaxUnitsPerClient units
// in open orders, this one included, and one order at most each product's
// max_per_order. When Stripe fails, the reservation is released and the
// order expired before the error returns: nothing stays held.
func (s *Service) Start(ctx context.Context, items []shop.Item, clientKey string) (Started, error) {
	items, err := shop.CheckItems(items)
	if err != nil {
		return Started{}, err
	}
	buyer := postgres.Buyer{ClientKey: clientKey, MaxUnits: s.maxUnitsPerClient, FreeShippingOver: s.sessions.FreeShippingOver}
	order, err := postgres.NewOrders(s.pool).PlaceFor(ctx, buyer, items, s.now().Add(SessionLifetime).Truncate(time.Second))
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
		// An order with no recorded session is one the reconciler gives
		// up (its server stopped before Stripe answered): so no customer
		// is sent to pay it. Its session is expired and its units return,
		// now or by the reconciler's next sweep.
		s.log.Error("could not record the session id; giving the checkout up", "order_id", order.ID, "err", err)
		if gerr := s.giveUp(ctx, order); gerr != nil {
			s.log.Error("give up a checkout whose session was not recorded", "order_id", order.ID, "err", gerr)
		}
		return Started{}, shop.Errorf(shop.ErrUnavailable, "the order could not be saved; nothing was charged, please try again")
	}
	return Started{OrderID: order.ID, SessionID: sess.ID, CheckoutURL: sess.URL, Number: order.Number}, nil
}

// createSession asks Stripe for the order's session. Every parameter derives
// from the order as it was placed (its lines with their pictures, the
// shipping options it was offered) and the shop's settings, never from what
// an admin may change since: the reconciler repeats the call with the same
// idempotency key and must get the same session back, where Stripe would
// refuse a repeat with other parameters and the order be given up while its
// session can still be paid.
func (s *Service) createSession(ctx context.Context, o shop.Order) (payments.Session, error) {
	options := o.ShippingOptions
	if options == nil { // placed before the options were kept with the order
		rates, err := postgres.NewShippingRates(s.pool).Active(ctx, o.Currency)
		if err != nil {
			return payments.Session{}, err
		}
		options = shop.ShippingOptions(rates, o.AmountSubtotal, s.sessions.FreeShippingOver)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	p := payments.SessionParams{
		OrderID:     o.ID,
		OrderNumber: o.Number,
		Currency:    o.Currency,
		SuccessURL:  s.appURL + "/checkout/success?session_id={CHECKOUT_SESSION_ID}",
		CancelURL: s.appURL + "/checkout/cancel?product_id=" + url.QueryEscape(o.ProductID) +
			"&order_id=" + url.QueryEscape(o.ID),
		ExpiresAt:           o.ExpiresAt,
		ShippingCountries:   s.sessions.ShippingCountries,
		AllowPromotionCodes: s.sessions.PromotionCodes,
		AutomaticTax:        s.sessions.AutomaticTax,
		TaxBehavior:         s.sessions.TaxBehavior,
	}
	for _, l := range o.Lines {
		p.Lines = append(p.Lines, payments.LineItem{Name: l.ProductName, UnitAmount: l.UnitAmount, Quantity: l.Quantity, TaxCode: l.TaxCode,
			ImageURL: s.imageURL(l.Image)})
	}
	if len(p.Lines) == 0 { // an order written without lines (by hand, or a bench's)
		p.Lines = []payments.LineItem{{Name: o.ProductName, UnitAmount: o.UnitAmount, Quantity: o.Quantity}}
	}
	for _, r := range options {
		opt := payments.ShippingOption{ID: r.ID, Name: r.Name, Amount: r.Amount, Currency: o.Currency}
		if r.MinDays != nil {
			opt.MinDays = *r.MinDays
		}
		if r.MaxDays != nil {
			opt.MaxDays = *r.MaxDays
		}
		p.ShippingOptions = append(p.ShippingOptions, opt)
	}
	return s.pay.CreateSession(ctx, p)
}

// abandon expires a pending order whose session could not be created.
func (s *Service) abandon(ctx context.Context, o shop.Order) error {
	return s.inTx(ctx, func(t *tx) error {
		_, err := s.transition(ctx, t, o.ID, shop.StatusExpired)
		return err
	})
}

// transition locks an order and moves it to status `to` if it may go
// there; it returns the order as it is then.
func (s *Service) transition(ctx context.Context, t *tx, orderID string, to shop.Status) (shop.Order, error) {
	l, err := t.lockOrder(ctx, orderID, "")
	if err != nil {
		return shop.Order{}, err
	}
	o, _, err := s.move(ctx, t, l.order, to, shop.Change{})
	return o, err
}

// move makes the step the domain allows from an order the transaction
// holds locked: the row's status decides, so the write's outcome is known
// and it goes with the transaction's next statement or its commit.
func (s *Service) move(ctx context.Context, t *tx, o shop.Order, to shop.Status, c shop.Change) (shop.Order, bool, error) {
	m, ok := o.Move(to, s.now(), c)
	if !ok {
		return o, false, nil
	}
	if err := postgres.NewOrders(t.Tx).Apply(ctx, m); err != nil {
		return o, false, err
	}
	if err := s.enqueueMail(ctx, t, m.Order, m.Emails()...); err != nil {
		return o, false, err
	}
	t.afterCommit(func() {
		s.metrics.Transitions.WithLabelValues(string(m.From), string(to)).Inc()
		s.log.Info("order transition", "order_id", o.ID, "from", m.From, "to", to)
	})
	return m.Order, true, nil
}

// applySession brings an order in line with what Stripe says of its session.
// kind is the event type, or "" when the session was read from Stripe;
// pre is the order when the transaction locked it already, with the
// payment's lock. It returns the order id and a note for the event log
// when nothing applied.
func (s *Service) applySession(ctx context.Context, t *tx, sess payments.Session, kind string, pre *locked) (string, string, error) {
	l, err := s.lockSessionOrder(ctx, t, sess, pre)
	if shop.ErrorCode(err) == shop.ErrNotFound {
		return "", "no order for session " + sess.ID, nil
	}
	if err != nil {
		return "", "", err
	}
	o := l.order
	to, open := sessionOutcome(sess, kind)
	if open {
		return o.ID, "", nil // still open: nothing to do yet
	}
	if to == shop.StatusPaid {
		if reason := paidMismatch(o, sess); reason != "" {
			if err := s.flag(ctx, t, o, reason); err != nil {
				return o.ID, "", err
			}
			o.Flagged, o.FlagReason = true, reason
			return o.ID, reason, s.enqueueMail(ctx, t, o, shop.EmailStaffMismatch)
		}
	}
	change := shop.Change{SessionID: sess.ID, PaymentIntentID: sess.PaymentIntentID, CustomerEmail: sess.CustomerEmail}
	if sess.Status == "complete" {
		if change.Totals, err = s.totals(ctx, t, sess); err != nil {
			return o.ID, "", err
		}
	}
	after, moved, err := s.move(ctx, t, o, to, change)
	switch {
	case err != nil:
		return o.ID, "", err
	case moved && to == shop.StatusPaid && l.refundsWaiting:
		// A refund may have been reported before the payment (events come
		// in any order); it found no order then and applies now.
		return o.ID, "", s.applyEarlierRefunds(ctx, t, after.PaymentIntentID)
	case !moved && to == shop.StatusPaid && (o.Status == shop.StatusExpired || o.Status == shop.StatusFailed):
		reason := fmt.Sprintf("paid after the order was %s: refund the customer or fulfil by hand", o.Status)
		return o.ID, reason, s.flag(ctx, t, o, reason)
	case !moved && o.Status != to:
		return o.ID, fmt.Sprintf("ignored: %s → %s is not allowed", o.Status, to), nil
	}
	return o.ID, "", nil
}

// sessionOutcome is the status a session's state asks of its order, or
// open when the customer may still pay.
func sessionOutcome(sess payments.Session, kind string) (to shop.Status, open bool) {
	switch {
	case kind == "checkout.session.async_payment_failed",
		// Read from Stripe: a delayed payment that failed leaves the session
		// complete and unpaid, and its payment intent back at the start.
		kind == "" && sess.Status == "complete" && sess.PaymentStatus == "unpaid" &&
			(sess.PaymentIntentStatus == "requires_payment_method" || sess.PaymentIntentStatus == "canceled"):
		return shop.StatusFailed, false
	case sess.Status == "complete" && (sess.PaymentStatus == "paid" || sess.PaymentStatus == "no_payment_required"):
		return shop.StatusPaid, false
	case sess.Status == "complete":
		return shop.StatusProcessing, false
	case sess.Status == "expired":
		return shop.StatusExpired, false
	}
	return "", true
}

// paidMismatch compares what the shop priced (the lines' subtotal) with
// the subtotal Stripe charged for; discount, shipping and tax are Stripe's
// to compute.
func paidMismatch(o shop.Order, sess payments.Session) string {
	if sess.AmountSubtotal != o.AmountSubtotal || sess.Currency != o.Currency {
		return fmt.Sprintf("Stripe reported a subtotal of %d %s for an order of %d %s; not marked paid",
			sess.AmountSubtotal, sess.Currency, o.AmountSubtotal, o.Currency)
	}
	return ""
}

// totals is what a completed session says was charged, with the name of
// the shipping rate chosen as the shop offered it.
func (s *Service) totals(ctx context.Context, t *tx, sess payments.Session) (*shop.Totals, error) {
	tot := &shop.Totals{AmountTotal: sess.AmountTotal, AmountDiscount: sess.AmountDiscount,
		AmountShipping: sess.AmountShipping, AmountTax: sess.AmountTax, PromotionCode: sess.PromotionCode}
	if d := sess.Shipping; d != nil || sess.ShippingRateID != "" || sess.ShippingRate != "" {
		// A rate may be chosen with no address asked (no SHIPPING_COUNTRIES).
		tot.Shipping = &shop.Shipping{RateID: sess.ShippingRateID}
		if d != nil {
			tot.Shipping.Name, tot.Shipping.Address = d.Name, shop.Address{Line1: d.Line1, Line2: d.Line2, City: d.City,
				State: d.State, PostalCode: d.PostalCode, Country: d.Country}
		}
		switch id, ok := shop.ParseID(sess.ShippingRateID); {
		case sess.ShippingRateID == shop.FreeShipping.ID:
			tot.Shipping.RateName = shop.FreeShipping.Name
		case ok:
			r, err := postgres.NewShippingRates(t.Tx).Get(ctx, id)
			if err != nil && shop.ErrorCode(err) != shop.ErrNotFound {
				return nil, err
			}
			tot.Shipping.RateName = r.Name
		case sess.ShippingRate != "":
			tot.Shipping.RateID = sess.ShippingRate // a rate the shop did not offer: Stripe's id
		}
	}
	return tot, nil
}

func (s *Service) flag(ctx context.Context, t *tx, o shop.Order, reason string) error {
	if o.Flagged && o.FlagReason == reason {
		return nil
	}
	t.afterCommit(func() {
		s.metrics.Flagged.Inc()
		s.log.Warn("order flagged for the admin", "order_id", o.ID, "reason", reason)
	})
	return postgres.NewOrders(t.Tx).Flag(ctx, o.ID, reason)
}

// lockSessionOrder locks the order a session belongs to, after the lock of
// its payment: the order named in its metadata (which works even when
// saving the session id failed), else the one that recorded the session.
func (s *Service) lockSessionOrder(ctx context.Context, t *tx, sess payments.Session, pre *locked) (locked, error) {
	id, named := shop.ParseID(sessionOrderID(sess))
	switch {
	case pre != nil && pre.order.ID != "":
		return *pre, sessionIsOrders(sess, pre.order)
	case pre == nil && named:
		l, err := t.lockOrder(ctx, id, sess.PaymentIntentID)
		if err == nil {
			return l, sessionIsOrders(sess, l.order)
		}
		if shop.ErrorCode(err) != shop.ErrNotFound {
			return l, err
		}
	}
	// pre with no order: the order the metadata names does not exist.
	o, err := postgres.NewOrders(t.Tx).BySession(ctx, sess.ID)
	if err != nil {
		return locked{}, err
	}
	return t.lockOrder(ctx, o.ID, sess.PaymentIntentID)
}

// sessionIsOrders refuses a session that names an order which recorded
// another session.
func sessionIsOrders(sess payments.Session, o shop.Order) error {
	if o.SessionID != "" && o.SessionID != sess.ID {
		return shop.Errorf(shop.ErrNotFound, "session %s is not the order's", sess.ID)
	}
	return nil
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
	id, ok := shop.ParseID(id)
	if !ok {
		return shop.Order{}, nil, shop.Errorf(shop.ErrNotFound, "order not found")
	}
	o, err := postgres.NewOrders(s.pool).Get(ctx, id)
	if err != nil {
		return shop.Order{}, nil, err
	}
	events, err := postgres.NewEvents(s.pool).ForOrder(ctx, id)
	return o, events, err
}

// Refund refunds a paid order: chosen lines, an amount, or all that is
// left (shop.RefundRequest), with a Stripe refund of that amount, and
// records it: the lines' refunded quantities, the amount refunded, the
// units put back when asked. The order stays paid until all of it is
// refunded, then it is refunded. The idempotency key names the order, the
// amount refunded before and this request, so a retry of one request
// never refunds twice.
func (s *Service) Refund(ctx context.Context, orderID string, r shop.RefundRequest) (shop.Order, error) {
	orderID, ok := shop.ParseID(orderID)
	if !ok {
		return shop.Order{}, shop.Errorf(shop.ErrNotFound, "order not found")
	}
	for i := range r.Lines {
		r.Lines[i].ProductID, _ = shop.ParseID(r.Lines[i].ProductID)
	}
	o, err := postgres.NewOrders(s.pool).Get(ctx, orderID)
	if err != nil {
		return shop.Order{}, err
	}
	amount, err := o.RefundAmount(r)
	if err != nil {
		return shop.Order{}, err
	}
	if o.PaymentIntentID == "" {
		return shop.Order{}, shop.Errorf(shop.ErrConflict, "the order has no recorded payment to refund")
	}
	total := o.AmountTotal
	key := payments.IdempotencyKey("refund", o.ID) // a full refund's key, as before partial refunds
	if !r.Full() || o.AmountRefunded > 0 {
		total = o.AmountRefunded + amount
		// Hashed: fifty lines would not fit Stripe's 255 characters.
		h := sha256.Sum256(fmt.Appendf(nil, "%d-%d-%v", o.AmountRefunded, amount, r.Lines))
		key = payments.IdempotencyKey("refund", o.ID+"-"+hex.EncodeToString(h[:16]))
	}
	ctx = context.WithoutCancel(ctx)
	sctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if _, err := s.pay.RefundAmount(sctx, o.PaymentIntentID, amount, key); err != nil {
		s.log.Error("refund failed", "order_id", o.ID, "err", err)
		return shop.Order{}, shop.Errorf(shop.ErrPaymentProvider, "the payment provider refused or failed the refund; nothing was refunded")
	}
	err = s.inTx(ctx, func(t *tx) error {
		// Stripe's charge.refunded may have recorded the refund already
		// (and moved the order to refunded): the lines and units still are ours to record.
		l, err := t.lockOrder(ctx, o.ID, "")
		if err != nil {
			return err
		}
		m, ok := l.order.Refunded(r, total, s.now())
		if !ok {
			return nil
		}
		if err := postgres.NewOrders(t.Tx).Apply(ctx, m); err != nil {
			return err
		}
		// The refund e-mail goes when the order becomes refunded; a
		// partial refund (the order stays paid) sends none.
		if err := s.enqueueMail(ctx, t, m.Order, m.Emails()...); err != nil {
			return err
		}
		t.afterCommit(func() {
			if m.Order.Status != m.From {
				s.metrics.Transitions.WithLabelValues(string(m.From), string(m.Order.Status)).Inc()
			}
			s.log.Info("order refunded", "order_id", o.ID, "amount_refunded", m.Order.AmountRefunded,
				"status", m.Order.Status, "restocked", m.Released)
		})
		return nil
	})
	if err != nil {
		return shop.Order{}, err
	}
	return postgres.NewOrders(s.pool).Get(ctx, orderID)
}

package checkout

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
	"github.com/stripeshop/stripeshop/internal/stripesim"
	"github.com/stripeshop/stripeshop/internal/testdb"
)

// movableClock is the wall clock plus an offset the test moves forward;
// the simulator and the workflow share it.
type movableClock struct{ offset atomic.Int64 }

func (c *movableClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *movableClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// onSimulator is a workflow talking to the simulator (with no webhook
// receiver: events are recorded, not sent) on a movable clock, and a
// product with 5 units.
func onSimulator(t *testing.T) (*Service, *movableClock, string, string) {
	t.Helper()
	clk := &movableClock{}
	srv := startSimulator(t, clk)
	pool, _ := testdb.New(t)
	stock := int64(5)
	p, err := postgres.NewProducts(pool).Create(context.Background(),
		shop.Product{Name: "Mug", UnitAmount: 1200, Currency: "usd", Stock: &stock, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	svc := New(Config{Pool: pool, AppURL: "http://shop.test", Now: clk.Now,
		Payments: payments.New(payments.Config{SecretKey: "sk_test_sim", APIURL: srv.URL})})
	return svc, clk, p.ID, srv.URL
}

// startSimulator runs the simulator on clk; it returns its server.
func startSimulator(t *testing.T, clk *movableClock) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	sim := stripesim.New(stripesim.Config{PublicURL: "http://" + srv.Listener.Addr().String(), Now: clk.Now,
		WebhookSecret: "whsec_test", SweepInterval: 10 * time.Millisecond})
	srv.Config.Handler = sim
	srv.Start()
	t.Cleanup(func() { sim.Close(); srv.Close() })
	return srv
}

func (s *Service) mustPlace(t *testing.T, productID string, qty int64) shop.Order {
	t.Helper()
	o, err := postgres.NewOrders(s.pool).PlaceFor(context.Background(), postgres.Buyer{FreeShippingOver: s.sessions.FreeShippingOver},
		[]shop.Item{{ProductID: productID, Quantity: qty}}, s.now().Add(SessionLifetime).Truncate(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (s *Service) stock(t *testing.T, productID string) int64 {
	t.Helper()
	p, err := postgres.NewProducts(s.pool).Get(context.Background(), productID)
	if err != nil {
		t.Fatal(err)
	}
	return *p.Stock
}

// A server that stopped between reserving the units and recording
// Stripe's answer leaves an order with no session. Within the
// reconciler's minimum age it is left alone (the customer may be on their
// way); after it, the units come back at once, whether Stripe never made
// the session or made one nobody was sent to: that one is expired, so
// nobody can pay it later.
func TestReconcilerGivesBackOrdersWhoseServerStoppedMidCheckout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, clk, product, _ := onSimulator(t)
	never := svc.mustPlace(t, product, 2) // stopped before asking Stripe
	made := svc.mustPlace(t, product, 2)  // stopped after Stripe answered
	sess, err := svc.createSession(ctx, made)
	if err != nil {
		t.Fatal(err)
	}
	if got := svc.stock(t, product); got != 1 {
		t.Fatalf("stock %d, want 1 with both orders holding their units", got)
	}

	res, err := svc.Reconcile(ctx, time.Minute)
	if err != nil || res.Checked != 0 {
		t.Fatalf("young orders: %+v, %v; want none checked", res, err)
	}
	clk.Advance(time.Minute + time.Second)
	res, err = svc.Reconcile(ctx, time.Minute)
	if err != nil || res.Checked != 2 || res.Errors != 0 {
		t.Fatalf("sweep: %+v, %v; want 2 checked, no error", res, err)
	}
	for _, o := range []shop.Order{never, made} {
		got, err := postgres.NewOrders(svc.pool).Get(ctx, o.ID)
		if err != nil || got.Status != shop.StatusExpired {
			t.Errorf("order %s: %s, %v; want expired", o.ID, got.Status, err)
		}
	}
	if got := svc.stock(t, product); got != 5 {
		t.Fatalf("stock %d, want all 5 back", got)
	}
	stripeSide, err := svc.pay.GetSession(ctx, sess.ID)
	if err != nil || stripeSide.Status != "expired" {
		t.Fatalf("the session Stripe made: %+v, %v; want expired so nobody can pay it", stripeSide, err)
	}
	// No session was opened for the order Stripe never heard of.
	if _, err := svc.findSession(ctx, never); err != errNoSession {
		t.Fatalf("order never sent to Stripe: %v, want no session", err)
	}
}

// When saving the session id failed after Stripe answered, the customer
// was still sent to pay; the success page finds the order by the order id
// the session carries, and settles it.
func TestSuccessPageFindsAnOrderWhoseSessionWasNotRecorded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, _, product, simURL := onSimulator(t)
	o := svc.mustPlace(t, product, 1)
	sess, err := svc.createSession(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	r, err := http.Post(simURL+"/_sim/checkout/sessions/"+sess.ID+"/complete", "application/json",
		strings.NewReader(`{"outcome": "paid", "email": "buyer@example.com"}`))
	if err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("pay on the simulator: %v %v", r, err)
	}
	r.Body.Close()
	got, err := svc.Fulfil(ctx, sess.ID)
	if err != nil || got.ID != o.ID || got.Status != shop.StatusPaid || got.SessionID != sess.ID {
		t.Fatalf("success page: %+v, %v; want the order paid with its session", got, err)
	}
	if _, err := svc.Fulfil(ctx, "cs_test_nobody_knows"); shop.ErrorCode(err) != shop.ErrNotFound {
		t.Fatalf("unknown session: %v, want not_found", err)
	}
}

// A checkout whose session id cannot be recorded sends nobody to pay: the
// reconciler gives up orders with no recorded session, and a customer on
// such a session's page would see it expire under them. The session is
// expired at once and the units come back, by the reconciler when the
// database that refused the write refuses the release too.
func TestCheckoutWhoseSessionCannotBeRecordedSendsNobodyToPay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, clk, product, _ := onSimulator(t)
	// The database refuses to record any session (as a failing disk or a
	// lost connection would), which also refuses the order's release.
	_, err := svc.pool.Exec(ctx, `
		CREATE FUNCTION refuse_session() RETURNS trigger LANGUAGE plpgsql AS
			$$ BEGIN RAISE EXCEPTION 'no session today'; END $$;
		CREATE TRIGGER refuse_session BEFORE UPDATE ON orders
			FOR EACH ROW WHEN (NEW.session_id IS NOT NULL) EXECUTE FUNCTION refuse_session()`)
	if err != nil {
		t.Fatal(err)
	}
	started, err := svc.Start(ctx, []shop.Item{{ProductID: product, Quantity: 2}}, "")
	if shop.ErrorCode(err) != shop.ErrUnavailable || started.CheckoutURL != "" {
		t.Fatalf("checkout: %+v, %v; want unavailable and no URL to pay", started, err)
	}
	var orderID, sessionID string
	if err := svc.pool.QueryRow(ctx, `SELECT id::text FROM orders`).Scan(&orderID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.pool.Exec(ctx, `DROP TRIGGER refuse_session ON orders`); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute + time.Second)
	if res, err := svc.Reconcile(ctx, time.Minute); err != nil || res.Errors != 0 {
		t.Fatalf("sweep: %+v, %v", res, err)
	}
	o, err := postgres.NewOrders(svc.pool).Get(ctx, orderID)
	if err != nil || o.Status != shop.StatusExpired || svc.stock(t, product) != 5 {
		t.Fatalf("order %s, stock %d, %v; want expired and all 5 units back", o.Status, svc.stock(t, product), err)
	}
	sessionID = o.SessionID
	if sessionID == "" {
		t.Fatal("the session Stripe made is not on the order")
	}
	if sess, err := svc.pay.GetSession(ctx, sessionID); err != nil || sess.Status != "expired" {
		t.Fatalf("the session: %+v, %v; want expired, so nobody can pay it", sess, err)
	}
}

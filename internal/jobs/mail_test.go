package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/stripeshop/stripeshop/internal/mailpit"
	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/shoptest"
	"github.com/stripeshop/stripeshop/internal/stripesim"
	"github.com/stripeshop/stripeshop/internal/testdb"
)

// mp is one Mailpit for the package's tests; each test's shop writes to
// its own recipients, so tests share it.
var mp *mailpit.Server

func TestMain(m *testing.M) {
	var err error
	mp, err = mailpit.Start(context.Background(), "")
	if err != nil {
		fmt.Fprintln(os.Stderr, "mailpit:", err)
		os.Exit(1)
	}
	code := m.Run()
	mp.Close()
	os.Exit(code)
}

// wait is the bound for what is asynchronous by design (webhooks, jobs,
// SMTP); generous for a loaded machine, never a sleep.
const wait = 2 * time.Minute

// world is a simulator and the shops a test starts on one database.
type world struct {
	t      *testing.T
	sim    *stripesim.Server
	simURL string
	dbURL  string
	tag    string // this test's recipients: buyer+tag@…, staff+tag@…
}

func newWorld(t *testing.T) *world {
	t.Helper()
	simSrv := httptest.NewServer(nil)
	sim := stripesim.New(stripesim.Config{PublicURL: simSrv.URL, WebhookSecret: shoptest.WebhookSecret,
		RetryBackoff: 20 * time.Millisecond, SweepInterval: 10 * time.Millisecond})
	simSrv.Config.Handler = sim
	t.Cleanup(func() { simSrv.Close(); sim.Close() })
	tag := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	return &world{t: t, sim: sim, simURL: simSrv.URL, tag: tag}
}

func (w *world) buyer() string { return "buyer+" + w.tag + "@example.com" }
func (w *world) staff() string { return "staff+" + w.tag + "@example.com" }

// shop starts a shop on the world's database (the first one makes it)
// sending e-mail to smtpURL.
func (w *world) shop(smtpURL string, opts ...func(*shoptest.Options)) *shoptest.Shop {
	w.t.Helper()
	o := shoptest.Options{StripeURL: w.simURL, DatabaseURL: w.dbURL, SMTPURL: smtpURL, MailStaff: w.staff(),
		MailRetryBase: "50ms", MailMaxAttempts: 25}
	for _, f := range opts {
		f(&o)
	}
	s := shoptest.Start(w.t, o)
	w.dbURL = s.DatabaseURL
	return s
}

// paidOrder starts a shop sending to smtpURL, the simulator's webhooks
// going to it, and has a customer buy qty units of a new product and pay.
func (w *world) paidOrder(smtpURL, name string, price, qty int64) (*shoptest.Shop, started) {
	w.t.Helper()
	s := w.shop(smtpURL)
	w.sim.SetWebhookURL(s.URL + "/webhook/stripe")
	st := w.checkout(s, w.product(s, name, price), qty)
	w.pay(st.SessionID, "paid")
	return s, st
}

func (w *world) product(s *shoptest.Shop, name string, price int64) string {
	w.t.Helper()
	var p struct {
		ID string `json:"id"`
	}
	s.Login(w.t).MustDo("POST", "/api/admin/products", map[string]any{"name": name, "unit_amount": price, "currency": "usd"}, 201, &p)
	return p.ID
}

type started struct {
	OrderID   string `json:"order_id"`
	SessionID string `json:"session_id"`
	Number    int64  `json:"number"`
}

func (w *world) checkout(s *shoptest.Shop, productID string, qty int64) started {
	w.t.Helper()
	var st started
	s.Client(w.t).MustDo("POST", "/api/checkout", map[string]any{"product_id": productID, "quantity": qty}, 201, &st)
	return st
}

// pay completes a session on the simulator; its webhook goes to url.
func (w *world) pay(sessionID, outcome string) {
	w.t.Helper()
	shoptest.NewClient(w.t, w.simURL).MustDo("POST", "/_sim/checkout/sessions/"+sessionID+"/complete",
		map[string]any{"outcome": outcome, "email": w.buyer()}, 200, nil)
}

type adminOrder struct {
	Status string `json:"status"`
	Number int64  `json:"number"`
	Emails []struct {
		ID        int64  `json:"id"`
		Kind      string `json:"kind"`
		Recipient string `json:"recipient"`
		Status    string `json:"status"`
		Attempts  int    `json:"attempts"`
		LastError string `json:"last_error"`
	} `json:"emails"`
	EmailFailed bool `json:"email_failed"`
	Dispute     *struct {
		Reason string `json:"reason"`
		Amount int64  `json:"amount"`
	} `json:"dispute"`
	FlagReason string `json:"flag_reason"`
}

func order(t *testing.T, admin *shoptest.Client, id string) adminOrder {
	t.Helper()
	var o adminOrder
	admin.MustDo("GET", "/api/admin/orders/"+id, nil, 200, &o)
	return o
}

// mailTo lists what Mailpit holds for a recipient, each with its message.
func mailTo(t *testing.T, rcpt string) []mailpit.Message {
	t.Helper()
	all, err := mp.Messages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []mailpit.Message
	for _, s := range all {
		for _, to := range s.To {
			if to.Address == rcpt {
				m, err := mp.Message(context.Background(), s.ID)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, m)
			}
		}
	}
	return out
}

func withSubject(ms []mailpit.Message, part string) []mailpit.Message {
	var out []mailpit.Message
	for _, m := range ms {
		if strings.Contains(m.Subject, part) {
			out = append(out, m)
		}
	}
	return out
}

// sessionEvent is a checkout.session.completed event for an order, as
// Stripe sends it, paid.
func sessionEvent(eventID string, st started, amount int64, email string) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": eventID, "object": "event", "type": "checkout.session.completed", "api_version": payments.APIVersion,
		"created": time.Now().Unix(),
		"data": map[string]any{"object": map[string]any{
			"id": st.SessionID, "object": "checkout.session", "status": "complete", "payment_status": "paid",
			"currency": "usd", "amount_subtotal": amount, "amount_total": amount, "customer_email": email, "client_reference_id": st.OrderID,
			"metadata": map[string]string{"order_id": st.OrderID}, "payment_intent": "pi_" + strings.ReplaceAll(st.OrderID, "-", ""),
		}},
	})
	return b
}

func TestPaidOrderSendsOneConfirmation(t *testing.T) {
	w := newWorld(t)
	s, st := w.paidOrder(mp.SMTPURL(), "Blue mug", 1250, 2)

	admin := s.Login(t)
	shoptest.Eventually(t, wait, "the confirmation and the staff e-mail are sent", func() bool {
		o := order(t, admin, st.OrderID)
		sent := 0
		for _, e := range o.Emails {
			if e.Status == "sent" {
				sent++
			}
		}
		return sent == 2
	})
	// The webhook's transaction leaves the job id out; the job notes it
	// when it sends (Resend retries that job).
	jobsOf(t, s.DatabaseURL, st.OrderID)
	o := order(t, admin, st.OrderID)
	got := mailTo(t, w.buyer())
	if len(got) != 1 {
		t.Fatalf("the customer got %d e-mails, want 1", len(got))
	}
	m := got[0]
	number := fmt.Sprintf("#%d", o.Number)
	if !strings.Contains(m.Subject, number) || !strings.Contains(m.Subject, "confirmed") {
		t.Errorf("subject %q lacks the number %s", m.Subject, number)
	}
	for _, want := range []string{number, "2 × Blue mug at $12.50: $25.00", "Total: $25.00", "What happens next"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the text lacks %q:\n%s", want, m.Text)
		}
	}
	for _, want := range []string{"Blue mug", "$25.00", number, "stripeshop"} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("the HTML lacks %q", want)
		}
	}
	if want := "order-" + st.OrderID + "-order_confirmation@shop.test"; m.MessageID != want {
		t.Errorf("Message-ID %q, want %q", m.MessageID, want)
	}
	staff := mailTo(t, w.staff())
	if len(staff) != 1 || !strings.Contains(staff[0].Subject, "New order "+number) {
		t.Fatalf("staff got %d e-mails (%v), want the new order", len(staff), staff)
	}
}

// jobsOf checks that each e-mail of an order names the River job, of its
// kind and order, that sent it.
func jobsOf(t *testing.T, dbURL, orderID string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var emails, matched int
	if err := conn.QueryRow(ctx, `SELECT count(*), count(j.id) FROM order_emails e
		LEFT JOIN river_job j ON j.id = e.job_id AND j.kind = 'send_email'
			AND j.args->>'order_id' = e.order_id::text AND j.args->>'kind' = e.kind AND j.args->>'recipient' = e.recipient
			AND j.args->>'message_id' = e.message_id
		WHERE e.order_id = $1`, orderID).Scan(&emails, &matched); err != nil {
		t.Fatal(err)
	}
	if emails == 0 || matched != emails {
		t.Fatalf("%d of the order's %d e-mails name the job that sent them", matched, emails)
	}
}

func TestSamePaidEventFiftyTimesOnTwoReplicas(t *testing.T) {
	w := newWorld(t)
	a := w.shop(mp.SMTPURL())
	b := w.shop(mp.SMTPURL())
	mug := w.product(a, "Mug", 900)
	st := w.checkout(a, mug, 1)
	ev := sessionEvent("evt_fifty_"+st.OrderID[:8], st, 900, w.buyer())

	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := a.URL
			if i%2 == 1 {
				base = b.URL
			}
			code, err := shoptest.Deliver(base, ev, shoptest.WebhookSecret, time.Now())
			if err == nil && code != 200 {
				err = fmt.Errorf("delivery answered %d", code)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	admin := a.Login(t)
	shoptest.Eventually(t, wait, "the e-mails are sent", func() bool {
		o := order(t, admin, st.OrderID)
		return len(o.Emails) == 2 && o.Emails[0].Status == "sent" && o.Emails[1].Status == "sent"
	})
	if got := mailTo(t, w.buyer()); len(got) != 1 {
		t.Fatalf("the customer got %d e-mails, want 1", len(got))
	}
	if got := mailTo(t, w.staff()); len(got) != 1 {
		t.Fatalf("the staff got %d e-mails, want 1", len(got))
	}
}

func timeNow() time.Time { return time.Now() }

// The transaction that pays an order queues its e-mails as River jobs and
// nothing else; each e-mail's record is written by its job. Until the job
// runs the admin sees the e-mail queued, under the id it keeps once sent,
// and a resend of it is refused as still queued.
func TestQueuedEmailKeepsItsIDUntilSent(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// The shop's queue is paused before the shop starts (its worker reads
	// that as it starts), so no job can run before the checks below.
	w.dbURL = testdb.URL(t)
	pool, err := pgxpool.New(ctx, w.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `INSERT INTO river_queue (name, metadata, paused_at, created_at, updated_at)
		VALUES ($1, '{}', now(), now(), now())`, river.QueueDefault); err != nil {
		t.Fatal(err)
	}
	s := w.shop(mp.SMTPURL())
	queue, err := river.NewClient(riverpgxv5.New(pool), &river.Config{}) // insert-only: resumes the queue
	if err != nil {
		t.Fatal(err)
	}
	mug := w.product(s, "Mug", 700)
	st := w.checkout(s, mug, 2)
	ev := sessionEvent("evt_queued_"+st.OrderID[:8], st, 1400, w.buyer())
	if code, err := shoptest.Deliver(s.URL, ev, shoptest.WebhookSecret, timeNow()); err != nil || code != 200 {
		t.Fatalf("delivery: %d %v, want 200", code, err)
	}
	admin := s.Login(t)
	queued := order(t, admin, st.OrderID)
	if len(queued.Emails) != 2 {
		t.Fatalf("%d e-mails listed while the queue is paused, want the confirmation and the staff's", len(queued.Emails))
	}
	var records int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM order_emails WHERE order_id = $1`, st.OrderID).Scan(&records); err != nil || records != 0 {
		t.Fatalf("%d e-mail records before any job ran (%v), want 0: the paying transaction writes only the jobs", records, err)
	}
	for _, e := range queued.Emails {
		if e.Status != "queued" || e.Attempts != 0 || e.ID == 0 {
			t.Fatalf("e-mail before its job ran: %+v, want queued, no attempt, an id", e)
		}
	}
	if queued.Emails[0].Kind != "order_confirmation" || queued.Emails[0].Recipient != w.buyer() ||
		queued.Emails[1].Kind != "staff_new_order" || queued.Emails[1].Recipient != w.staff() {
		t.Fatalf("queued e-mails %+v, want the buyer's confirmation then the staff's new order", queued.Emails)
	}
	if r := admin.Do("POST", fmt.Sprintf("/api/admin/orders/%s/emails/%d/resend", st.OrderID, queued.Emails[0].ID), nil); r.Status != 409 {
		t.Fatalf("resend of a queued e-mail: %d %s, want 409", r.Status, r.Body)
	}
	if err := queue.QueueResume(ctx, river.QueueDefault, nil); err != nil {
		t.Fatal(err)
	}
	shoptest.Eventually(t, wait, "the e-mails are sent once the queue resumes", func() bool {
		o := order(t, admin, st.OrderID)
		return len(o.Emails) == 2 && o.Emails[0].Status == "sent" && o.Emails[1].Status == "sent"
	})
	sent := order(t, admin, st.OrderID)
	for i, e := range sent.Emails {
		if e.ID != queued.Emails[i].ID || e.Attempts != 1 {
			t.Errorf("sent e-mail %+v: id %d while queued, want the same id and one attempt", e, queued.Emails[i].ID)
		}
	}
	if got := mailTo(t, w.buyer()); len(got) != 1 {
		t.Fatalf("the customer got %d e-mails, want 1", len(got))
	}
	jobsOf(t, s.DatabaseURL, st.OrderID)
}

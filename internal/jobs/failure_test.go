package jobs_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/stripeshop/stripeshop/internal/mailpit"
	"github.com/stripeshop/stripeshop/internal/shoptest"
)

// While the SMTP server is down, 20 orders are paid: their e-mails wait
// and retry, and all arrive once, each once, when it is back.
func TestSMTPDownDuringTwentyPayments(t *testing.T) {
	down, err := mailpit.Start(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(down.Close)
	down.Stop()

	w := newWorld(t)
	s := w.shop(down.SMTPURL())
	w.sim.SetWebhookURL(s.URL + "/webhook/stripe")
	mug := w.product(s, "Mug", 700)
	var (
		mu     sync.Mutex
		orders []started
		wg     sync.WaitGroup
	)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := w.checkout(s, mug, 1)
			w.pay(st.SessionID, "paid")
			mu.Lock()
			orders = append(orders, st)
			mu.Unlock()
		}()
	}
	wg.Wait()

	admin := s.Login(t)
	shoptest.Eventually(t, wait, "every confirmation has failed an attempt while SMTP is down", func() bool {
		for _, st := range orders {
			o := order(t, admin, st.OrderID)
			if len(o.Emails) != 2 || o.Emails[0].Status != "retrying" || o.Emails[0].LastError == "" {
				return false
			}
		}
		return true
	})
	if err := down.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	shoptest.Eventually(t, wait, "every e-mail is sent once SMTP is back", func() bool {
		for _, st := range orders {
			for _, e := range order(t, admin, st.OrderID).Emails {
				if e.Status != "sent" {
					return false
				}
			}
		}
		return true
	})
	msgs, err := down.Messages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byMessageID := map[string]int{}
	for _, m := range msgs {
		byMessageID[m.MessageID]++
	}
	for _, st := range orders {
		for _, kind := range []string{"order_confirmation", "staff_new_order"} {
			id := "order-" + st.OrderID + "-" + kind + "@shop.test"
			if byMessageID[id] != 1 {
				t.Errorf("%s arrived %d times, want once", id, byMessageID[id])
			}
		}
	}
	if len(msgs) != 40 {
		t.Errorf("Mailpit holds %d messages, want 40", len(msgs))
	}
}

// A fault that rolls the transition back after the job's insert (here at
// COMMIT, the last moment): no e-mail. Stripe's retry then sends one.
func TestRolledBackTransitionSendsNothing(t *testing.T) {
	w := newWorld(t)
	s := w.shop(mp.SMTPURL())
	mug := w.product(s, "Mug", 800)
	st := w.checkout(s, mug, 1)

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// A deferred constraint trigger runs at COMMIT, after every insert of
	// the transaction; the sequence (never rolled back) makes it fail once.
	for _, q := range []string{
		`CREATE SEQUENCE fault_once`,
		`CREATE FUNCTION fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF nextval('fault_once') = 1 THEN RAISE EXCEPTION 'injected fault at commit'; END IF;
			RETURN NULL;
		END $$`,
		`CREATE CONSTRAINT TRIGGER fail_at_commit AFTER INSERT ON river_job
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_at_commit()`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	ev := sessionEvent("evt_rollback_"+st.OrderID[:8], st, 800, w.buyer())
	if code, err := shoptest.Deliver(s.URL, ev, shoptest.WebhookSecret, timeNow()); err != nil || code != 503 {
		t.Fatalf("delivery with the fault: %d %v, want 503", code, err)
	}
	var jobs, emails int
	var status string
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM river_job WHERE kind = 'send_email'),
		(SELECT count(*) FROM order_emails), (SELECT status FROM orders WHERE id = $1)`, st.OrderID).Scan(&jobs, &emails, &status); err != nil {
		t.Fatal(err)
	}
	if jobs != 0 || emails != 0 || status != "pending" {
		t.Fatalf("after the rolled-back delivery: %d jobs, %d e-mails, order %s; want none, none, pending", jobs, emails, status)
	}
	if code, err := shoptest.Deliver(s.URL, ev, shoptest.WebhookSecret, timeNow()); err != nil || code != 200 {
		t.Fatalf("Stripe's retry: %d %v, want 200", code, err)
	}
	admin := s.Login(t)
	shoptest.Eventually(t, wait, "the confirmation is sent after the retry", func() bool {
		o := order(t, admin, st.OrderID)
		return len(o.Emails) == 2 && o.Emails[0].Status == "sent"
	})
	if got := mailTo(t, w.buyer()); len(got) != 1 {
		t.Fatalf("the customer got %d e-mails, want 1", len(got))
	}
}

// A dispute flags the order with its reason and amount and tells the staff.
// disputedOrder has a customer buy qty mugs and pay, and then dispute the
// payment (Stripe's charge.dispute.created) for 10.00.
func (w *world) disputedOrder(qty int64) (*shoptest.Shop, started, *shoptest.Client) {
	t := w.t
	s, st := w.paidOrder(mp.SMTPURL(), "Mug", 1500, qty)
	admin := s.Login(t)
	var pi string
	shoptest.Eventually(t, wait, "the order is paid", func() bool {
		var o struct {
			Status          string `json:"status"`
			PaymentIntentID string `json:"payment_intent_id"`
		}
		admin.MustDo("GET", "/api/admin/orders/"+st.OrderID, nil, 200, &o)
		pi = o.PaymentIntentID
		return o.Status == "paid"
	})
	shoptest.NewClient(t, w.simURL).MustDo("POST", "/_sim/disputes",
		map[string]any{"payment_intent": pi, "reason": "fraudulent", "amount": 1000}, 200, nil)
	return s, st, admin
}

func TestDisputeFlagsTheOrderAndTellsTheStaff(t *testing.T) {
	w := newWorld(t)
	_, st, admin := w.disputedOrder(2)
	shoptest.Eventually(t, wait, "the staff hear of the dispute", func() bool {
		return len(withSubject(mailTo(t, w.staff()), "Dispute opened")) == 1
	})
	o := order(t, admin, st.OrderID)
	if o.Dispute == nil || o.Dispute.Reason != "fraudulent" || o.Dispute.Amount != 1000 || !strings.HasPrefix(o.FlagReason, "disputed") {
		t.Fatalf("order after the dispute: %+v", o)
	}
	m := withSubject(mailTo(t, w.staff()), "Dispute opened")[0]
	for _, want := range []string{"fraudulent", "$10.00", fmt.Sprintf("#%d", o.Number)} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the dispute e-mail lacks %q:\n%s", want, m.Text)
		}
	}
}

// A recipient the server refuses (5xx) fails the e-mail at once, without
// retries; the admin sees "e-mail failed" and may resend. Resending a sent
// e-mail sends it again with the same Message-ID.
func TestRefusedRecipientFailsAtOnceAndResend(t *testing.T) {
	picky, err := mailpit.Start(context.Background(), "", "--smtp-allowed-recipients", "^staff")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(picky.Close)
	w := newWorld(t)
	s, st := w.paidOrder(picky.SMTPURL(), "Mug", 600, 1)
	admin := s.Login(t)
	var o adminOrder
	shoptest.Eventually(t, wait, "the confirmation fails and the staff e-mail is sent", func() bool {
		o = order(t, admin, st.OrderID)
		return len(o.Emails) == 2 && o.Emails[0].Status == "failed" && o.Emails[1].Status == "sent"
	})
	if c := o.Emails[0]; c.Kind != "order_confirmation" || c.Attempts != 1 || !strings.Contains(c.LastError, "55") || !o.EmailFailed {
		t.Fatalf("the refused confirmation: %+v (email_failed %v), want failed after 1 attempt with the 5xx", c, o.EmailFailed)
	}

	// Resend the staff e-mail that was sent: it goes out again, same Message-ID.
	staffEmail := o.Emails[1]
	admin.MustDo("POST", fmt.Sprintf("/api/admin/orders/%s/emails/%d/resend", st.OrderID, staffEmail.ID), nil, 202, nil)
	shoptest.Eventually(t, wait, "the resent staff e-mail arrives", func() bool {
		msgs, err := picky.Messages(context.Background())
		return err == nil && len(msgs) == 2
	})
	msgs, _ := picky.Messages(context.Background())
	if msgs[0].MessageID != msgs[1].MessageID {
		t.Errorf("the resent copy has Message-ID %q, the first %q", msgs[0].MessageID, msgs[1].MessageID)
	}
	// Another order's e-mail, or none: 404.
	r := admin.Do("POST", fmt.Sprintf("/api/admin/orders/%s/emails/%d/resend", "00000000-0000-0000-0000-000000000001", staffEmail.ID), nil)
	if r.Status != 404 {
		t.Errorf("resend through another order: %d, want 404", r.Status)
	}
}

// Each move tells the customer (and the staff) what it means: a delayed
// payment processing then paid, a delayed payment that failed, a refund.
func TestEveryMoveSendsItsEmails(t *testing.T) {
	w := newWorld(t)
	s := w.shop(mp.SMTPURL())
	w.sim.SetWebhookURL(s.URL + "/webhook/stripe")
	mug := w.product(s, "Mug", 1000)
	admin := s.Login(t)
	kinds := func(id string) map[string]string {
		out := map[string]string{}
		for _, e := range order(t, admin, id).Emails {
			out[e.Kind] = e.Status
		}
		return out
	}
	sentAll := func(id string, want ...string) func() bool {
		return func() bool {
			got := kinds(id)
			for _, k := range want {
				if got[k] != "sent" {
					return false
				}
			}
			return len(got) == len(want)
		}
	}

	delayed := w.checkout(s, mug, 1)
	w.pay(delayed.SessionID, "async_succeeded")
	shoptest.Eventually(t, wait, "processing, then paid", sentAll(delayed.OrderID,
		"payment_pending", "order_confirmation", "staff_new_order"))

	failed := w.checkout(s, mug, 1)
	w.pay(failed.SessionID, "async_failed")
	shoptest.Eventually(t, wait, "processing, then failed", sentAll(failed.OrderID,
		"payment_pending", "payment_failed", "staff_payment_failed"))

	admin.MustDo("POST", "/api/admin/orders/"+delayed.OrderID+"/refund", nil, 200, nil)
	shoptest.Eventually(t, wait, "the refund", sentAll(delayed.OrderID,
		"payment_pending", "order_confirmation", "staff_new_order", "refund_issued"))
	refund := withSubject(mailTo(t, w.buyer()), "refunded")
	if len(refund) != 1 || !strings.Contains(refund[0].Text, "We have refunded $10.00") {
		t.Fatalf("refund e-mails: %+v", refund)
	}
}

// An e-mail queued again once River has cleaned its job away (a dispute
// event reprocessed after a day, say) is not sent twice: its new job finds
// the record sent. The admin's Resend then runs that job, and the e-mail
// goes out once more.
func TestEmailQueuedAgainAfterCleanupSendsOnceAndResends(t *testing.T) {
	w := newWorld(t)
	s, st, admin := w.disputedOrder(1)
	disputeMails := func() int { return len(withSubject(mailTo(t, w.staff()), "Dispute opened")) }
	shoptest.Eventually(t, wait, "the staff hear of the dispute", func() bool { return disputeMails() == 1 })

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// River's cleaner deletes completed jobs after a day.
	if _, err := conn.Exec(ctx, `DELETE FROM river_job WHERE kind = 'send_email' AND args->>'kind' = 'staff_dispute_opened'`); err != nil {
		t.Fatal(err)
	}
	var detail struct {
		Events []struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"events"`
	}
	admin.MustDo("GET", "/api/admin/orders/"+st.OrderID, nil, 200, &detail)
	reprocessed := false
	for _, e := range detail.Events {
		if e.Type == "charge.dispute.created" {
			admin.MustDo("POST", "/api/admin/events/"+e.ID+"/reprocess", nil, 200, nil)
			reprocessed = true
		}
	}
	if !reprocessed {
		t.Fatalf("no charge.dispute.created among the order's events %+v", detail.Events)
	}
	var second int64
	shoptest.Eventually(t, wait, "the dispute's new job has run", func() bool {
		return conn.QueryRow(ctx, `SELECT id FROM river_job WHERE kind = 'send_email' AND args->>'kind' = 'staff_dispute_opened'
			AND state = 'completed'`).Scan(&second) == nil
	})
	if n := disputeMails(); n != 1 {
		t.Fatalf("the staff got %d dispute e-mails after the event was applied again, want still 1", n)
	}
	o := order(t, admin, st.OrderID)
	var dispute int64
	for _, e := range o.Emails {
		if e.Kind == "staff_dispute_opened" {
			dispute = e.ID
		}
	}
	admin.MustDo("POST", fmt.Sprintf("/api/admin/orders/%s/emails/%d/resend", st.OrderID, dispute), nil, 202, nil)
	shoptest.Eventually(t, wait, "the resent dispute e-mail arrives", func() bool { return disputeMails() == 2 })
	shoptest.Eventually(t, wait, "the e-mail is recorded sent again", func() bool {
		for _, e := range order(t, admin, st.OrderID).Emails {
			if e.ID == dispute {
				return e.Status == "sent"
			}
		}
		return false
	})
}

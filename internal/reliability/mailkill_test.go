package reliability

import (
	"bufio"
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/app"
	"github.com/stripeshop/stripeshop/internal/mailpit"
	"github.com/stripeshop/stripeshop/internal/shoptest"
)

// smtpHold is an SMTP relay in front of Mailpit that, while holding,
// forwards a client's DATA command and then none of the message: the
// client is in the middle of sending, waiting for the server's 250.
type smtpHold struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	holding bool
	held    chan struct{} // closed when a client is held mid-send
	once    sync.Once
}

func newSMTPHold(t *testing.T, target string) *smtpHold {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &smtpHold{ln: ln, target: target, holding: true, held: make(chan struct{})}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go h.relay(c)
		}
	}()
	return h
}

func (h *smtpHold) release() {
	h.mu.Lock()
	h.holding = false
	h.mu.Unlock()
}

func (h *smtpHold) relay(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", h.target)
	if err != nil {
		return
	}
	defer s.Close()
	go func() { _, _ = io.Copy(c, s) }()
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if _, werr := io.WriteString(s, line); err != nil || werr != nil {
			return
		}
		h.mu.Lock()
		hold := h.holding
		h.mu.Unlock()
		if hold && line == "DATA\r\n" {
			h.once.Do(func() { close(h.held) })
			_, _ = io.Copy(io.Discard, c) // until the client dies
			return
		}
	}
}

// A replica killed (kill -9) in the middle of sending an order's
// confirmation: the job stays running in River, another replica's River
// takes it for stuck and sends it. The message the dead replica had begun
// never completed, so the customer gets it once.
func TestKilledReplicaMidSendStillSendsTheEmail(t *testing.T) {
	w := newWorld(t)
	mp, err := mailpit.Start(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mp.Close)
	hold := newSMTPHold(t, mp.SMTPAddr)
	smtpURL := "smtp://" + hold.ln.Addr().String() + "?starttls=none"

	a := w.startProc(t, "SMTP_URL="+smtpURL, "MAIL_RETRY_BASE=50ms")
	w.setTargets(a.url)
	admin := shoptest.Login(t, a.url)
	ids := addProducts(t, admin, map[string]int64{}, 1, 10)
	st, r, err := checkoutOnce(a.url, ids[0], 1)
	if err != nil || r.Status != 201 {
		t.Fatalf("checkout: %v %d %s", err, r.Status, r.Body)
	}
	if err := w.simDo("POST", "/_sim/checkout/sessions/"+st.SessionID+"/complete",
		map[string]string{"outcome": "paid", "email": "killed@example.com"}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-hold.held:
	case <-time.After(waitBound):
		t.Fatalf("the replica never got to send the confirmation:\n%s", a.logs.String())
	}
	a.kill9()
	hold.release()

	// The other replica, its River rescuing jobs stuck for more than 2s.
	b := shoptest.Start(t, shoptest.Options{DatabaseURL: w.dbURL, StripeURL: w.simURL, StripeKey: w.key,
		WebhookSecrets: []string{w.secret}, SMTPURL: smtpURL, MailRetryBase: "50ms",
		App: app.Options{MailRescueAfter: 2 * time.Second}})
	var sent bool
	bAdmin := shoptest.Login(t, b.URL)
	shoptest.Eventually(t, 3*waitBound, "the confirmation is sent by the surviving replica", func() bool {
		var o struct {
			Emails []struct {
				Kind, Status string
			} `json:"emails"`
		}
		bAdmin.MustDo("GET", "/api/admin/orders/"+st.OrderID, nil, 200, &o)
		for _, e := range o.Emails {
			sent = sent || e.Kind == "order_confirmation" && e.Status == "sent"
		}
		return sent
	})
	msgs, err := mp.Messages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if m.MessageID == "order-"+st.OrderID+"-order_confirmation@127.0.0.1" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("Mailpit holds %d confirmations, want 1 (%+v)", n, msgs)
	}
}

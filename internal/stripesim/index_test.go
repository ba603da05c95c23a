package stripesim_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/stripeshop/stripeshop/internal/stripesim"
)

// Paging walks from the cursor instead of over every session; the pages
// must still be Stripe's: newest first, filters applied, has_more right.
func TestListPagesWithCursorsAndFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var ids []string // oldest first
	for i := range 7 {
		ids = append(ids, e.createSession(t, fmt.Sprintf("order-p%d", i)).ID)
	}
	e.complete(t, ids[1], "paid", "")
	e.complete(t, ids[4], "paid", "")
	e.complete(t, ids[5], "paid", "")

	type page struct {
		Data []struct {
			ID            string `json:"id"`
			PaymentIntent string `json:"payment_intent"`
		} `json:"data"`
		HasMore bool `json:"has_more"`
	}
	get := func(query string) ([]string, bool) {
		t.Helper()
		var p page
		if code := e.rawGet(t, "/v1/checkout/sessions?"+query, &p); code != 200 {
			t.Fatalf("%s: status %d", query, code)
		}
		var got []string
		for _, d := range p.Data {
			got = append(got, d.ID)
		}
		return got, p.HasMore
	}
	for _, c := range []struct {
		query string
		want  []string
		more  bool
	}{
		{"limit=3", []string{ids[6], ids[5], ids[4]}, true},
		{"limit=3&starting_after=" + ids[4], []string{ids[3], ids[2], ids[1]}, true},
		{"limit=3&starting_after=" + ids[1], []string{ids[0]}, false},
		{"limit=2&ending_before=" + ids[2], []string{ids[4], ids[3]}, true},
		{"limit=5&ending_before=" + ids[2], []string{ids[6], ids[5], ids[4], ids[3]}, false},
		{"limit=2&status=complete", []string{ids[5], ids[4]}, true},
		{"limit=2&status=complete&starting_after=" + ids[4], []string{ids[1]}, false},
		{"limit=2&status=open&ending_before=" + ids[0], []string{ids[3], ids[2]}, true},
		{"starting_after=" + ids[0], nil, false},
	} {
		got, more := get(c.query)
		if strings.Join(got, ",") != strings.Join(c.want, ",") || more != c.more {
			t.Errorf("%s: %v has_more %v; want %v has_more %v", c.query, got, more, c.want, c.more)
		}
	}

	paid, err := e.api.CheckoutSessions.Get(ids[4], nil)
	if err != nil {
		t.Fatal(err)
	}
	got, more := get("payment_intent=" + paid.PaymentIntent.ID)
	if len(got) != 1 || got[0] != ids[4] || more {
		t.Errorf("by payment_intent: %v", got)
	}
	if got, _ := get("payment_intent=" + paid.PaymentIntent.ID + "&starting_after=" + ids[4]); len(got) != 0 {
		t.Errorf("by payment_intent after itself: %v", got)
	}
	if got, _ := get("payment_intent=pi_unknown"); len(got) != 0 {
		t.Errorf("unknown payment_intent: %v", got)
	}
}

// Sessions expire by themselves at expires_at, whatever order they were
// created in, and the ones paid before then stay paid.
func TestSessionsExpireInExpiryOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mk := func(order string, in time.Duration) string {
		p := sessionParams(order, e.clock.Now())
		p.ExpiresAt = stripe.Int64(e.clock.Now().Add(in).Unix())
		cs, err := e.api.CheckoutSessions.New(p)
		if err != nil {
			t.Fatal(err)
		}
		return cs.ID
	}
	late, early, paid := mk("order-late", 3*time.Hour), mk("order-early", time.Hour), mk("order-paid", 2*time.Hour)
	e.complete(t, paid, "paid", "")
	status := func(id string) stripe.CheckoutSessionStatus {
		cs, err := e.api.CheckoutSessions.Get(id, nil)
		if err != nil {
			t.Fatal(err)
		}
		return cs.Status
	}
	e.clock.Advance(90 * time.Minute)
	if status(early) != "expired" || status(late) != "open" || status(paid) != "complete" {
		t.Errorf("after 90 minutes: early %s, late %s, paid %s", status(early), status(late), status(paid))
	}
	e.clock.Advance(3 * time.Hour)
	if status(late) != "expired" || status(paid) != "complete" {
		t.Errorf("after 4½ hours: late %s, paid %s", status(late), status(paid))
	}
	eventually(t, "two expired events", func() bool { return len(e.hooks.received("checkout.session.expired")) == 2 })
}

// BenchmarkRequestCost measures what the requests of one purchase cost
// (create, retrieve, the hosted page, the list the reconciler runs) while
// the simulator holds 100 or 10,000 other sessions. With sessions indexed
// the two figures are close; compare them with -bench RequestCost.
func BenchmarkRequestCost(b *testing.B) {
	for _, held := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("held=%d", held), func(b *testing.B) {
			sim := stripesim.New(stripesim.Config{PublicURL: "http://sim.test", SweepInterval: time.Hour})
			defer sim.Close()
			form := url.Values{
				"mode":                                   {"payment"},
				"success_url":                            {"http://shop.test/ok"},
				"cancel_url":                             {"http://shop.test/cancel"},
				"line_items[0][price_data][currency]":    {"usd"},
				"line_items[0][price_data][unit_amount]": {"1250"},
				"line_items[0][price_data][product_data][name]": {"Mug"},
				"line_items[0][quantity]":                       {"2"},
			}.Encode()
			do := func(method, path, body string) *httptest.ResponseRecorder {
				req := httptest.NewRequest(method, path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+testKey)
				if body != "" {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				w := httptest.NewRecorder()
				sim.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
				}
				return w
			}
			idOf := func(w *httptest.ResponseRecorder) string {
				s := w.Body.String()
				i := strings.Index(s, `"id": "`) + len(`"id": "`)
				return s[i : i+strings.IndexByte(s[i:], '"')]
			}
			for range held {
				do("POST", "/v1/checkout/sessions", form)
			}
			b.ResetTimer()
			for b.Loop() {
				id := idOf(do("POST", "/v1/checkout/sessions", form))
				do("GET", "/v1/checkout/sessions/"+id, "")
				do("GET", "/pay/"+id, "")
				do("GET", "/v1/checkout/sessions?limit=10&status=open", "")
			}
		})
	}
}

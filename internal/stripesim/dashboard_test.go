package stripesim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The events page lists events newest first with their attempts, and its
// Resend button sends one again and comes back to the page.
func TestDashboardEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, allEvents)
	e.hooks.failNext(1) // charge.succeeded's first attempt fails
	cs := e.createSession(t, "order-dash")
	e.complete(t, cs.ID, "paid", "")
	evs := e.simEvents(t) // oldest first: charge.succeeded, payment_intent.succeeded, checkout.session.completed

	resp, body := get(t, e.srv.URL+"/_sim/dashboard/events")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("events page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"<header>", "<main>", "<footer>", `<label for="type">Event type</label>`, "Test mode",
		`<caption>Delivery attempts</caption>`, "HTTP 500", "200 OK", e.hooks.srv.URL} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	at := func(id string) int { return strings.Index(body, `id="`+id+`"`) }
	if !(at(evs[2].ID) < at(evs[1].ID) && at(evs[1].ID) < at(evs[0].ID)) || at(evs[0].ID) < 0 {
		t.Errorf("events are not listed newest first")
	}
	if !strings.Contains(body, `action="/_sim/events/`+evs[0].ID+`/redeliver"`) || !strings.Contains(body, `aria-label="Resend charge.succeeded `+evs[0].ID+`"`) {
		t.Errorf("no Resend button for %s", evs[0].ID)
	}
	if strings.Contains(body, `"object": "checkout.session"`) || !strings.Contains(body, `&#34;object&#34;: &#34;checkout.session&#34;`) {
		t.Errorf("the event data is not shown escaped")
	}

	// Resend, as the button does.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(e.srv.URL+"/_sim/events/"+evs[2].ID+"/redeliver", url.Values{"return": {"dashboard"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/_sim/dashboard/events?") || !strings.HasSuffix(loc, "#"+evs[2].ID) {
		t.Fatalf("resend: %d to %q", resp.StatusCode, loc)
	}
	if n := len(e.hooks.received("checkout.session.completed")); n != 2 {
		t.Errorf("checkout.session.completed received %d times after a resend, want 2", n)
	}
	_, body = get(t, e.srv.URL+loc)
	if !strings.Contains(body, `role="status" id="message">Sent `+evs[2].ID+` again: OK (200).`) {
		t.Errorf("the page does not say the resend went through")
	}

	// The filter, and an unknown event.
	_, body = get(t, e.srv.URL+"/_sim/dashboard/events?type=payment_intent.succeeded")
	if strings.Contains(body, `id="`+evs[0].ID+`"`) || !strings.Contains(body, `id="`+evs[1].ID+`"`) || !strings.Contains(body, "<option selected>payment_intent.succeeded</option>") {
		t.Errorf("the type filter does not filter")
	}
	resp, err = client.PostForm(e.srv.URL+"/_sim/events/evt_nope/redeliver", url.Values{"return": {"dashboard"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, body = get(t, e.srv.URL+resp.Header.Get("Location"))
	if !strings.Contains(body, `role="alert" id="message">Could not send evt_nope again: No such event`) {
		t.Errorf("an unknown event's resend is not reported")
	}
}

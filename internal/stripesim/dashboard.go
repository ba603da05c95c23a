package stripesim

import (
	"html/template"
	"net/http"
	"net/url"
	"time"
)

// The events page: like the webhook view of Stripe's dashboard, every
// event newest first with its delivery attempts, and a button that sends
// one again (POST /_sim/events/{id}/redeliver).

type dashboardEvent struct {
	ID, Type, State string
	Created         time.Time
	Attempts        []attempt
	NextAttemptAt   *time.Time
	Payload         string
}

type dashboardView struct {
	Events     []dashboardEvent
	Type       string   // the filter, if any
	Types      []string // of the events held
	WebhookURL string
	Paused     bool
	APIVersion string
	Message    string // after a resend
	Failed     bool   // the message tells of a failure
}

var dashboardPage = template.Must(template.New("dashboard").Funcs(template.FuncMap{
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Events (stripesim, test mode)</title>
<link rel="icon" href="data:,">
<style>
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1a1d2e;background:#f6f7fa}
a{color:#3730a3}
:focus-visible{outline:3px solid #4338ca;outline-offset:2px}
header,main,footer{max-width:1040px;margin:0 auto;padding:0 24px}
header{display:flex;align-items:center;gap:12px;flex-wrap:wrap;padding-top:28px}
header h1{font-size:22px;margin:0}
.badge{font-size:11px;font-weight:700;letter-spacing:.04em;text-transform:uppercase;background:#ffe8b3;color:#6b3a00;border-radius:4px;padding:2px 6px}
.endpoint{width:100%;margin:6px 0 0;color:#4b5163;font-size:14px}
.endpoint code{word-break:break-all}
form.filter{display:flex;gap:8px;align-items:end;margin:20px 0 12px;flex-wrap:wrap}
label{display:block;font-size:14px;font-weight:500;color:#30344a;margin:0 0 4px}
select{font:inherit;padding:8px 10px;border:1px solid #c9ccd6;border-radius:6px;background:#fff;min-height:40px}
button{font:inherit;min-height:40px;padding:8px 14px;border-radius:6px;border:1px solid #c9ccd6;background:#fff;color:#1a1d2e;font-weight:600;cursor:pointer}
button:hover{background:#eef0f5}
.status{border-radius:8px;padding:10px 12px;margin:16px 0 0;border:1px solid #a6d8b5;background:#effaf2;color:#14532d}
.status.failed{border-color:#f4b4ad;background:#fef3f2;color:#912018}
ol.events{list-style:none;margin:0;padding:0}
.event{background:#fff;border:1px solid #e3e5ec;border-radius:10px;padding:16px 18px;margin:0 0 12px}
.event h2{font-size:16px;margin:0;display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
.event h2 code{font-size:13px;font-weight:400;color:#4b5163}
.meta{display:flex;gap:16px;align-items:center;flex-wrap:wrap;margin:6px 0 10px;color:#4b5163;font-size:14px}
.state{font-size:12px;font-weight:700;text-transform:uppercase;letter-spacing:.04em;border-radius:4px;padding:2px 6px}
.state-delivered{background:#dcfce7;color:#14532d}
.state-pending{background:#e0e7ff;color:#312e81}
.state-failed{background:#fee4e2;color:#912018}
.state-not_sent{background:#eceef3;color:#30344a}
table{width:100%;border-collapse:collapse;font-size:14px}
caption{text-align:left;font-weight:600;margin-bottom:4px}
th,td{text-align:left;padding:6px 8px;border-top:1px solid #eceef3;vertical-align:top}
td.num{font-variant-numeric:tabular-nums}
.ok{color:#14532d}.bad{color:#912018}
details{margin-top:10px}
summary{cursor:pointer;color:#3730a3}
pre{background:#f6f7fa;border-radius:6px;padding:10px;overflow:auto;max-height:320px;font-size:12px}
.none{color:#4b5163}
footer{color:#4b5163;font-size:13px;padding-bottom:28px}
</style>
</head>
<body>
<header>
  <h1>Events</h1><span class="badge">Test mode</span>
  <p class="endpoint">Webhook endpoint:
    {{if .WebhookURL}}<code>{{.WebhookURL}}</code>{{else}}none configured{{end}}{{if .Paused}} (delivery paused){{end}};
    API version <code>{{.APIVersion}}</code></p>
</header>
<main>
  {{if .Message}}<p class="status{{if .Failed}} failed{{end}}" role="{{if .Failed}}alert{{else}}status{{end}}" id="message">{{.Message}}</p>{{end}}
  <form class="filter" method="get" action="/_sim/dashboard/events">
    <div><label for="type">Event type</label>
    <select id="type" name="type"><option value="">All types</option>{{range .Types}}<option{{if eq . $.Type}} selected{{end}}>{{.}}</option>{{end}}</select></div>
    <button type="submit">Filter</button>
  </form>
  {{if not .Events}}<p class="none">No events yet.</p>{{end}}
  <ol class="events" aria-label="Events, newest first">
  {{range .Events}}
  <li class="event" id="{{.ID}}">
    <h2>{{.Type}} <code>{{.ID}}</code></h2>
    <div class="meta">
      <span class="state state-{{.State}}">{{.State}}</span>
      <span>Created <time datetime="{{iso .Created}}">{{when .Created}}</time></span>
      {{with .NextAttemptAt}}<span>Next attempt <time datetime="{{iso .}}">{{when .}}</time></span>{{end}}
      <form method="post" action="/_sim/events/{{.ID}}/redeliver">
        <input type="hidden" name="return" value="dashboard">
        <button type="submit" aria-label="Resend {{.Type}} {{.ID}}">Resend</button>
      </form>
    </div>
    {{if .Attempts}}
    <table>
      <caption>Delivery attempts</caption>
      <thead><tr><th scope="col">Sent</th><th scope="col">Endpoint</th><th scope="col">Answer</th><th scope="col">Time</th></tr></thead>
      <tbody>
      {{range .Attempts}}
      <tr><td><time datetime="{{iso .At}}">{{when .At}}</time></td><td><code>{{.URL}}</code></td>
        <td>{{if .Error}}<span class="bad">{{.Error}}</span>{{else}}<span class="ok">{{.StatusCode}} OK</span>{{end}}</td>
        <td class="num">{{.DurationMS}} ms</td></tr>
      {{end}}
      </tbody>
    </table>
    {{else}}<p class="none">Not sent yet.</p>{{end}}
    <details><summary>Event data</summary><pre>{{.Payload}}</pre></details>
  </li>
  {{end}}
  </ol>
</main>
<footer><p>stripesim: a local stand-in for Stripe. No money moves. The same list as JSON: <a href="/_sim/events">/_sim/events</a>.</p></footer>
</body>
</html>`))

func (s *Server) handleDashboardEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := dashboardView{Type: q.Get("type"), APIVersion: s.cfg.APIVersion}
	if msg := q.Get("resent"); msg != "" {
		v.Message = msg
	}
	if msg := q.Get("error"); msg != "" {
		v.Message, v.Failed = msg, true
	}
	s.mu.Lock()
	v.WebhookURL, v.Paused = s.webhookURL, s.paused
	seen := map[string]bool{}
	for i := len(s.eventOrder) - 1; i >= 0; i-- {
		ev := s.eventOrder[i]
		if !seen[ev.Type] {
			seen[ev.Type] = true
			v.Types = append(v.Types, ev.Type)
		}
		if v.Type != "" && ev.Type != v.Type {
			continue
		}
		rec := recordOf(ev)
		v.Events = append(v.Events, dashboardEvent{ID: ev.ID, Type: ev.Type, State: ev.State, Created: ev.Created,
			Attempts: rec.Attempts, NextAttemptAt: rec.NextAttemptAt, Payload: string(ev.Payload)})
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	if err := dashboardPage.Execute(w, v); err != nil {
		s.log.Error("stripesim: render events page", "error", err)
	}
}

// fromDashboard reports whether a control request is the events page's
// form, which wants to be sent back to the page rather than JSON.
func fromDashboard(r *http.Request) bool { return r.PostFormValue("return") == "dashboard" }

// backToDashboard answers the events page's form: to the page, at the
// event, with what became of the request.
func backToDashboard(w http.ResponseWriter, r *http.Request, id, msg string, failed bool) {
	key := "resent"
	if failed {
		key = "error"
	}
	http.Redirect(w, r, "/_sim/dashboard/events?"+url.Values{key: {msg}}.Encode()+"#"+id, http.StatusSeeOther)
}

// resendOutcome says what the resend of ev came to; s.mu must be held.
func resendOutcome(ev *event, paused bool) (string, bool) {
	switch {
	case paused || ev.State == statePending && len(ev.Attempts) == 0:
		return ev.ID + " is queued: delivery is paused.", false
	case len(ev.Attempts) == 0:
		return ev.ID + " was not sent.", true
	}
	a := ev.Attempts[len(ev.Attempts)-1]
	if a.Error != "" {
		return "Sent " + ev.ID + " again: " + a.Error + ".", true
	}
	return "Sent " + ev.ID + " again: " + http.StatusText(a.StatusCode) + " (" + itoa(int64(a.StatusCode)) + ").", false
}

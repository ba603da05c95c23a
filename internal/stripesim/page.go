package stripesim

import (
	"html/template"
	"net/http"
	"strings"
)

// The hosted checkout page: what a shopper sees at a session's url.

type pageData struct {
	ID         string
	Status     string
	Items      []pageItem
	Total      string
	Email      string
	CancelURL  string
	SuccessURL string
	Error      string
}

type pageItem struct {
	Name     string
	Quantity int64
	Unit     string
	Amount   string
}

var payPage = template.Must(template.New("pay").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Checkout (stripesim)</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 2rem auto; padding: 0 1rem; color: #1a1f36; }
.sim { background: #fff4d6; padding: .5rem .75rem; border-radius: 6px; font-size: .85rem; }
table { width: 100%; border-collapse: collapse; margin: 1rem 0; }
td { padding: .4rem 0; border-bottom: 1px solid #e3e8ee; }
td.num { text-align: right; }
.total td { font-weight: bold; border-bottom: none; }
label { display: block; margin: 1rem 0 .25rem; }
input[type=email] { width: 100%; padding: .5rem; font-size: 1rem; box-sizing: border-box; }
button { display: block; width: 100%; margin: .5rem 0; padding: .7rem; font-size: 1rem; cursor: pointer; }
button.primary { background: #635bff; color: #fff; border: none; border-radius: 6px; }
.error { color: #c0123c; }
</style>
</head>
<body>
<p class="sim">Test checkout served by stripesim: no real payment is made.</p>
{{if eq .Status "open"}}
<h1>Checkout</h1>
<table data-testid="line-items">
{{range .Items}}<tr data-testid="line-item"><td>{{.Name}} × {{.Quantity}}</td><td class="num">{{.Amount}}</td></tr>
{{end}}<tr class="total"><td>Total</td><td class="num" id="total" data-testid="total">{{.Total}}</td></tr>
</table>
<form method="post" action="/pay/{{.ID}}">
{{if .Error}}<p class="error" id="error" data-testid="error" role="alert">{{.Error}}</p>{{end}}
<label for="email">Email</label>
<input type="email" id="email" name="email" data-testid="email" value="{{.Email}}" autocomplete="email" required>
<button type="submit" class="primary" name="action" value="paid" id="pay" data-testid="pay">Pay</button>
<button type="submit" name="action" value="async_succeeded" id="pay-delayed-succeeds" data-testid="pay-delayed-succeeds">Pay with delayed method (succeeds)</button>
<button type="submit" name="action" value="async_failed" id="pay-delayed-fails" data-testid="pay-delayed-fails">Pay with delayed method (fails)</button>
</form>
{{if .CancelURL}}<p><a href="{{.CancelURL}}" id="cancel" data-testid="cancel">Cancel</a></p>{{end}}
{{else if eq .Status "complete"}}
<h1>Already paid</h1>
<p id="message" data-testid="message">This checkout session is already complete.</p>
{{if .SuccessURL}}<p><a href="{{.SuccessURL}}" id="continue" data-testid="continue">Continue</a></p>{{end}}
{{else if eq .Status "expired"}}
<h1>Session expired</h1>
<p id="message" data-testid="message">This checkout session has expired. Go back to the shop and start again.</p>
{{if .CancelURL}}<p><a href="{{.CancelURL}}" id="cancel" data-testid="cancel">Back to the shop</a></p>{{end}}
{{else}}
<h1>Not found</h1>
<p id="message" data-testid="message">There is no checkout session with this id.</p>
{{end}}
</body>
</html>
`))

// pageDataOf describes the page of session id; s.mu must be held.
func (s *Server) pageDataOf(id string) pageData {
	cs := s.sessions[id]
	if cs == nil {
		return pageData{ID: id, Status: "missing"}
	}
	d := pageData{ID: cs.ID, Status: cs.Status, Email: cs.CustomerEmail, CancelURL: cs.CancelURL,
		SuccessURL: strings.ReplaceAll(cs.SuccessURL, "{CHECKOUT_SESSION_ID}", cs.ID),
		Total:      formatAmount(cs.AmountTotal, cs.Currency)}
	for _, li := range cs.LineItems {
		d.Items = append(d.Items, pageItem{Name: li.Name, Quantity: li.Quantity,
			Unit: formatAmount(li.UnitAmount, li.Currency), Amount: formatAmount(li.UnitAmount*li.Quantity, li.Currency)})
	}
	return d
}

func (s *Server) renderPage(w http.ResponseWriter, status int, d pageData) {
	if d.Status == "missing" && status == http.StatusOK {
		status = http.StatusNotFound
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := payPage.Execute(w, d); err != nil {
		s.log.Error("stripesim: render checkout page", "error", err)
	}
}

func (s *Server) handlePayPage(w http.ResponseWriter, r *http.Request) {
	s.expireDue()
	s.mu.Lock()
	d := s.pageDataOf(r.PathValue("id"))
	s.mu.Unlock()
	s.renderPage(w, http.StatusOK, d)
}

// handlePaySubmit takes the page's form: action is paid, async_succeeded,
// async_failed or cancel.
func (s *Server) handlePaySubmit(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	action, email := r.PostFormValue("action"), strings.TrimSpace(r.PostFormValue("email"))
	if action == "cancel" {
		s.mu.Lock()
		d := s.pageDataOf(id)
		s.mu.Unlock()
		target := d.CancelURL
		if target == "" {
			target = "/pay/" + id
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	if !validEmail(email) {
		s.mu.Lock()
		d := s.pageDataOf(id)
		s.mu.Unlock()
		d.Email, d.Error = email, "Enter a valid email address."
		s.renderPage(w, http.StatusUnprocessableEntity, d)
		return
	}
	redirect, evs, err := s.complete(id, action, email)
	if err != nil {
		s.mu.Lock()
		d := s.pageDataOf(id)
		s.mu.Unlock()
		d.Email = email
		status := http.StatusConflict
		if e, ok := err.(*apiError); ok {
			status = e.Status
			if d.Status == "open" {
				d.Error = e.Message
			}
		}
		s.renderPage(w, status, d)
		return
	}
	s.awaitAttempt(r.Context(), evs...)
	http.Redirect(w, r, redirect, http.StatusSeeOther)
}

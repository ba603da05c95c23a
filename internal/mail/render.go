package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	texttemplate "text/template"

	"github.com/stripeshop/stripeshop/internal/shop"
)

//go:embed templates
var templateFS embed.FS

// Message is a rendered e-mail.
type Message struct {
	Subject string
	HTML    string
	Text    string
}

var (
	htmlByKind = map[shop.EmailKind]*htmltemplate.Template{}
	textByKind = map[shop.EmailKind]*texttemplate.Template{}
)

// Every kind has a template in each form, or the binary does not start:
// a template error is found by any test, not by a customer.
func init() {
	html := htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/layout.html", "templates/bodies.html"))
	text := texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/bodies.txt"))
	for _, k := range shop.EmailKinds {
		if html.Lookup(string(k)) == nil || text.Lookup(string(k)) == nil {
			panic("mail: no template for " + string(k))
		}
		h := htmltemplate.Must(htmltemplate.Must(html.Clone()).Parse(`{{define "body"}}{{template "` + string(k) + `" .}}{{end}}`))
		htmlByKind[k] = h
		textByKind[k] = text
	}
}

// subject is each kind's subject line.
func subject(k shop.EmailKind, v View) string {
	switch k {
	case shop.EmailConfirmation:
		return fmt.Sprintf("Your %s order %s is confirmed", v.ShopName, v.Number)
	case shop.EmailPending:
		return fmt.Sprintf("Your %s order %s: payment processing", v.ShopName, v.Number)
	case shop.EmailFailed:
		return fmt.Sprintf("Your %s order %s: payment failed", v.ShopName, v.Number)
	case shop.EmailRefunded:
		return fmt.Sprintf("Your %s order %s has been refunded", v.ShopName, v.Number)
	case shop.EmailStaffPaid:
		return fmt.Sprintf("[%s] New order %s: %s", v.ShopName, v.Number, v.Total)
	case shop.EmailStaffFailed:
		return fmt.Sprintf("[%s] Payment failed for order %s", v.ShopName, v.Number)
	case shop.EmailStaffMismatch:
		return fmt.Sprintf("[%s] Order %s flagged: amount mismatch", v.ShopName, v.Number)
	case shop.EmailStaffDispute:
		return fmt.Sprintf("[%s] Dispute opened on order %s", v.ShopName, v.Number)
	}
	return v.ShopName + " order " + v.Number
}

// Render renders an e-mail of a kind from an order's view.
func Render(k shop.EmailKind, v View) (Message, error) {
	h, ok := htmlByKind[k]
	if !ok {
		return Message{}, fmt.Errorf("mail: unknown kind %q", k)
	}
	msg := Message{Subject: subject(k, v)}
	data := struct {
		Subject string
		V       View
	}{msg.Subject, v}
	var hb, tb bytes.Buffer
	if err := h.ExecuteTemplate(&hb, "layout", data); err != nil {
		return Message{}, fmt.Errorf("render %s (html): %w", k, err)
	}
	if err := textByKind[k].ExecuteTemplate(&tb, string(k), data); err != nil {
		return Message{}, fmt.Errorf("render %s (text): %w", k, err)
	}
	msg.HTML, msg.Text = hb.String(), tb.String()+"\n-- \n"+v.ShopName+"\n"
	return msg, nil
}

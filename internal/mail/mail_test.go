package mail_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	gomail "github.com/wneessen/go-mail"

	"github.com/stripeshop/stripeshop/internal/mail"
	"github.com/stripeshop/stripeshop/internal/mailpit"
	"github.com/stripeshop/stripeshop/internal/shop"
)

func TestMoney(t *testing.T) {
	for _, c := range []struct {
		minor int64
		cur   string
		want  string
	}{
		{1250, "usd", "$12.50"},
		{123456789, "usd", "$1,234,567.89"},
		{5, "usd", "$0.05"},
		{500, "jpy", "¥500"},
		{1500000, "JPY", "¥1,500,000"},
		{1999, "eur", "€19.99"},
		{1000, "chf", "10.00 CHF"},
		{12345, "kwd", "12.345 KWD"},
		{-250, "gbp", "-£2.50"},
	} {
		if got := mail.Money(c.minor, c.cur); got != c.want {
			t.Errorf("Money(%d, %s) = %q, want %q", c.minor, c.cur, got, c.want)
		}
	}
}

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		url  string
		want mail.Settings
		err  string
	}{
		{url: "smtp://u:p%40ss@smtp.example.com", want: mail.Settings{Host: "smtp.example.com", Port: 587, Username: "u", Password: "p@ss"}},
		{url: "smtps://u:p@smtp.example.com", want: mail.Settings{Host: "smtp.example.com", Port: 465, Username: "u", Password: "p", ImplicitTLS: true}},
		{url: "smtp://127.0.0.1:1025?starttls=none", want: mail.Settings{Host: "127.0.0.1", Port: 1025, NoTLS: true}},
		{url: "smtp://localhost:1025?starttls=none", want: mail.Settings{Host: "localhost", Port: 1025, NoTLS: true}},
		{url: "smtp://[::1]:1025?starttls=none", want: mail.Settings{Host: "::1", Port: 1025, NoTLS: true}},
		{url: "smtp://mail.example.com:25?starttls=none", err: "loopback"},
		{url: "smtps://127.0.0.1?starttls=none", err: "smtps"},
		{url: "http://smtp.example.com", err: "smtp://"},
		{url: "smtp://smtp.example.com:99999", err: "port"},
		{url: "smtp://smtp.example.com?tls=off", err: "unknown option"},
		{url: "smtp://", err: "must be"},
	} {
		got, err := mail.ParseURL(c.url)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: error %v, want one saying %q", c.url, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%s: %+v, %v; want %+v", c.url, got, err, c.want)
		}
	}
	st, _ := mail.ParseURL("smtp://u:secret@smtp.example.com")
	if s := st.String(); strings.Contains(s, "secret") || !strings.Contains(s, "u:***@") {
		t.Errorf("String() = %q: shows the password or hides the user", s)
	}
}

func TestRenderEveryKind(t *testing.T) {
	o := shop.Order{ID: "o1", Number: 1042, Status: shop.StatusPaid, ProductName: "<Mug & Co>", UnitAmount: 1250,
		Quantity: 2, AmountTotal: 2500, Currency: "usd", CustomerEmail: "a@example.com", SessionID: "cs_1"}
	for _, k := range shop.EmailKinds {
		m, err := mail.Render(k, mail.NewView(mail.Shop{Name: "Acme", URL: "https://acme.test"}, o,
			shop.Dispute{Reason: "fraudulent", Amount: 2500}))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if !strings.Contains(m.Subject, "#1042") || !strings.Contains(m.Text, "#1042") || !strings.Contains(m.HTML, "#1042") {
			t.Errorf("%s: the number is missing: %q", k, m.Subject)
		}
		if !strings.Contains(m.HTML, "&lt;Mug &amp; Co&gt;") || strings.Contains(m.HTML, "<Mug") {
			t.Errorf("%s: the product name is not escaped in the HTML", k)
		}
		if !strings.Contains(m.Text, "<Mug & Co>") || !strings.Contains(m.Text, "$25.00") {
			t.Errorf("%s: the text part lacks the name or total:\n%s", k, m.Text)
		}
		if !strings.Contains(m.HTML, "Acme") {
			t.Errorf("%s: the shop's name is missing", k)
		}
	}
}

// A cart order's confirmation shows each line, Stripe's discount,
// shipping (with the rate) and tax, the total Stripe charged and where it
// ships; its refund e-mail names the amount refunded, not the total.
func TestRenderCartOrder(t *testing.T) {
	o := shop.Order{ID: "o2", Number: 1043, Status: shop.StatusPaid, Currency: "usd", SessionID: "cs_2",
		Lines: []shop.Line{
			{ProductName: "Mug", UnitAmount: 1250, Quantity: 2},
			{ProductName: "Tea", UnitAmount: 800, Quantity: 1},
		},
		AmountSubtotal: 3300, AmountDiscount: 330, AmountShipping: 500, AmountTax: 286, AmountTotal: 3756,
		Shipping: &shop.Shipping{Name: "Ada Lovelace", RateName: "Standard",
			Address: shop.Address{Line1: "1 Main St", City: "Springfield", State: "IL", PostalCode: "62701", Country: "US"}}}
	m, err := mail.Render(shop.EmailConfirmation, mail.NewView(mail.Shop{Name: "Acme"}, o, shop.Dispute{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2 × Mug at $12.50: $25.00", "1 × Tea at $8.00: $8.00", "Subtotal: $33.00",
		"Discount: -$3.30", "Shipping (Standard): $5.00", "Tax: $2.86", "Total: $37.56", "Ada Lovelace", "62701 Springfield IL"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the confirmation's text lacks %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.HTML, "Ships to") || !strings.Contains(m.HTML, "$37.56") {
		t.Errorf("the confirmation's HTML lacks the address or total")
	}
	o.AmountRefunded = 800
	m, err = mail.Render(shop.EmailRefunded, mail.NewView(mail.Shop{Name: "Acme"}, o, shop.Dispute{}))
	if err != nil || !strings.Contains(m.Text, "refunded $8.00") {
		t.Errorf("a partial refund's e-mail: %v\n%s", err, m.Text)
	}
}

var mp *mailpit.Server

func TestMain(m *testing.M) {
	var err error
	// Only addresses at example.com are taken; others are refused (550).
	mp, err = mailpit.Start(context.Background(), "", "--smtp-allowed-recipients", "@example\\.com$")
	if err != nil {
		panic(err)
	}
	code := m.Run()
	mp.Close()
	os.Exit(code)
}

func TestSendIsPermanentOnlyFor5xx(t *testing.T) {
	st, err := mail.ParseURL(mp.SMTPURL())
	if err != nil {
		t.Fatal(err)
	}
	s := mail.NewSender(st, "Shop <orders@example.com>", 0)
	msg := mail.Message{Subject: "hi", HTML: "<p>hi</p>", Text: "hi"}
	if err := s.Send(context.Background(), []string{"ok@example.com"}, "id-1@shop.test", msg); err != nil {
		t.Fatalf("send to an accepted recipient: %v", err)
	}
	err = s.Send(context.Background(), []string{"nobody@elsewhere.test"}, "id-2@shop.test", msg)
	var se *gomail.SendError
	if err == nil || !mail.IsPermanent(err) || !errors.As(err, &se) || se.ErrorCode() < 500 {
		t.Fatalf("a refused recipient: %v (permanent %v), want a permanent 5xx", err, mail.IsPermanent(err))
	}
	closed, _ := mail.ParseURL("smtp://127.0.0.1:1?starttls=none")
	err = mail.NewSender(closed, "orders@example.com", 0).Send(context.Background(), []string{"ok@example.com"}, "id-3@shop.test", msg)
	if err == nil || mail.IsPermanent(err) {
		t.Fatalf("a refused connection: %v, want a temporary error", err)
	}
	if err := s.Check(context.Background()); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

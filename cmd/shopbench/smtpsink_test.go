package main

import (
	"context"
	"testing"

	"github.com/stripeshop/stripeshop/internal/mail"
)

// The sink takes what the shop's sender sends.
func TestSMTPSinkTakesTheShopsMail(t *testing.T) {
	sink, err := startSMTPSink()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.close()
	st, err := mail.ParseURL(sink.url())
	if err != nil {
		t.Fatal(err)
	}
	err = mail.NewSender(st, "orders@example.com", 0).Send(context.Background(), []string{"a@example.com", "b@example.com"},
		"id@bench.test", mail.Message{Subject: "s", Text: "t\n.\nmore", HTML: "<p>h</p>"})
	if err != nil {
		t.Fatal(err)
	}
}

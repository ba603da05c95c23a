package stripesim

import (
	"net/url"
	"reflect"
	"testing"
)

func TestDecodeForm(t *testing.T) {
	t.Parallel()
	got, err := decodeForm(url.Values{
		"mode":                                 {"payment"},
		"line_items[0][price_data][currency]":  {"usd"},
		"line_items[0][quantity]":              {"2"},
		"line_items[1][price]":                 {"price_1"},
		"metadata[order_id]":                   {"o1"},
		"expand[]":                             {"payment_intent", "line_items"},
		"payment_method_types[0]":              {"card"},
		"line_items[0][price_data][recurring]": {""},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"mode": "payment",
		"line_items": map[string]any{
			"0": map[string]any{"price_data": map[string]any{"currency": "usd", "recurring": ""}, "quantity": "2"},
			"1": map[string]any{"price": "price_1"},
		},
		"metadata":             map[string]any{"order_id": "o1"},
		"expand":               map[string]any{"0": "payment_intent", "1": "line_items"},
		"payment_method_types": map[string]any{"0": "card"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decodeForm =\n%#v\nwant\n%#v", got, want)
	}

	for _, bad := range []string{"a[b", "[a]", "a]b", "a[b]c", "a[[b]]"} {
		if _, err := decodeForm(url.Values{bad: {"x"}}); err == nil {
			t.Errorf("decodeForm accepted the key %q", bad)
		}
	}
	if _, err := decodeForm(url.Values{"a": {"x"}, "a[b]": {"y"}}); err == nil {
		t.Errorf("decodeForm accepted a key that is both a value and a hash")
	}
}

func TestValidateOrdersLists(t *testing.T) {
	t.Parallel()
	raw, _ := decodeForm(url.Values{"expand[10]": {"c"}, "expand[2]": {"b"}, "expand[0]": {"a"}})
	typed, _, err := object(map[string]*param{"expand": expandParam}).validate("", raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := getStrings(typed.(map[string]any), "expand"); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Errorf("expand = %v, want [a b c]", got)
	}
}

func TestFormatAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		amount   int64
		currency string
		want     string
	}{
		{2500, "usd", "$25.00"},
		{125000, "usd", "$1,250.00"},
		{5, "eur", "€0.05"},
		{1500, "jpy", "¥1,500"},
		{123456789, "krw", "₩123,456,789"},
		{1250, "chf", "CHF 12.50"},
		{1234, "kwd", "KWD 1.234"},
		{-50, "gbp", "-£0.50"},
	}
	for _, tt := range tests {
		if got := formatAmount(tt.amount, tt.currency); got != tt.want {
			t.Errorf("formatAmount(%d, %s) = %q, want %q", tt.amount, tt.currency, got, tt.want)
		}
	}
}

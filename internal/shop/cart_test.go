package shop_test

import (
	"reflect"
	"testing"

	"github.com/stripeshop/stripeshop/internal/shop"
)

func TestCartLines(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	products := map[string]shop.Product{
		"a": {ID: "a", Name: "A", UnitAmount: 1000, Currency: "usd", Stock: n(3), Active: true},
		"b": {ID: "b", Name: "B", UnitAmount: 500, Currency: "usd", Stock: nil, MaxPerOrder: n(2), Active: true},
		"c": {ID: "c", Name: "C", UnitAmount: 500, Currency: "eur", Active: true},
		"d": {ID: "d", Name: "D", UnitAmount: 500, Currency: "usd", Active: false},
	}
	cases := []struct {
		name     string
		items    []shop.Item
		held     int64
		maxUnits int64
		code     string
		short    []shop.Shortage
	}{
		{"fits", []shop.Item{{"a", 3}, {"b", 2}}, 0, 0, "", nil},
		{"stock", []shop.Item{{"b", 1}, {"a", 4}}, 0, 0, shop.ErrConflict, []shop.Shortage{{"a", 3, shop.ShortStock}}},
		{"max per order in a cart", []shop.Item{{"a", 1}, {"b", 3}}, 0, 0, shop.ErrConflict, []shop.Shortage{{"b", 2, shop.ShortMaxPerOrder}}},
		{"max per order alone", []shop.Item{{"b", 3}}, 0, 0, shop.ErrInvalid, []shop.Shortage{{"b", 2, shop.ShortMaxPerOrder}}},
		{"client cap counts every line", []shop.Item{{"a", 2}, {"b", 2}}, 17, 20, shop.ErrConflict,
			[]shop.Shortage{{"a", 2, shop.ShortClientCap}, {"b", 2, shop.ShortClientCap}}},
		{"under the cap", []shop.Item{{"a", 1}, {"b", 2}}, 17, 20, "", nil},
		{"mixed currencies", []shop.Item{{"a", 1}, {"c", 1}}, 0, 0, shop.ErrInvalid, nil},
		{"archived", []shop.Item{{"a", 1}, {"d", 1}, {"x", 1}}, 0, 0, shop.ErrNotFound,
			[]shop.Shortage{{"d", 0, shop.ShortUnavailable}, {"x", 0, shop.ShortUnavailable}}},
	}
	for _, c := range cases {
		lines, err := shop.Cart{Items: c.items, Products: products, Held: c.held, MaxUnits: c.maxUnits}.Lines()
		if c.code == "" {
			if err != nil || len(lines) != len(c.items) {
				t.Errorf("%s: %v, %+v", c.name, err, lines)
			}
			continue
		}
		se, _ := err.(*shop.Error)
		if se == nil || se.Code != c.code || !reflect.DeepEqual(se.Lines, c.short) {
			t.Errorf("%s: %#v, want %s %+v", c.name, err, c.code, c.short)
		}
	}
	lines, _ := shop.Cart{Items: []shop.Item{{"a", 2}, {"b", 1}}, Products: products}.Lines()
	if lines[0].Reserved != 2 || lines[1].Reserved != 0 || lines[0].AmountSubtotal != 2000 {
		t.Errorf("lines reserve limited stock only: %+v", lines)
	}
}

func TestCheckItems(t *testing.T) {
	id := "0A8ECCAC-205E-4D50-ADBE-0E0ACA30064D"
	if got, err := shop.CheckItems([]shop.Item{{id, 1}}); err != nil || got[0].ProductID != "0a8eccac-205e-4d50-adbe-0e0aca30064d" {
		t.Fatalf("%v %v", got, err)
	}
	for _, items := range [][]shop.Item{nil, {{id, 0}}, {{id, 101}}, {{id, 1}, {id, 2}}} {
		if _, err := shop.CheckItems(items); shop.ErrorCode(err) != shop.ErrInvalid {
			t.Errorf("%v: %v, want invalid", items, err)
		}
	}
	if _, err := shop.CheckItems([]shop.Item{{"nope", 1}}); shop.ErrorCode(err) != shop.ErrNotFound {
		t.Errorf("a malformed id: %v, want not found", err)
	}
}

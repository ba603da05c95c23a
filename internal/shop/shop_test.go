package shop_test

import (
	"testing"

	"github.com/stripeshop/stripeshop/internal/shop"
)

func TestTransitions(t *testing.T) {
	allowed := map[[2]shop.Status]bool{
		{shop.StatusPending, shop.StatusPaid}:       true,
		{shop.StatusPending, shop.StatusProcessing}: true,
		{shop.StatusPending, shop.StatusExpired}:    true,
		{shop.StatusPending, shop.StatusFailed}:     true,
		{shop.StatusProcessing, shop.StatusPaid}:    true,
		{shop.StatusProcessing, shop.StatusFailed}:  true,
		{shop.StatusPaid, shop.StatusRefunded}:      true,
	}
	for _, from := range shop.Statuses {
		for _, to := range shop.Statuses {
			if got := shop.CanMove(from, to); got != allowed[[2]shop.Status{from, to}] {
				t.Errorf("%s → %s allowed = %v", from, to, got)
			}
		}
	}
}

func TestProductValidate(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	ok := shop.Product{Name: "Mug", UnitAmount: 1000, Currency: "usd"}
	cases := []struct {
		name  string
		edit  func(*shop.Product)
		field string
	}{
		{"valid", func(*shop.Product) {}, ""},
		{"name 200 runes", func(p *shop.Product) { p.Name = repeat("é", 200) }, ""},
		{"name 201 runes", func(p *shop.Product) { p.Name = repeat("é", 201) }, "name"},
		{"description 5001", func(p *shop.Product) { p.Description = repeat("a", 5001) }, "description"},
		{"jpy minimum", func(p *shop.Product) { p.Currency, p.UnitAmount = "jpy", 49 }, "unit_amount"},
		{"max amount", func(p *shop.Product) { p.UnitAmount = 99_999_999 }, ""},
		{"stock 0", func(p *shop.Product) { p.Stock = n(0) }, ""},
		{"stock max", func(p *shop.Product) { p.Stock = n(1_000_000) }, ""},
		{"image ftp", func(p *shop.Product) { p.ImageURL = "ftp://x/y.png" }, "image_url"},
		{"image http", func(p *shop.Product) { p.ImageURL = "http://x.example/y.png" }, "image_url"},
		{"image HTTPS", func(p *shop.Product) { p.ImageURL = "HTTPS://x.example/y.png" }, ""},
		{"image https", func(p *shop.Product) { p.ImageURL = "https://x.example/y.png" }, ""},
		{"max per order 1", func(p *shop.Product) { p.MaxPerOrder = n(1) }, ""},
		{"max per order 100", func(p *shop.Product) { p.MaxPerOrder = n(100) }, ""},
		{"max per order 0", func(p *shop.Product) { p.MaxPerOrder = n(0) }, "max_per_order"},
		{"max per order 101", func(p *shop.Product) { p.MaxPerOrder = n(101) }, "max_per_order"},
	}
	for _, tc := range cases {
		p := ok
		tc.edit(&p)
		err := p.Validate()
		if tc.field == "" && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if tc.field != "" {
			e, _ := err.(*shop.Error)
			if e == nil || e.Fields[tc.field] == "" {
				t.Errorf("%s: want an error on %s, got %v", tc.name, tc.field, err)
			}
		}
	}
}

func repeat(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}

func TestParseID(t *testing.T) {
	for in, want := range map[string]string{
		"0b0e2a4e-3c1d-4f5a-8b6c-7d8e9f0a1b2c":  "0b0e2a4e-3c1d-4f5a-8b6c-7d8e9f0a1b2c",
		"0B0E2A4E-3C1D-4F5A-8B6C-7D8E9F0A1B2C":  "0b0e2a4e-3c1d-4f5a-8b6c-7d8e9f0a1b2c",
		"0b0E2a4e-3C1d-4f5A-8b6c-7D8e9f0a1B2c":  "0b0e2a4e-3c1d-4f5a-8b6c-7d8e9f0a1b2c",
		"":                                      "",
		"0b0e2a4e3c1d4f5a8b6c7d8e9f0a1b2c":      "",
		"{0b0e2a4e-3c1d-4f5a-8b6c-7d8e9f0a1b2}": "",
		"0b0e2a4e-3c1d-4f5a-8b6c-7d8e9f0a1b2g":  "",
		"0b0e2a4e_3c1d-4f5a-8b6c-7d8e9f0a1b2c":  "",
		"0b0e2a4e-3c1d-4f5a-8b6c-7d8e9f0a1b2":   "",
		"0b0e2a4e-3c1d-4f5a-8b6c-7d8e9f0a1b2cc": "",
		"0b0e2a4e-3c1d-4f5a-8b6c-7d8e9f0a1bé":   "",
	} {
		got, ok := shop.ParseID(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseID(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

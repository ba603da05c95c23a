package httpapi_test

import (
	"strings"
	"testing"
)

func TestProductValidation(t *testing.T) {
	e := newEnv(t)
	a := e.admin()
	long := strings.Repeat("x", 201)
	cases := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"missing name", `{"unit_amount": 1000, "currency": "usd"}`, 400, "name"},
		{"blank name", `{"name": "  ", "unit_amount": 1000, "currency": "usd"}`, 400, "name"},
		{"long name", `{"name": "` + long + `", "unit_amount": 1000, "currency": "usd"}`, 400, "name"},
		{"zero amount", `{"name": "Mug", "unit_amount": 0, "currency": "usd"}`, 400, "unit_amount"},
		{"below stripe minimum", `{"name": "Mug", "unit_amount": 49, "currency": "usd"}`, 400, "unit_amount"},
		{"amount too large", `{"name": "Mug", "unit_amount": 100000000, "currency": "usd"}`, 400, "unit_amount"},
		{"amount not integer", `{"name": "Mug", "unit_amount": 12.5, "currency": "usd"}`, 400, "unit_amount"},
		{"amount as string", `{"name": "Mug", "unit_amount": "1000", "currency": "usd"}`, 400, "unit_amount"},
		{"unknown currency", `{"name": "Mug", "unit_amount": 1000, "currency": "xyz"}`, 400, "currency"},
		{"relative image", `{"name": "Mug", "unit_amount": 1000, "currency": "usd", "image_url": "/a.png"}`, 400, "image_url"},
		{"http image", `{"name": "Mug", "unit_amount": 1000, "currency": "usd", "image_url": "http://img.example.com/a.png"}`, 400, "image_url"},
		{"javascript image", `{"name": "Mug", "unit_amount": 1000, "currency": "usd", "image_url": "javascript:alert(1)"}`, 400, "image_url"},
		{"negative stock", `{"name": "Mug", "unit_amount": 1000, "currency": "usd", "stock": -1}`, 400, "stock"},
		{"huge stock", `{"name": "Mug", "unit_amount": 1000, "currency": "usd", "stock": 1000001}`, 400, "stock"},
		{"stock as string", `{"name": "Mug", "unit_amount": 1000, "currency": "usd", "stock": "3"}`, 400, "stock"},
		{"unknown field", `{"name": "Mug", "unit_amount": 1000, "currency": "usd", "price": 3}`, 400, "price"},
		{"not an object", `[1, 2]`, 400, ""},
		{"malformed", `{"name": `, 400, ""},
		{"trailing data", `{"name": "Mug", "unit_amount": 1000, "currency": "usd"} {}`, 400, ""},
		{"oversized", `{"name": "Mug", "description": "` + strings.Repeat("x", 70<<10) + `", "unit_amount": 1000, "currency": "usd"}`, 413, ""},
		{"valid, upper-case currency", `{"name": "Mug", "unit_amount": 1000, "currency": "USD", "stock": null}`, 201, ""},
		{"valid jpy", `{"name": "Cup", "unit_amount": 500, "currency": "jpy", "stock": 3, "image_url": "https://img.example.com/cup.png"}`, 201, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := a.Do("POST", "/api/admin/products", tc.body)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.status >= 400 {
				if r.ErrorCode() == "" {
					t.Fatalf("error body lacks the contract's shape: %s", r.Body)
				}
				if tc.field != "" && r.Fields()[tc.field] == "" {
					t.Fatalf("fields do not name %q: %s", tc.field, r.Body)
				}
			}
		})
	}
}

func TestCatalogShowsOnlyActiveProducts(t *testing.T) {
	e := newEnv(t)
	a := e.admin()
	visible := e.createProduct(1000, 5)
	hidden := e.createProduct(2000, 5)
	a.MustDo("PATCH", "/api/admin/products/"+hidden.ID, map[string]any{"active": false}, 200, nil)

	var list struct{ Products []product }
	e.client().MustDo("GET", "/api/products", nil, 200, &list)
	if len(list.Products) != 1 || list.Products[0].ID != visible.ID {
		t.Fatalf("public catalog = %+v, want only %s", list.Products, visible.ID)
	}
	e.client().MustDo("GET", "/api/products/"+hidden.ID, nil, 404, nil)
	a.MustDo("GET", "/api/admin/products", nil, 200, &list)
	if len(list.Products) != 2 {
		t.Fatalf("admin catalog has %d products, want 2", len(list.Products))
	}
}

func TestBadIDsAreNotFound(t *testing.T) {
	e := newEnv(t)
	a := e.admin()
	for _, path := range []string{
		"/api/products/not-a-uuid", "/api/products/00000000-0000-0000-0000-000000000000",
		"/api/products/'%20OR%201=1--", "/api/admin/products/xyz", "/api/admin/orders/xyz",
		"/api/admin/orders/00000000-0000-0000-0000-000000000000",
	} {
		c := e.client()
		if strings.HasPrefix(path, "/api/admin") {
			c = a
		}
		if r := c.Do("GET", path, nil); r.Status != 404 || r.ErrorCode() != "not_found" {
			t.Errorf("GET %s = %d %s, want 404 not_found", path, r.Status, r.Body)
		}
	}
	if r := a.Do("POST", "/api/admin/events/evt_nope/reprocess", nil); r.Status != 404 {
		t.Errorf("reprocess of an unknown event = %d, want 404", r.Status)
	}
	if r := e.client().Do("GET", "/api/nothing-here", nil); r.Status != 404 || r.ErrorCode() != "not_found" {
		t.Errorf("unknown API route = %d %s, want a JSON 404", r.Status, r.Body)
	}
}

func TestPatchChangesOnlySentFields(t *testing.T) {
	e := newEnv(t)
	a := e.admin()
	p := e.createProduct(1000, 5)
	var got product
	a.MustDo("PATCH", "/api/admin/products/"+p.ID, map[string]any{"name": "Big mug"}, 200, &got)
	if got.Name != "Big mug" || got.UnitAmount != 1000 || got.Stock == nil || *got.Stock != 5 {
		t.Fatalf("after patching the name: %+v", got)
	}
	a.MustDo("PATCH", "/api/admin/products/"+p.ID, map[string]any{"stock": nil}, 200, &got)
	if got.Stock != nil {
		t.Fatalf("stock null should mean unlimited, got %v", *got.Stock)
	}
	r := a.Do("PATCH", "/api/admin/products/"+p.ID, map[string]any{"unit_amount": -5})
	if r.Status != 400 || r.Fields()["unit_amount"] == "" {
		t.Fatalf("bad patch: %d %s", r.Status, r.Body)
	}
}

func TestDeleteArchivesAProductWithOrders(t *testing.T) {
	e := newEnv(t)
	a := e.admin()
	unsold := e.createProduct(1000, 5)
	sold := e.createProduct(1000, 5)
	e.buy(sold.ID, 1)
	a.MustDo("DELETE", "/api/admin/products/"+unsold.ID, nil, 204, nil)
	a.MustDo("GET", "/api/admin/products/"+unsold.ID, nil, 404, nil)
	a.MustDo("DELETE", "/api/admin/products/"+sold.ID, nil, 204, nil)
	if p := e.product(sold.ID); p.Active {
		t.Fatal("a product with orders should be archived, not deleted")
	}
}

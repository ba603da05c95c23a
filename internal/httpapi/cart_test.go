package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

type cartOrder struct {
	order
	Lines []struct {
		ProductID        string `json:"product_id"`
		ProductName      string `json:"product_name"`
		UnitAmount       int64  `json:"unit_amount"`
		Quantity         int64  `json:"quantity"`
		AmountSubtotal   int64  `json:"amount_subtotal"`
		RefundedQuantity int64  `json:"refunded_quantity"`
	} `json:"lines"`
	AmountSubtotal int64 `json:"amount_subtotal"`
	AmountRefunded int64 `json:"amount_refunded"`
}

type shortage struct {
	ProductID string `json:"product_id"`
	Available int64  `json:"available"`
	Reason    string `json:"reason"`
}

func (e *env) cartOrder(id string) cartOrder {
	e.t.Helper()
	var o cartOrder
	e.admin().MustDo("GET", "/api/admin/orders/"+id, nil, 200, &o)
	return o
}

// errorLines posts a cart that must fail with status and returns the lines the error names.
func (e *env) errorLines(items []map[string]any, status int) (string, []shortage) {
	e.t.Helper()
	r := e.client().MustDo("POST", "/api/checkout", map[string]any{"items": items}, status, nil)
	var body struct {
		Error struct {
			Code  string     `json:"code"`
			Lines []shortage `json:"lines"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		e.t.Fatal(err)
	}
	return body.Error.Code, body.Error.Lines
}

func item(id string, qty int64) map[string]any {
	return map[string]any{"product_id": id, "quantity": qty}
}

// A cart is one order with a line per product, all reserved; what cannot
// be had is named line by line, and then nothing is reserved.
func TestCartCheckout(t *testing.T) {
	e := newEnv(t)
	mug, cup, pen := e.createProduct(1000, 5), e.createProduct(250, 2), e.createProduct(50, -1)

	var s started
	e.client().MustDo("POST", "/api/checkout", map[string]any{"items": []map[string]any{item(cup.ID, 2), item(mug.ID, 3), item(pen.ID, 1)}}, 201, &s)
	o := e.cartOrder(s.OrderID)
	if len(o.Lines) != 3 || o.Lines[0].ProductID != cup.ID || o.Lines[1].Quantity != 3 || o.Lines[2].AmountSubtotal != 50 ||
		o.AmountSubtotal != 2*250+3*1000+50 || o.AmountTotal != o.AmountSubtotal || o.ProductID != cup.ID || o.Quantity != 2 {
		t.Fatalf("cart order: %+v", o)
	}
	if got := []int64{*e.product(mug.ID).Stock, *e.product(cup.ID).Stock}; got[0] != 2 || got[1] != 0 {
		t.Fatalf("stock after the cart: mug %d, cup %d; want 2 and 0", got[0], got[1])
	}

	code, lines := e.errorLines([]map[string]any{item(mug.ID, 1), item(cup.ID, 1)}, 409)
	if code != "conflict" || len(lines) != 1 || lines[0] != (shortage{cup.ID, 0, "stock"}) {
		t.Fatalf("short cart: %s %+v", code, lines)
	}
	if got := *e.product(mug.ID).Stock; got != 2 {
		t.Fatalf("a refused cart took units: mug stock %d, want 2", got)
	}
	gone := "00000000-0000-4000-8000-000000000000"
	if code, lines := e.errorLines([]map[string]any{item(mug.ID, 1), item(gone, 1)}, 404); code != "not_found" ||
		len(lines) != 1 || lines[0] != (shortage{gone, 0, "unavailable"}) {
		t.Fatalf("unknown product: %s %+v", code, lines)
	}
	var eur product
	e.admin().MustDo("POST", "/api/admin/products", map[string]any{"name": "Tasse", "unit_amount": 900, "currency": "eur"}, 201, &eur)
	e.client().MustDo("POST", "/api/checkout", map[string]any{"items": []map[string]any{item(mug.ID, 1), item(eur.ID, 1)}}, 400, nil)
	e.client().MustDo("POST", "/api/checkout", map[string]any{"items": []map[string]any{item(mug.ID, 1), item(mug.ID, 1)}}, 400, nil)
	e.client().MustDo("POST", "/api/checkout", map[string]any{"items": []map[string]any{}}, 400, nil)
	e.client().MustDo("POST", "/api/checkout", map[string]any{"items": []map[string]any{item(mug.ID, 1)}, "product_id": mug.ID}, 400, nil)
	many := make([]map[string]any, 51)
	for i := range many {
		many[i] = item(pen.ID, 1)
	}
	e.client().MustDo("POST", "/api/checkout", map[string]any{"items": many}, 400, nil)

	// The one-product form still works, with its 409 naming its line.
	e.buy(mug.ID, 2)
	r := e.client().MustDo("POST", "/api/checkout", map[string]any{"product_id": mug.ID, "quantity": 1}, 409, nil)
	var body struct {
		Error struct {
			Lines []shortage `json:"lines"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || len(body.Error.Lines) != 1 || body.Error.Lines[0] != (shortage{mug.ID, 0, "stock"}) {
		t.Fatalf("one-product 409: %s", r.Body)
	}
}

// A cart paid on the simulator, refunded line by line: the order stays
// paid until all of it is refunded, and restocked lines go back on the shelf.
func TestFlowCartPartialRefund(t *testing.T) {
	f := newFlow(t)
	mug, cup := f.createProduct(1000, 5), f.createProduct(250, 4)
	var s started
	f.client().MustDo("POST", "/api/checkout", map[string]any{"items": []map[string]any{item(mug.ID, 2), item(cup.ID, 4)}}, 201, &s)
	f.pay(s, "paid")
	f.waitStatus(s.OrderID, "paid")
	if o := f.cartOrder(s.OrderID); o.AmountTotal != 3000 || o.Flagged {
		t.Fatalf("paid cart: %+v", o)
	}

	var o cartOrder
	f.admin().MustDo("POST", "/api/admin/orders/"+s.OrderID+"/refund",
		map[string]any{"lines": []map[string]any{item(cup.ID, 3)}, "restock": true}, 200, &o)
	if o.Status != "paid" || o.AmountRefunded != 750 || o.Lines[1].RefundedQuantity != 3 || o.Lines[0].RefundedQuantity != 0 {
		t.Fatalf("after a partial refund: %+v", o)
	}
	if got := *f.product(cup.ID).Stock; got != 3 {
		t.Fatalf("cup stock after restocking 3 = %d", got)
	}
	f.admin().MustDo("POST", "/api/admin/orders/"+s.OrderID+"/refund",
		map[string]any{"lines": []map[string]any{item(cup.ID, 2)}}, 400, nil) // only 1 left
	f.admin().MustDo("POST", "/api/admin/orders/"+s.OrderID+"/refund", map[string]any{"amount": 250}, 200, &o)
	if o.Status != "paid" || o.AmountRefunded != 1000 {
		t.Fatalf("after refunding an amount: %+v", o)
	}
	eventually(t, "the partial charge.refunded events recorded", func() bool {
		n := 0
		for _, ev := range f.order(s.OrderID).Events {
			if ev.Type == "charge.refunded" {
				n++
			}
		}
		return n == 2
	})
	if o := f.cartOrder(s.OrderID); o.Status != "paid" || o.AmountRefunded != 1000 {
		t.Fatalf("after Stripe's partial refund events: %+v", o)
	}
	var stats struct {
		Days []struct {
			Orders  int64            `json:"orders"`
			Revenue map[string]int64 `json:"revenue"`
		} `json:"days"`
	}
	f.admin().MustDo("GET", "/api/admin/stats?days=1", nil, 200, &stats)
	if len(stats.Days) != 1 || stats.Days[0].Orders != 1 || stats.Days[0].Revenue["usd"] != 2000 {
		t.Fatalf("stats after refunding 1000 of 3000: %+v, want revenue 2000", stats)
	}
	f.admin().MustDo("POST", "/api/admin/orders/"+s.OrderID+"/refund", nil, 200, &o)
	if o.Status != "refunded" || o.AmountRefunded != 3000 || o.Lines[0].RefundedQuantity != 2 {
		t.Fatalf("after the full refund: %+v", o)
	}
	if got := *f.product(mug.ID).Stock; got != 3 {
		t.Fatalf("mug stock after a refund without restock = %d, want 3", got)
	}
}

// Shipping rates are created, listed, edited and archived, never deleted.
func TestAdminShippingRates(t *testing.T) {
	e := newEnv(t)
	type rate struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Amount   int64  `json:"amount"`
		Currency string `json:"currency"`
		MinDays  *int64 `json:"min_days"`
		MaxDays  *int64 `json:"max_days"`
		Active   bool   `json:"active"`
	}
	var r rate
	e.admin().MustDo("POST", "/api/admin/shipping-rates", map[string]any{"name": " Standard ", "amount": 500, "currency": "USD", "min_days": 2, "max_days": 5}, 201, &r)
	if r.Name != "Standard" || r.Currency != "usd" || !r.Active || *r.MinDays != 2 || *r.MaxDays != 5 {
		t.Fatalf("created: %+v", r)
	}
	for _, bad := range []map[string]any{
		{"name": "", "amount": 500, "currency": "usd"},
		{"name": "X", "amount": -1, "currency": "usd"},
		{"name": "X", "amount": 1, "currency": "xxx"},
		{"name": "X", "amount": 1, "currency": "usd", "min_days": 5, "max_days": 2},
		{"name": "X", "amount": 1},
		{"name": "X", "amount": 1, "currency": "usd", "colour": "red"},
	} {
		e.admin().MustDo("POST", "/api/admin/shipping-rates", bad, 400, nil)
	}
	e.admin().MustDo("PATCH", "/api/admin/shipping-rates/"+r.ID, map[string]any{"active": false, "max_days": nil}, 200, &r)
	if r.Active || r.MaxDays != nil || r.Amount != 500 {
		t.Fatalf("archived: %+v", r)
	}
	e.admin().MustDo("PATCH", "/api/admin/shipping-rates/00000000-0000-4000-8000-000000000000", map[string]any{"active": true}, 404, nil)
	e.admin().MustDo("DELETE", "/api/admin/shipping-rates/"+r.ID, nil, 405, nil)
	var list struct {
		Rates []rate `json:"shipping_rates"`
	}
	e.admin().MustDo("GET", "/api/admin/shipping-rates", nil, 200, &list)
	if len(list.Rates) != 1 || list.Rates[0].ID != r.ID {
		t.Fatalf("list: %+v", list)
	}
	e.client().MustDo("GET", "/api/admin/shipping-rates", nil, 401, nil)
}

// Orders are found by a product of theirs, by part of the customer's
// e-mail or by number, and exported for a date range as CSV that a
// spreadsheet reads as text.
func TestAdminOrderSearchAndExport(t *testing.T) {
	e := newEnv(t)
	var odd product
	e.admin().MustDo("POST", "/api/admin/products", map[string]any{"name": `=HYPERLINK("x"), "big" Mug`, "unit_amount": 1250, "currency": "usd", "stock": 5}, 201, &odd)
	plain := e.createProduct(1000, 5)
	a := e.buy(odd.ID, 1)
	var b started
	e.client().MustDo("POST", "/api/checkout", map[string]any{"items": []map[string]any{item(plain.ID, 2), item(odd.ID, 1)}}, 201, &b)
	c := e.buy(plain.ID, 1)
	pa := paidEvent(a, e.order(a.OrderID))
	pa.Email = "Ada@Example.com"
	e.mustDeliver(pa.payload())
	pc := paidEvent(c, e.order(c.OrderID))
	pc.Email = "=1+2@example.org"
	e.mustDeliver(pc.payload())

	list := func(query string) []string {
		t.Helper()
		var out struct {
			Orders []order `json:"orders"`
		}
		e.admin().MustDo("GET", "/api/admin/orders?"+query, nil, 200, &out)
		var ids []string
		for _, o := range out.Orders {
			ids = append(ids, o.ID)
		}
		return ids
	}
	for query, want := range map[string][]string{
		"product_id=" + odd.ID:         {b.OrderID, a.OrderID},
		"product_id=" + plain.ID:       {c.OrderID, b.OrderID},
		"q=ada%40EXAMPLE":              {a.OrderID},
		"q=example":                    {c.OrderID, a.OrderID},
		"q=%23" + fmt.Sprint(b.Number): {b.OrderID},
		"q=" + fmt.Sprint(c.Number):    {c.OrderID},
		"q=nobody":                     nil,
		"q=ada&product_id=" + plain.ID: nil,
	} {
		if got := list(query); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v", query, got, want)
		}
	}
	e.admin().MustDo("GET", "/api/admin/orders?product_id=nope", nil, 400, nil)

	today := time.Now().UTC().Format(time.DateOnly)
	r := e.admin().MustDo("GET", "/api/admin/orders/export.csv?from="+today+"&to="+today, nil, 200, nil)
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("headers: %v", r.Header)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "number" {
		t.Fatalf("csv: %v\n%s", err, r.Body)
	}
	byID := map[string][]string{}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, row := range rows[1:] {
		byID[row[col["id"]]] = row
	}
	if got := byID[a.OrderID]; got[col["lines"]] != `1 x =HYPERLINK("x"), "big" Mug @ 12.50` ||
		got[col["total"]] != "12.50" || got[col["status"]] != "paid" || got[col["customer_email"]] != "Ada@Example.com" {
		t.Errorf("order a: %q", got)
	}
	if got := byID[c.OrderID][col["customer_email"]]; got != "'=1+2@example.org" {
		t.Errorf("a formula in a cell: %q, want it quoted", got)
	}
	if got := byID[b.OrderID][col["lines"]]; !strings.HasPrefix(got, "2 x Mug @ 10.00; 1 x ") {
		t.Errorf("cart lines: %q", got)
	}
	e.admin().MustDo("GET", "/api/admin/orders/export.csv?from="+today, nil, 400, nil)
	e.admin().MustDo("GET", "/api/admin/orders/export.csv?from=2026-12-01&to=2026-11-01", nil, 400, nil)
	r = e.admin().MustDo("GET", "/api/admin/orders/export.csv?from=2020-01-01&to=2020-01-31", nil, 200, nil)
	if strings.TrimSpace(string(r.Body)) != strings.Join(exportHeader, ",") {
		t.Errorf("an empty range: %q", r.Body)
	}
}

var exportHeader = []string{"number", "id", "created_at", "paid_at", "status", "customer_email", "currency",
	"subtotal", "discount", "shipping", "tax", "total", "refunded", "promotion_code",
	"shipping_name", "shipping_line1", "shipping_line2", "shipping_city", "shipping_state", "shipping_postal_code",
	"shipping_country", "shipping_rate", "lines"}

package httpapi_test

import (
	"encoding/json"
	"testing"
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
	f.admin().MustDo("POST", "/api/admin/orders/"+s.OrderID+"/refund", nil, 200, &o)
	if o.Status != "refunded" || o.AmountRefunded != 3000 || o.Lines[0].RefundedQuantity != 2 {
		t.Fatalf("after the full refund: %+v", o)
	}
	if got := *f.product(mug.ID).Stock; got != 3 {
		t.Fatalf("mug stock after a refund without restock = %d, want 3", got)
	}
}

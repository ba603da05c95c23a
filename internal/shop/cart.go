package shop

import (
	"fmt"
	"strconv"
)

// Item is one line of a cart as the customer asks for it.
type Item struct {
	ProductID string `json:"product_id"`
	Quantity  int64  `json:"quantity"`
}

// MaxLines is the most lines one order may have.
const MaxLines = 50

// Why a line of a cart cannot be had.
const (
	ShortStock       = "stock"         // not enough units left
	ShortClientCap   = "client_cap"    // the client holds too many units in open orders
	ShortMaxPerOrder = "max_per_order" // more than one order of the product may hold
	ShortUnavailable = "unavailable"   // unknown or archived product
)

// Shortage names a line of a cart that cannot be had, the units that could
// be, and why.
type Shortage struct {
	ProductID string `json:"product_id"`
	Available int64  `json:"available"`
	Reason    string `json:"reason"`
}

// CheckItems validates a cart before anything is read: 1 to MaxLines
// lines, each product once, with a quantity of 1 to MaxQuantity. It
// returns the items with their ids in canonical form. A cart of one line
// reports its quantity's fault on "quantity", as the one-product form did.
func CheckItems(items []Item) ([]Item, error) {
	if len(items) < 1 || len(items) > MaxLines {
		return nil, Invalid(map[string]string{"items": "must have between 1 and 50 lines"})
	}
	out := make([]Item, len(items))
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		field := "items[" + strconv.Itoa(i) + "]"
		if len(items) == 1 {
			field = ""
		}
		if it.Quantity < MinQuantity || it.Quantity > MaxQuantity {
			return nil, Invalid(map[string]string{join(field, "quantity"): "must be between 1 and 100"})
		}
		id, ok := ParseID(it.ProductID)
		if !ok {
			return nil, &Error{Code: ErrNotFound, Message: "product not found",
				Lines: []Shortage{{ProductID: it.ProductID, Reason: ShortUnavailable}}}
		}
		if seen[id] {
			return nil, Invalid(map[string]string{join(field, "product_id"): "is in the cart twice; one line per product"})
		}
		seen[id] = true
		out[i] = Item{ProductID: id, Quantity: it.Quantity}
	}
	return out, nil
}

func join(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

// Cart is a checkout being decided: the items asked for, the products as
// they stand (locked by the caller), and the units the client already
// holds in open orders against its cap (0 for no cap).
type Cart struct {
	Items    []Item
	Products map[string]Product
	Held     int64
	MaxUnits int64
}

// Lines decides a cart: its lines at the products' current names and
// prices, each reserving its quantity from limited stock, or the error
// that names what cannot be had. All lines or none.
func (c Cart) Lines() ([]Line, error) {
	var (
		lines    []Line
		missing  []Shortage
		currency string
		total    int64
		units    int64
	)
	for _, it := range c.Items {
		p, ok := c.Products[it.ProductID]
		if !ok || !p.Active {
			missing = append(missing, Shortage{ProductID: it.ProductID, Reason: ShortUnavailable})
			continue
		}
		if currency != "" && p.Currency != currency {
			return nil, Invalid(map[string]string{"items": "must all be priced in one currency"})
		}
		currency = p.Currency
		l := Line{ProductID: p.ID, ProductName: p.Name, UnitAmount: p.UnitAmount, Quantity: it.Quantity,
			AmountSubtotal: p.UnitAmount * it.Quantity, TaxCode: p.TaxCode}
		if p.Stock != nil {
			l.Reserved = it.Quantity
		}
		lines = append(lines, l)
		total += l.AmountSubtotal
		units += it.Quantity
	}
	if len(missing) > 0 {
		return nil, &Error{Code: ErrNotFound, Message: "product not found", Lines: missing}
	}
	var short []Shortage
	for _, it := range c.Items {
		if p := c.Products[it.ProductID]; p.MaxPerOrder != nil && it.Quantity > *p.MaxPerOrder {
			short = append(short, Shortage{ProductID: p.ID, Available: *p.MaxPerOrder, Reason: ShortMaxPerOrder})
		}
	}
	if len(short) > 0 {
		msg := fmt.Sprintf("quantity must be at most %d for this product", short[0].Available)
		if len(c.Items) == 1 {
			// The one-product form's answer, as before carts.
			return nil, &Error{Code: ErrInvalid, Message: msg,
				Fields: map[string]string{"quantity": fmt.Sprintf("must be at most %d for this product", short[0].Available)}, Lines: short}
		}
		return nil, &Error{Code: ErrConflict, Message: "some lines ask for more than one order may hold: " + msg, Lines: short}
	}
	if total > MaxUnitAmount {
		// Stripe's largest charge has eight digits.
		return nil, Invalid(map[string]string{"quantity": "makes a total above the largest amount a payment can take"})
	}
	if c.MaxUnits > 0 && c.Held+units > c.MaxUnits {
		left := max(c.MaxUnits-c.Held, 0)
		for _, it := range c.Items {
			short = append(short, Shortage{ProductID: it.ProductID, Available: min(left, it.Quantity), Reason: ShortClientCap})
		}
		return nil, &Error{Code: ErrConflict, Lines: short, Message: fmt.Sprintf(
			"you already hold %d units in checkouts not yet paid, and one customer may hold at most %d at once; "+
				"finish or cancel a checkout, or wait for it to expire", c.Held, c.MaxUnits)}
	}
	for _, it := range c.Items {
		if p := c.Products[it.ProductID]; p.Stock != nil && *p.Stock < it.Quantity {
			short = append(short, Shortage{ProductID: p.ID, Available: *p.Stock, Reason: ShortStock})
		}
	}
	if len(short) > 0 {
		return nil, &Error{Code: ErrConflict, Message: "not enough stock", Lines: short}
	}
	return lines, nil
}

// NewOrder is the order a decided cart places: its lines and totals, the
// first line's product in the one-product fields.
func NewOrder(lines []Line, currency string) Order {
	o := Order{Status: StatusPending, Lines: lines, Currency: currency}
	for _, l := range lines {
		o.AmountSubtotal += l.AmountSubtotal
	}
	o.AmountTotal = o.AmountSubtotal
	if len(lines) > 0 {
		f := lines[0]
		o.ProductID, o.ProductName, o.UnitAmount, o.Quantity = f.ProductID, f.ProductName, f.UnitAmount, f.Quantity
	}
	return o
}

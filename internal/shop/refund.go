package shop

import (
	"fmt"
	"time"
)

// RefundRequest is what an admin asks to refund: chosen lines (product and
// quantity), or an amount, or, with neither, all that is left. Restock
// puts the refunded lines' reserved units back in stock (all of them for a
// full refund).
type RefundRequest struct {
	Lines   []Item `json:"lines"`
	Amount  int64  `json:"amount"`
	Restock bool   `json:"restock"`
}

// Full reports whether the request refunds all that is left.
func (r RefundRequest) Full() bool { return len(r.Lines) == 0 && r.Amount == 0 }

// RefundAmount checks a refund request against the order and returns the
// amount to refund now: the chosen lines at the unit price they were sold
// for, or the amount asked, never more than is left of what was paid; 0
// for a full refund (Stripe refunds what is left). A partial refund of an
// order with a discount refunds the list price of its lines, capped to
// what is left: refund an amount to refund otherwise.
func (o Order) RefundAmount(r RefundRequest) (int64, error) {
	if o.Status != StatusPaid {
		return 0, Errorf(ErrConflict, "only a paid order can be refunded; this one is %s", o.Status)
	}
	left := o.AmountTotal - o.AmountRefunded
	if len(r.Lines) > 0 && r.Amount != 0 {
		return 0, Invalid(map[string]string{"amount": "give lines or an amount, not both"})
	}
	if r.Amount < 0 || r.Amount > left {
		return 0, Invalid(map[string]string{"amount": fmt.Sprintf("must be between 1 and %d, what is left to refund", left)})
	}
	if r.Full() {
		return 0, nil
	}
	if r.Amount > 0 {
		return r.Amount, nil
	}
	var amount int64
	seen := map[string]bool{}
	for i, it := range r.Lines {
		l, ok := o.line(it.ProductID)
		field := fmt.Sprintf("lines[%d]", i)
		switch {
		case !ok || seen[it.ProductID]:
			return 0, Invalid(map[string]string{field + ".product_id": "is not a line of the order, or is given twice"})
		case it.Quantity < 1 || it.Quantity > l.Quantity-l.RefundedQuantity:
			return 0, Invalid(map[string]string{field + ".quantity": fmt.Sprintf("must be between 1 and %d, the units not yet refunded", l.Quantity-l.RefundedQuantity)})
		}
		seen[it.ProductID] = true
		amount += l.UnitAmount * it.Quantity
	}
	return min(amount, left), nil
}

func (o Order) line(productID string) (Line, bool) {
	for _, l := range o.Lines {
		if l.ProductID == productID {
			return l, true
		}
	}
	return Line{}, false
}

// Refunded returns the step that records a refund Stripe accepted: the
// lines' refunded quantities, the amount refunded (total is the order's
// amount refunded once this refund is in, as computed before asking
// Stripe, so a charge.refunded that recorded it first is not counted
// twice), the restocked units, and the move to refunded once all was
// refunded. The order may have become refunded meanwhile (Stripe's
// charge.refunded came first); false when it is neither paid nor refunded.
func (o Order) Refunded(r RefundRequest, total int64, at time.Time) (Move, bool) {
	if o.Status != StatusPaid && o.Status != StatusRefunded {
		return Move{}, false
	}
	var m Move
	if r.Full() && o.Status == StatusPaid {
		m, _ = o.Move(StatusRefunded, at, Change{})
	} else {
		m = Move{From: o.Status, Order: o}
		m.Order.Lines = append([]Line(nil), o.Lines...)
	}
	n := &m.Order
	asked := map[string]int64{}
	for _, it := range r.Lines {
		asked[it.ProductID] = it.Quantity
	}
	for i := range n.Lines {
		l := &n.Lines[i]
		l.RefundedQuantity = min(l.Quantity, l.RefundedQuantity+asked[l.ProductID])
	}
	n.AmountRefunded = max(n.AmountRefunded, min(total, n.AmountTotal))
	if n.Status == StatusPaid && n.AmountRefunded >= n.AmountTotal {
		full, _ := n.Move(StatusRefunded, at, Change{})
		m.Order = full.Order
	}
	if r.Restock {
		m.Released = n.release(func(l Line) int64 {
			if r.Full() {
				return 0
			}
			return max(l.Reserved-asked[l.ProductID], 0)
		})
	}
	return m, true
}

// RefundReported returns the step that records what Stripe reports as
// refunded of a paid order's payment (a partial refund: the order stays
// paid), and false when that changes nothing.
func (o Order) RefundReported(amountRefunded int64) (Move, bool) {
	if o.Status != StatusPaid || amountRefunded <= o.AmountRefunded {
		return Move{}, false
	}
	m := Move{From: o.Status, Order: o}
	m.Order.AmountRefunded = min(amountRefunded, o.AmountTotal)
	return m, true
}

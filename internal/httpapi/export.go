package httpapi

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// exportColumns is the header of the orders CSV. Amounts are in the
// currency's major unit (12.50), as a bookkeeper reads them.
var exportColumns = []string{"number", "id", "created_at", "paid_at", "status", "customer_email", "currency",
	"subtotal", "discount", "shipping", "tax", "total", "refunded", "promotion_code",
	"shipping_name", "shipping_line1", "shipping_line2", "shipping_city", "shipping_state", "shipping_postal_code",
	"shipping_country", "shipping_rate", "lines"}

// handleExportOrders answers GET /api/admin/orders/export.csv?from=&to=:
// every order created from the first day to the last (UTC, both included),
// oldest first, as CSV.
func handleExportOrders(pool *pgxpool.Pool) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		from, to, err := exportRange(r)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="orders-%s-to-%s.csv"`,
			from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly)))
		cw := csv.NewWriter(w)
		started := false
		err = postgres.NewOrders(pool).Export(r.Context(), from, to, func(o shop.Order) error {
			if !started {
				started = true
				if err := cw.Write(exportColumns); err != nil {
					return err
				}
			}
			return cw.Write(exportRow(o))
		})
		if err != nil && !started {
			return err // nothing written yet: an answer in the error shape
		}
		if err != nil {
			// The header is out: the truncated file must not pass for a whole one.
			logger(r).Error("orders export failed half-way", "err", err)
			panic(http.ErrAbortHandler)
		}
		if !started {
			if err := cw.Write(exportColumns); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}

// exportRange reads from and to (YYYY-MM-DD, UTC) into [from, to+1 day).
func exportRange(r *http.Request) (time.Time, time.Time, error) {
	q := r.URL.Query()
	fields := map[string]string{}
	day := func(name string) time.Time {
		d, err := time.Parse(time.DateOnly, q.Get(name))
		if err != nil {
			fields[name] = "is required, a date like 2026-11-01"
		}
		return d
	}
	from, to := day("from"), day("to")
	switch {
	case len(fields) > 0:
	case to.Before(from):
		fields["to"] = "must not be before from"
	case to.Sub(from) > 366*24*time.Hour:
		fields["to"] = "must be at most 366 days after from"
	}
	if len(fields) > 0 {
		return time.Time{}, time.Time{}, shop.Invalid(fields)
	}
	return from, to.AddDate(0, 0, 1), nil
}

func exportRow(o shop.Order) []string {
	money := func(n int64) string { return majorUnits(n, o.Currency) }
	paid := ""
	if o.PaidAt != nil {
		paid = o.PaidAt.UTC().Format(time.RFC3339)
	}
	var ship shop.Shipping
	if o.Shipping != nil {
		ship = *o.Shipping
	}
	lines := make([]string, len(o.Lines))
	for i, l := range o.Lines {
		lines[i] = fmt.Sprintf("%d x %s @ %s", l.Quantity, l.ProductName, money(l.UnitAmount))
	}
	row := []string{strconv.FormatInt(o.Number, 10), o.ID, o.CreatedAt.UTC().Format(time.RFC3339), paid, string(o.Status),
		o.CustomerEmail, o.Currency, money(o.AmountSubtotal), money(o.AmountDiscount), money(o.AmountShipping),
		money(o.AmountTax), money(o.AmountTotal), money(o.AmountRefunded), o.PromotionCode,
		ship.Name, ship.Address.Line1, ship.Address.Line2, ship.Address.City, ship.Address.State, ship.Address.PostalCode,
		ship.Address.Country, ship.RateName, strings.Join(lines, "; ")}
	for i, cell := range row {
		row[i] = defuseFormula(cell)
	}
	return row
}

// defuseFormula keeps a spreadsheet from running a cell as a formula
// (CSV injection): a cell a customer or an admin wrote that starts with
// = + - @, a tab or a carriage return is prefixed with a single quote.
func defuseFormula(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

// zeroDecimal are the supported currencies without a minor unit.
var zeroDecimal = map[string]bool{"jpy": true}

// majorUnits writes an amount in minor units in the currency's major unit.
func majorUnits(n int64, currency string) string {
	if zeroDecimal[currency] {
		return strconv.FormatInt(n, 10)
	}
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return fmt.Sprintf("%s%d.%02d", sign, n/100, n%100)
}

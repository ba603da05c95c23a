package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/stripeshop/stripeshop/internal/shop"
)

// ShippingRates stores the shipping rates offered at checkout.
type ShippingRates struct{ db DBTX }

// NewShippingRates returns the shipping rate store over db.
func NewShippingRates(db DBTX) *ShippingRates { return &ShippingRates{db: db} }

const shippingRateColumns = `id::text, name, amount, currency, min_days, max_days, active, created_at, updated_at`

func scanShippingRate(row pgx.Row) (shop.ShippingRate, error) {
	var (
		r      shop.ShippingRate
		lo, hi *int32
	)
	err := row.Scan(&r.ID, &r.Name, &r.Amount, &r.Currency, &lo, &hi, &r.Active, &r.CreatedAt, &r.UpdatedAt)
	if lo != nil {
		v := int64(*lo)
		r.MinDays = &v
	}
	if hi != nil {
		v := int64(*hi)
		r.MaxDays = &v
	}
	return r, translate(err)
}

// List returns every rate, active ones first, by currency and amount.
func (s *ShippingRates) List(ctx context.Context) ([]shop.ShippingRate, error) {
	return collectShippingRates(s.db.Query(ctx, `SELECT `+shippingRateColumns+` FROM shipping_rates
		ORDER BY active DESC, currency, amount, name, id`))
}

// Active returns the active rates of a currency, cheapest first.
func (s *ShippingRates) Active(ctx context.Context, currency string) ([]shop.ShippingRate, error) {
	return collectShippingRates(s.db.Query(ctx, `SELECT `+shippingRateColumns+` FROM shipping_rates
		WHERE active AND currency = $1 ORDER BY amount, name, id`, currency))
}

// Get returns one rate, active or not.
func (s *ShippingRates) Get(ctx context.Context, id string) (shop.ShippingRate, error) {
	return scanShippingRate(s.db.QueryRow(ctx, `SELECT `+shippingRateColumns+` FROM shipping_rates WHERE id = $1`, id))
}

// Create inserts r and returns it as stored.
func (s *ShippingRates) Create(ctx context.Context, r shop.ShippingRate) (shop.ShippingRate, error) {
	return scanShippingRate(s.db.QueryRow(ctx, `
		INSERT INTO shipping_rates (name, amount, currency, min_days, max_days, active)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+shippingRateColumns,
		r.Name, r.Amount, r.Currency, r.MinDays, r.MaxDays, r.Active))
}

// Update writes every editable field of r.
func (s *ShippingRates) Update(ctx context.Context, r shop.ShippingRate) (shop.ShippingRate, error) {
	return scanShippingRate(s.db.QueryRow(ctx, `
		UPDATE shipping_rates SET name = $2, amount = $3, currency = $4, min_days = $5, max_days = $6,
			active = $7, updated_at = now()
		WHERE id = $1 RETURNING `+shippingRateColumns,
		r.ID, r.Name, r.Amount, r.Currency, r.MinDays, r.MaxDays, r.Active))
}

// GetForUpdate returns one rate and locks it for the rest of the transaction.
func (s *ShippingRates) GetForUpdate(ctx context.Context, id string) (shop.ShippingRate, error) {
	return scanShippingRate(s.db.QueryRow(ctx, `SELECT `+shippingRateColumns+` FROM shipping_rates WHERE id = $1 FOR UPDATE`, id))
}

func collectShippingRates(rows pgx.Rows, err error) ([]shop.ShippingRate, error) {
	return collect(rows, err, scanShippingRate)
}

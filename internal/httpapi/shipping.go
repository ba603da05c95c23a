package httpapi

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// shippingRateBody is a shipping rate as an admin sends it; nil means absent.
type shippingRateBody struct {
	Name     *string     `json:"name"`
	Amount   *int64      `json:"amount"`
	Currency *string     `json:"currency"`
	MinDays  optionalInt `json:"min_days"`
	MaxDays  optionalInt `json:"max_days"`
	Active   *bool       `json:"active"`
}

// apply returns r with the fields the body sends.
func (b shippingRateBody) apply(r shop.ShippingRate) shop.ShippingRate {
	if b.Name != nil {
		r.Name = strings.TrimSpace(*b.Name)
	}
	if b.Amount != nil {
		r.Amount = *b.Amount
	}
	if b.Currency != nil {
		r.Currency = strings.ToLower(strings.TrimSpace(*b.Currency))
	}
	if b.MinDays.Set {
		r.MinDays = b.MinDays.Value
	}
	if b.MaxDays.Set {
		r.MaxDays = b.MaxDays.Value
	}
	if b.Active != nil {
		r.Active = *b.Active
	}
	return r
}

func handleListShippingRates(pool *pgxpool.Pool) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		rates, err := postgres.NewShippingRates(pool).List(r.Context())
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, map[string]any{"shipping_rates": rates})
	})
}

func handleCreateShippingRate(pool *pgxpool.Pool) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		body, err := decode[shippingRateBody](w, r, maxJSONBody)
		if err != nil {
			return err
		}
		missing := map[string]string{}
		for field, absent := range map[string]bool{"name": body.Name == nil, "amount": body.Amount == nil, "currency": body.Currency == nil} {
			if absent {
				missing[field] = "is required"
			}
		}
		if len(missing) > 0 {
			return shop.Invalid(missing)
		}
		rate := body.apply(shop.ShippingRate{Active: true})
		if err := rate.Validate(); err != nil {
			return err
		}
		rate, err = postgres.NewShippingRates(pool).Create(r.Context(), rate)
		if err != nil {
			return err
		}
		logger(r).Info("shipping rate created", "shipping_rate_id", rate.ID)
		return encode(w, http.StatusCreated, rate)
	})
}

// handleUpdateShippingRate changes the fields sent; "active": false
// archives a rate (rates are never deleted: orders name them).
func handleUpdateShippingRate(pool *pgxpool.Pool) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		id, ok := shop.ParseID(chi.URLParam(r, "id"))
		if !ok {
			return shop.Errorf(shop.ErrNotFound, "shipping rate not found")
		}
		body, err := decode[shippingRateBody](w, r, maxJSONBody)
		if err != nil {
			return err
		}
		var out shop.ShippingRate
		err = postgres.InTx(r.Context(), pool, func(tx *postgres.Tx) error {
			rates := postgres.NewShippingRates(tx)
			rate, err := rates.GetForUpdate(r.Context(), id)
			if err != nil {
				return err
			}
			rate = body.apply(rate)
			if err := rate.Validate(); err != nil {
				return err
			}
			out, err = rates.Update(r.Context(), rate)
			return err
		})
		if shop.ErrorCode(err) == shop.ErrNotFound {
			return shop.Errorf(shop.ErrNotFound, "shipping rate not found")
		}
		if err != nil {
			return err
		}
		logger(r).Info("shipping rate updated", "shipping_rate_id", id, "active", out.Active)
		return encode(w, http.StatusOK, out)
	})
}

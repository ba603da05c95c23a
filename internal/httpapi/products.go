package httpapi

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// productBody is a product as a client sends it; nil means absent.
type productBody struct {
	Name        *string     `json:"name"`
	Description *string     `json:"description"`
	UnitAmount  *int64      `json:"unit_amount"`
	Currency    *string     `json:"currency"`
	ImageURL    *string     `json:"image_url"`
	Stock       optionalInt `json:"stock"`
	MaxPerOrder optionalInt `json:"max_per_order"`
	TaxCode     *string     `json:"tax_code"`
	Active      *bool       `json:"active"`
}

func (b productBody) patch() shop.ProductPatch {
	p := shop.ProductPatch{Name: b.Name, Description: b.Description, UnitAmount: b.UnitAmount,
		ImageURL: b.ImageURL, SetStock: b.Stock.Set, Stock: b.Stock.Value, Active: b.Active,
		SetMaxPerOrder: b.MaxPerOrder.Set, MaxPerOrder: b.MaxPerOrder.Value}
	if b.TaxCode != nil {
		tc := strings.TrimSpace(*b.TaxCode)
		p.TaxCode = &tc
	}
	if b.Currency != nil {
		c := strings.ToLower(strings.TrimSpace(*b.Currency))
		p.Currency = &c
	}
	if b.Name != nil {
		n := strings.TrimSpace(*b.Name)
		p.Name = &n
	}
	if b.ImageURL != nil {
		u := strings.TrimSpace(*b.ImageURL)
		p.ImageURL = &u
	}
	return p
}

func productID(r *http.Request) (string, error) {
	id, ok := shop.ParseID(chi.URLParam(r, "id"))
	if !ok {
		return "", shop.Errorf(shop.ErrNotFound, "product not found")
	}
	return id, nil
}

// handleListProducts answers the public list from the catalog cache.
func handleListProducts(cat *CatalogCache) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		pg, err := cat.list(r.Context())
		if err != nil {
			return err
		}
		pg.ServeHTTP(w, r)
		return nil
	})
}

// handleGetProduct answers one active product from the catalog cache.
func handleGetProduct(cat *CatalogCache) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		id, err := productID(r)
		if err != nil {
			return err
		}
		pg, err := cat.product(r.Context(), id)
		if err != nil {
			return err
		}
		pg.ServeHTTP(w, r)
		return nil
	})
}

// handleAdminListProducts lists every product, inactive ones included,
// from Postgres: an admin sees the rows as they are.
func handleAdminListProducts(pool *pgxpool.Pool) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		products, err := postgres.NewProducts(pool).List(r.Context(), true)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, productList(products))
	})
}

func handleAdminGetProduct(pool *pgxpool.Pool) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		id, err := productID(r)
		if err != nil {
			return err
		}
		p, err := postgres.NewProducts(pool).Get(r.Context(), id)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, p)
	})
}

func handleCreateProduct(pool *pgxpool.Pool, cat *CatalogCache) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		body, err := decode[productBody](w, r, maxJSONBody)
		if err != nil {
			return err
		}
		missing := map[string]string{}
		if body.Name == nil {
			missing["name"] = "is required"
		}
		if body.UnitAmount == nil {
			missing["unit_amount"] = "is required"
		}
		if body.Currency == nil {
			missing["currency"] = "is required"
		}
		if len(missing) > 0 {
			return shop.Invalid(missing)
		}
		p := body.patch().Apply(shop.Product{Active: true})
		if err := p.Validate(); err != nil {
			return err
		}
		p, err = postgres.NewProducts(pool).Create(r.Context(), p)
		if err != nil {
			return err
		}
		cat.Invalidate()
		logger(r).Info("product created", "product_id", p.ID)
		return encode(w, http.StatusCreated, p)
	})
}

func handleUpdateProduct(pool *pgxpool.Pool, cat *CatalogCache) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		id, err := productID(r)
		if err != nil {
			return err
		}
		body, err := decode[productBody](w, r, maxJSONBody)
		if err != nil {
			return err
		}
		var out shop.Product
		err = postgres.InTx(r.Context(), pool, func(tx *postgres.Tx) error {
			products := postgres.NewProducts(tx)
			p, err := products.GetForUpdate(r.Context(), id)
			if err != nil {
				return err
			}
			p = body.patch().Apply(p)
			if err := p.Validate(); err != nil {
				return err
			}
			out, err = products.Update(r.Context(), p)
			return err
		})
		if err != nil {
			return err
		}
		cat.Invalidate()
		logger(r).Info("product updated", "product_id", id)
		return encode(w, http.StatusOK, out)
	})
}

func handleDeleteProduct(pool *pgxpool.Pool, cat *CatalogCache) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		id, err := productID(r)
		if err != nil {
			return err
		}
		archived, err := postgres.NewProducts(pool).Delete(r.Context(), id)
		if err != nil {
			return err
		}
		cat.Invalidate()
		logger(r).Info("product deleted", "product_id", id, "archived", archived)
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

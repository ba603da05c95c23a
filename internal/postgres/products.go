package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/stripeshop/stripeshop/internal/shop"
)

// Products stores the catalog.
type Products struct{ db DBTX }

// NewProducts returns the product store over db.
func NewProducts(db DBTX) *Products { return &Products{db: db} }

const productColumns = `id::text, name, description, unit_amount, currency, image_url, stock, max_per_order, tax_code, active, created_at, updated_at`

func scanProduct(row pgx.Row) (shop.Product, error) {
	p := shop.Product{Images: []shop.Image{}}
	err := row.Scan(&p.ID, &p.Name, &p.Description, &p.UnitAmount, &p.Currency, &p.ImageURL, &p.Stock, &p.MaxPerOrder, &p.TaxCode, &p.Active, &p.CreatedAt, &p.UpdatedAt)
	return p, translate(err)
}

func collectProducts(rows pgx.Rows, err error) ([]shop.Product, error) {
	return collect(rows, err, scanProduct)
}

// List returns the products with their pictures, newest first; only active
// ones unless all is set.
func (s *Products) List(ctx context.Context, all bool) ([]shop.Product, error) {
	products, err := collectProducts(s.db.Query(ctx, `
		SELECT `+productColumns+` FROM products
		WHERE active OR $1
		ORDER BY created_at DESC, id DESC`, all))
	if err != nil {
		return nil, err
	}
	if err := attachImages(ctx, s.db, products); err != nil {
		return nil, err
	}
	return products, nil
}

// Get returns one product with its pictures, active or not.
func (s *Products) Get(ctx context.Context, id string) (shop.Product, error) {
	p, err := scanProduct(s.db.QueryRow(ctx, `SELECT `+productColumns+` FROM products WHERE id = $1`, id))
	if err != nil {
		return p, err
	}
	ps := []shop.Product{p}
	err = attachImages(ctx, s.db, ps)
	return ps[0], err
}

// Create inserts p and returns it as stored.
func (s *Products) Create(ctx context.Context, p shop.Product) (shop.Product, error) {
	return scanProduct(s.db.QueryRow(ctx, `
		INSERT INTO products (name, description, unit_amount, currency, image_url, stock, active, max_per_order, tax_code)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING `+productColumns,
		p.Name, p.Description, p.UnitAmount, p.Currency, p.ImageURL, p.Stock, p.Active, p.MaxPerOrder, p.TaxCode))
}

// Update writes every editable field of p and returns it with its pictures.
func (s *Products) Update(ctx context.Context, p shop.Product) (shop.Product, error) {
	p, err := scanProduct(s.db.QueryRow(ctx, `
		UPDATE products SET name = $2, description = $3, unit_amount = $4, currency = $5,
			image_url = $6, stock = $7, active = $8, max_per_order = $9, tax_code = $10, updated_at = now()
		WHERE id = $1
		RETURNING `+productColumns,
		p.ID, p.Name, p.Description, p.UnitAmount, p.Currency, p.ImageURL, p.Stock, p.Active, p.MaxPerOrder, p.TaxCode))
	if err != nil {
		return p, err
	}
	ps := []shop.Product{p}
	err = attachImages(ctx, s.db, ps)
	return ps[0], err
}

// GetForUpdate locks the product row for the rest of the transaction.
func (s *Products) GetForUpdate(ctx context.Context, id string) (shop.Product, error) {
	return scanProduct(s.db.QueryRow(ctx, `SELECT `+productColumns+` FROM products WHERE id = $1 FOR UPDATE`, id))
}

// Delete removes a product that has no orders, or archives one that has.
// It reports whether the product was archived rather than deleted.
func (s *Products) Delete(ctx context.Context, id string) (archived bool, err error) {
	tag, err := s.db.Exec(ctx, `
		DELETE FROM products p WHERE p.id = $1
		AND NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.product_id = p.id)
		AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.product_id = p.id)`, id)
	if err != nil && shop.ErrorCode(translate(err)) != shop.ErrConflict {
		return false, translate(err)
	}
	// A checkout that committed an order meanwhile makes the DELETE fail on
	// the foreign key: archive the product instead.
	if err == nil && tag.RowsAffected() == 1 {
		return false, nil
	}
	tag, err = s.db.Exec(ctx, `UPDATE products SET active = false, updated_at = now() WHERE id = $1`, id)
	if err != nil {
		return false, translate(err)
	}
	if tag.RowsAffected() == 0 {
		return false, shop.Errorf(shop.ErrNotFound, "product not found")
	}
	return true, nil
}

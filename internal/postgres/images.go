package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/base64"

	"github.com/stripeshop/stripeshop/internal/images"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// Images stores uploaded pictures (content-addressed, migration 0008) and
// which product shows which, in what order.
type Images struct{ db DBTX }

// NewImages returns the picture store over db.
func NewImages(db DBTX) *Images { return &Images{db: db} }

// SaveMedia stores a processed picture unless its key is stored already;
// it reports whether it wrote it.
func (s *Images) SaveMedia(ctx context.Context, pic images.Picture) (bool, error) {
	tag, err := s.db.Exec(ctx, `
		INSERT INTO media (key, width, height, ext) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key) DO NOTHING`, pic.Key, pic.Width, pic.Height, pic.Ext)
	if err != nil || tag.RowsAffected() == 0 {
		return false, translate(err)
	}
	for _, v := range pic.Variants {
		sum := sha256.Sum256(v.Data)
		etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
		if _, err := s.db.Exec(ctx, `
			INSERT INTO media_variants (key, width, height, content_type, etag, data)
			VALUES ($1, $2, $3, $4, $5, $6)`, pic.Key, v.Width, v.Height, v.ContentType, etag, v.Data); err != nil {
			return false, translate(err)
		}
	}
	return true, nil
}

const imageSelect = `
	SELECT pi.id::text, pi.product_id::text, m.key, m.ext, m.width, m.height, pi.alt,
		(SELECT array_agg(v.width ORDER BY v.width) FROM media_variants v WHERE v.key = m.key)
	FROM product_images pi JOIN media m ON m.key = pi.media_key`

// ForProducts returns the pictures of each product, main one first.
func (s *Images) ForProducts(ctx context.Context, productIDs []string) (map[string][]shop.Image, error) {
	out := map[string][]shop.Image{}
	if len(productIDs) == 0 {
		return out, nil
	}
	rows, err := s.db.Query(ctx, imageSelect+`
		WHERE pi.product_id = ANY($1::uuid[])
		ORDER BY pi.product_id, pi.position, pi.created_at, pi.id`, productIDs)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, productID, key, ext, alt string
			w, h                         int
			widths                       []int32
		)
		if err := rows.Scan(&id, &productID, &key, &ext, &w, &h, &alt, &widths); err != nil {
			return nil, translate(err)
		}
		ws := make([]int, len(widths))
		for i, x := range widths {
			ws[i] = int(x)
		}
		out[productID] = append(out[productID], shop.NewImage(id, key, ext, w, h, alt, ws))
	}
	return out, translate(rows.Err())
}

// OfProduct returns one product's pictures, main one first (never nil).
func (s *Images) OfProduct(ctx context.Context, productID string) ([]shop.Image, error) {
	m, err := s.ForProducts(ctx, []string{productID})
	if err != nil {
		return nil, err
	}
	if m[productID] == nil {
		return []shop.Image{}, nil
	}
	return m[productID], nil
}

// Add shows the stored picture key on a product, last in its order. The
// product row is locked, so concurrent uploads take distinct positions.
// A picture the product shows already is returned as it is (added false).
func (s *Images) Add(ctx context.Context, productID, key, alt string) (img shop.Image, added bool, err error) {
	var n int
	if err := s.db.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM product_images WHERE product_id = p.id)
		FROM products p WHERE p.id = $1 FOR UPDATE`, productID).Scan(&n); err != nil {
		if shop.ErrorCode(translate(err)) == shop.ErrNotFound {
			return shop.Image{}, false, shop.Errorf(shop.ErrNotFound, "product not found")
		}
		return shop.Image{}, false, translate(err)
	}
	var id string
	err = s.db.QueryRow(ctx, `
		INSERT INTO product_images (product_id, media_key, alt, position)
		VALUES ($1, $2, $3, (SELECT coalesce(max(position) + 1, 0) FROM product_images WHERE product_id = $1))
		ON CONFLICT (product_id, media_key) DO NOTHING
		RETURNING id::text`, productID, key, alt).Scan(&id)
	switch code := shop.ErrorCode(translate(err)); {
	case err == nil:
		if n >= shop.MaxImagesPerProduct {
			return shop.Image{}, false, shop.Invalid(map[string]string{"file": "a product may have at most 12 images; delete one first"})
		}
		added = true
	case code != shop.ErrNotFound:
		return shop.Image{}, false, translate(err)
	}
	list, err := s.OfProduct(ctx, productID)
	if err != nil {
		return shop.Image{}, false, err
	}
	for _, im := range list {
		if (added && im.ID == id) || (!added && im.Key == key) {
			return im, added, nil
		}
	}
	return shop.Image{}, false, shop.Errorf(shop.ErrConflict, "it changed meanwhile; try again")
}

// Reorder puts a product's pictures in the order of ids, which must name
// each of them once.
func (s *Images) Reorder(ctx context.Context, productID string, ids []string) error {
	tag, err := s.db.Exec(ctx, `
		UPDATE product_images pi SET position = o.ord
		FROM unnest($2::uuid[]) WITH ORDINALITY AS o(id, ord)
		WHERE pi.id = o.id AND pi.product_id = $1
		AND (SELECT count(*) FROM product_images WHERE product_id = $1) = cardinality($2::uuid[])
		AND cardinality($2::uuid[]) = (SELECT count(DISTINCT x) FROM unnest($2::uuid[]) x)`, productID, ids)
	if err != nil {
		return translate(err)
	}
	if int(tag.RowsAffected()) != len(ids) {
		return shop.Invalid(map[string]string{"ids": "must list each of the product's images once"})
	}
	return nil
}

// SetMain moves a picture to the front of its product's order.
func (s *Images) SetMain(ctx context.Context, productID, id string) error {
	return s.one(s.db.Exec(ctx, `
		UPDATE product_images SET position =
			(SELECT min(position) - 1 FROM product_images WHERE product_id = $1)
		WHERE id = $2 AND product_id = $1`, productID, id))
}

// SetAlt changes a picture's alternative text.
func (s *Images) SetAlt(ctx context.Context, productID, id, alt string) error {
	return s.one(s.db.Exec(ctx, `UPDATE product_images SET alt = $3 WHERE id = $2 AND product_id = $1`, productID, id, alt))
}

// Remove takes a picture off a product; its stored bytes go when no product
// shows them any more (dropped: the key's variants are gone).
func (s *Images) Remove(ctx context.Context, productID, id string) (key string, dropped bool, err error) {
	if err := s.db.QueryRow(ctx, `
		DELETE FROM product_images WHERE id = $2 AND product_id = $1 RETURNING media_key`, productID, id).Scan(&key); err != nil {
		if shop.ErrorCode(translate(err)) == shop.ErrNotFound {
			return "", false, shop.Errorf(shop.ErrNotFound, "image not found")
		}
		return "", false, translate(err)
	}
	// Migration 0008's trigger dropped the bytes if this was their last use.
	err = s.db.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM media WHERE key = $1)`, key).Scan(&dropped)
	return key, dropped, translate(err)
}

func (s *Images) one(tag interface{ RowsAffected() int64 }, err error) error {
	if err != nil {
		if shop.ErrorCode(translate(err)) == shop.ErrNotFound { // a malformed id
			return shop.Errorf(shop.ErrNotFound, "image not found")
		}
		return translate(err)
	}
	if tag.RowsAffected() == 0 {
		return shop.Errorf(shop.ErrNotFound, "image not found")
	}
	return nil
}

// Variant is one stored size of a picture, as served.
type Variant struct {
	ContentType string
	ETag        string
	// Data is nil when the caller's ETag matched (nothing to send).
	Data []byte
}

// Variant reads the variant of key at width, unless its ETag is
// ifNoneMatch: then only the ETag comes back, not the bytes.
func (s *Images) Variant(ctx context.Context, key string, width int, ext, ifNoneMatch string) (Variant, error) {
	var v Variant
	err := s.db.QueryRow(ctx, `
		SELECT v.content_type, v.etag, CASE WHEN v.etag = $4 THEN NULL ELSE v.data END
		FROM media_variants v JOIN media m ON m.key = v.key
		WHERE v.key = $1 AND v.width = $2 AND m.ext = $3`, key, width, ext, ifNoneMatch).
		Scan(&v.ContentType, &v.ETag, &v.Data)
	if shop.ErrorCode(translate(err)) == shop.ErrNotFound {
		return Variant{}, shop.Errorf(shop.ErrNotFound, "no such image")
	}
	return v, translate(err)
}

// attachImages fills in each product's pictures.
func attachImages(ctx context.Context, db DBTX, products []shop.Product) error {
	ids := make([]string, len(products))
	for i, p := range products {
		ids[i] = p.ID
	}
	m, err := NewImages(db).ForProducts(ctx, ids)
	if err != nil {
		return err
	}
	for i := range products {
		if imgs := m[products[i].ID]; imgs != nil {
			products[i].Images = imgs
		}
	}
	return nil
}

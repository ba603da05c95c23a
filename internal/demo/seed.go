package demo

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stripeshop/stripeshop/internal/images"
	"github.com/stripeshop/stripeshop/internal/postgres"
)

// AddPicture gives a product the demo picture images/<name>, as an upload
// through the admin would (checked, resized, stored once by content).
func AddPicture(ctx context.Context, pool *pgxpool.Pool, productID, name, alt string) error {
	pic, err := picture(name)
	if err != nil {
		return err
	}
	return postgres.InTx(ctx, pool, func(tx *postgres.Tx) error { return attach(ctx, tx, productID, pic, alt) })
}

// AddPictures gives each product one of the demo pictures names in turn
// (product i gets names[i % len(names)]), as AddPicture does, but with
// each picture processed once and everything in one transaction: a large
// catalog whose products share a few pictures (shopbench --images).
func AddPictures(ctx context.Context, pool *pgxpool.Pool, productIDs []string, names ...string) error {
	if len(names) == 0 {
		return fmt.Errorf("no demo picture named")
	}
	pics := make([]images.Picture, len(names))
	for i, name := range names {
		var err error
		if pics[i], err = picture(name); err != nil {
			return err
		}
	}
	return postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
		for i, id := range productIDs {
			if err := attach(ctx, tx, id, pics[i%len(pics)], ""); err != nil {
				return err
			}
		}
		return nil
	})
}

// picture reads and processes the demo picture images/<name>.
func picture(name string) (images.Picture, error) {
	data, err := Pictures.ReadFile("images/" + name)
	if err != nil {
		return images.Picture{}, fmt.Errorf("demo picture %s: %w", name, err)
	}
	pic, err := images.Process(data)
	if err != nil {
		return images.Picture{}, fmt.Errorf("demo picture %s: %w", name, err)
	}
	return pic, nil
}

// attach stores pic once by content and adds it to the product.
func attach(ctx context.Context, tx *postgres.Tx, productID string, pic images.Picture, alt string) error {
	store := postgres.NewImages(tx)
	if _, err := store.SaveMedia(ctx, pic); err != nil {
		return err
	}
	_, _, err := store.Add(ctx, productID, pic.Key, alt)
	return err
}

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
	data, err := Pictures.ReadFile("images/" + name)
	if err != nil {
		return fmt.Errorf("demo picture %s: %w", name, err)
	}
	pic, err := images.Process(data)
	if err != nil {
		return fmt.Errorf("demo picture %s: %w", name, err)
	}
	return postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
		store := postgres.NewImages(tx)
		if _, err := store.SaveMedia(ctx, pic); err != nil {
			return err
		}
		_, _, err := store.Add(ctx, productID, pic.Key, alt)
		return err
	})
}

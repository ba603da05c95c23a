package main

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stripeshop/stripeshop/internal/demo"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// seedDemoProducts fills an empty catalog so a first `make run` shows a shop.
func seedDemoProducts(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	products := postgres.NewProducts(pool)
	existing, err := products.List(ctx, true)
	if err != nil || len(existing) > 0 {
		return 0, err
	}
	stock := func(n int64) *int64 { return &n }
	// Each with a picture drawn by internal/demo/gen, and its alt text.
	demoProducts := []struct {
		shop.Product
		picture, alt string
	}{
		{shop.Product{Name: "Enamel mug", Description: "A speckled enamel mug for camp coffee.", UnitAmount: 1250, Currency: "usd", Stock: stock(25)},
			"mug.jpg", "A blue speckled enamel mug"},
		{shop.Product{Name: "Canvas tote", Description: "Heavy cotton canvas, long handles.", UnitAmount: 1800, Currency: "usd", Stock: stock(10)},
			"tote.jpg", "A cream canvas tote bag with a red band"},
		{shop.Product{Name: "Sticker pack", Description: "Six vinyl stickers.", UnitAmount: 500, Currency: "usd", Stock: nil},
			"stickers.jpg", "Six round and star-shaped stickers"},
		{shop.Product{Name: "Last-one poster", Description: "A signed print; only one left.", UnitAmount: 4500, Currency: "eur", Stock: stock(1)},
			"poster.jpg", "A print of mountains at dusk"},
	}
	for _, d := range demoProducts {
		d.Active = true
		p, err := products.Create(ctx, d.Product)
		if err != nil {
			return 0, err
		}
		if err := demo.AddPicture(ctx, pool, p.ID, d.picture, d.alt); err != nil {
			return 0, err
		}
	}
	return len(demoProducts), nil
}

package main

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

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
	demo := []shop.Product{
		{Name: "Enamel mug", Description: "A speckled enamel mug for camp coffee.", UnitAmount: 1250, Currency: "usd", Stock: stock(25)},
		{Name: "Canvas tote", Description: "Heavy cotton canvas, long handles.", UnitAmount: 1800, Currency: "usd", Stock: stock(10)},
		{Name: "Sticker pack", Description: "Six vinyl stickers.", UnitAmount: 500, Currency: "usd", Stock: nil},
		{Name: "Last-one poster", Description: "A signed print; only one left.", UnitAmount: 4500, Currency: "eur", Stock: stock(1)},
	}
	for _, p := range demo {
		p.Active = true
		if _, err := products.Create(ctx, p); err != nil {
			return 0, err
		}
	}
	return len(demo), nil
}

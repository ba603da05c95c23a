package postgres_test

import "github.com/stripeshop/stripeshop/internal/shop"

func shopProduct(stock *int64) shop.Product {
	return shop.Product{Name: "Mug", UnitAmount: 1000, Currency: "usd", Stock: stock, Active: true}
}

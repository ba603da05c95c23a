package httpapi

import (
	"compress/gzip"
	"io"
	"net/http"
)

// ShopInfo is what the storefront shows of the shop itself: SHOP_NAME and
// SHOP_TAGLINE.
type ShopInfo struct {
	Name    string `json:"name"`
	Tagline string `json:"tagline"`
}

// shopMaxAge lets browsers keep the answer five minutes without asking:
// it changes only when the server restarts with another name, and every
// page of the shop needs it.
const shopMaxAge = "public, max-age=300"

// handleShop answers GET /api/shop from one encoding made at start-up.
func handleShop(info ShopInfo) http.Handler {
	if info.Name == "" {
		info.Name = "stripeshop"
	}
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestCompression)
	pg, err := encodePage(info, zw)
	pg = pg.withCacheControl(shopMaxAge)
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		if err != nil {
			return err
		}
		pg.ServeHTTP(w, r)
		return nil
	})
}

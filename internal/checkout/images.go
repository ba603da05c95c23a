package checkout

import (
	"context"
	"strings"

	"github.com/stripeshop/stripeshop/internal/postgres"
)

// imageURL is the product's picture for its line on Stripe's checkout page:
// the main uploaded picture's largest variant, or else the product's
// external image_url. Stripe fetches it from the public internet and takes
// https only, so a shop whose APP_URL is not https sends none of its own.
// A failure to read it never stops a checkout: the line goes without.
//
// It is read when the session is created, not kept on the order: findSession
// repeats the call with the same idempotency key after a crash, and should
// the main picture change in between, Stripe refuses the repeat as a
// different request. Keeping the URL with the order's line (as its price is
// kept) would close that window.
func (s *Service) imageURL(ctx context.Context, productID string) string {
	main, external, err := postgres.NewImages(s.pool).CheckoutPicture(ctx, productID)
	switch {
	case err != nil:
		s.log.Warn("no picture for the checkout line", "product_id", productID, "err", err)
		return ""
	case main == "":
		return external
	case strings.HasPrefix(s.appURL, "https://"):
		return strings.TrimRight(s.appURL, "/") + main
	}
	return ""
}

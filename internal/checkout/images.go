package checkout

import (
	"strings"
)

// imageURL is a line's picture (shop.Line.Image, kept when the order was
// placed) as Stripe's checkout page shows it: the shop's own picture as an
// absolute URL on APP_URL, an external image_url as it is. Stripe fetches
// it from the public internet and takes https only, so a shop whose
// APP_URL is not https sends none of its own.
func (s *Service) imageURL(image string) string {
	switch {
	case !strings.HasPrefix(image, "/"):
		return image // external (the product form takes https only), or none
	case strings.HasPrefix(s.appURL, "https://"):
		return strings.TrimRight(s.appURL, "/") + image
	}
	return ""
}

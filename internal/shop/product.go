package shop

import (
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Product is something the shop sells. UnitAmount is in the currency's minor
// unit; a nil Stock means unlimited. MaxPerOrder, when set, is the most
// units one order may hold (MaxQuantity is the limit for every product).
type Product struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	UnitAmount  int64  `json:"unit_amount"`
	Currency    string `json:"currency"`
	ImageURL    string `json:"image_url"`
	Stock       *int64 `json:"stock"`
	MaxPerOrder *int64 `json:"max_per_order"`
	// TaxCode is Stripe's tax code for the product (txcd_ and 8 digits), or
	// "" for the account's default; sent when automatic tax is on.
	TaxCode   string    `json:"tax_code"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Images are the uploaded pictures in order, the main one first;
	// never nil, so the JSON says [] when there are none.
	Images []Image `json:"images"`
}

// ProductPatch is a partial update: nil fields stay as they are. SetStock
// distinguishes "stock": null (unlimited) from an absent stock, and
// SetMaxPerOrder "max_per_order": null (no limit of its own) from an absent one.
type ProductPatch struct {
	Name        *string
	Description *string
	UnitAmount  *int64
	Currency    *string
	ImageURL    *string
	SetStock    bool
	Stock       *int64
	Active      *bool

	SetMaxPerOrder bool
	MaxPerOrder    *int64
	TaxCode        *string
}

// Apply returns p with the patch applied.
func (pp ProductPatch) Apply(p Product) Product {
	if pp.Name != nil {
		p.Name = *pp.Name
	}
	if pp.Description != nil {
		p.Description = *pp.Description
	}
	if pp.UnitAmount != nil {
		p.UnitAmount = *pp.UnitAmount
	}
	if pp.Currency != nil {
		p.Currency = *pp.Currency
	}
	if pp.ImageURL != nil {
		p.ImageURL = *pp.ImageURL
	}
	if pp.SetStock {
		p.Stock = pp.Stock
	}
	if pp.Active != nil {
		p.Active = *pp.Active
	}
	if pp.SetMaxPerOrder {
		p.MaxPerOrder = pp.MaxPerOrder
	}
	if pp.TaxCode != nil {
		p.TaxCode = *pp.TaxCode
	}
	return p
}

// Limits of a product's fields.
const (
	MaxNameLen        = 200
	MaxDescriptionLen = 5000
	MaxUnitAmount     = 99_999_999
	MaxImageURLLen    = 2048
	MaxStock          = 1_000_000
)

// minimumCharge is Stripe's smallest charge per currency, in minor units
// (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
var minimumCharge = map[string]int64{
	"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "chf": 50,
	"jpy": 50, "sek": 300, "nok": 300, "dkk": 250, "nzd": 50, "sgd": 50,
}

// Currencies lists the supported currencies, sorted.
func Currencies() []string { return sortedKeys(minimumCharge) }

// Validate checks a product's fields and names each one at fault.
func (p Product) Validate() error {
	f := map[string]string{}
	name := strings.TrimSpace(p.Name)
	switch {
	case name == "":
		f["name"] = "is required"
	case utf8.RuneCountInString(p.Name) > MaxNameLen:
		f["name"] = "must be at most 200 characters"
	case strings.ContainsRune(p.Name, 0): // Postgres text cannot hold NUL
		f["name"] = "must not contain NUL characters"
	}
	switch {
	case utf8.RuneCountInString(p.Description) > MaxDescriptionLen:
		f["description"] = "must be at most 5000 characters"
	case strings.ContainsRune(p.Description, 0):
		f["description"] = "must not contain NUL characters"
	}
	min, ok := minimumCharge[p.Currency]
	if !ok {
		f["currency"] = "must be one of " + strings.Join(Currencies(), ", ")
	}
	switch {
	case p.UnitAmount < 1 || p.UnitAmount > MaxUnitAmount:
		f["unit_amount"] = "must be between 1 and 99999999"
	case ok && p.UnitAmount < min:
		f["unit_amount"] = "is below Stripe's minimum charge for " + p.Currency
	}
	if p.ImageURL != "" {
		if len(p.ImageURL) > MaxImageURLLen {
			f["image_url"] = "must be at most 2048 characters"
		} else if u, err := url.Parse(p.ImageURL); err != nil || u.Scheme != "https" || u.Host == "" {
			// https only: the shop's Content-Security-Policy would block an
			// http:// image, and Stripe's checkout page shows it insecurely.
			f["image_url"] = "must be an absolute https URL"
		}
	}
	if p.Stock != nil && (*p.Stock < 0 || *p.Stock > MaxStock) {
		f["stock"] = "must be between 0 and 1000000, or null for unlimited"
	}
	if p.MaxPerOrder != nil && (*p.MaxPerOrder < MinQuantity || *p.MaxPerOrder > MaxQuantity) {
		f["max_per_order"] = "must be between 1 and 100, or null for no limit of its own"
	}
	if p.TaxCode != "" && !validTaxCode(p.TaxCode) {
		f["tax_code"] = "must be a Stripe tax code (txcd_ and 8 digits), or empty"
	}
	if len(f) > 0 {
		return Invalid(f)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func validTaxCode(s string) bool {
	rest, ok := strings.CutPrefix(s, "txcd_")
	if !ok || len(rest) != 8 {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/config"
)

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestDefaults(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != config.DefaultDatabaseURL || c.HTTPAddr != ":8080" || c.AppURL != "http://localhost:8080" ||
		c.ReconcileInterval != time.Minute || c.ReconcileMinAge != time.Minute || c.SecureCookies() ||
		c.CheckoutMaxUnitsPerClient != 20 {
		t.Fatalf("defaults: %+v", c)
	}
	if err := c.RequireStripe(); err == nil {
		t.Fatal("serving without a Stripe key must be refused")
	}
}

func TestEachBadSettingIsNamed(t *testing.T) {
	good := map[string]string{"STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_WEBHOOK_SECRET": "whsec_1"}
	cases := map[string]string{
		"DATABASE_URL":                  "mysql://x",
		"HTTP_ADDR":                     "8080",
		"APP_URL":                       "shop.example.com",
		"STRIPE_SECRET_KEY":             "pk_test_1",
		"STRIPE_WEBHOOK_SECRET":         "secret",
		"STRIPE_API_URL":                "localhost:12111",
		"RECONCILE_INTERVAL":            "often",
		"RECONCILE_MIN_AGE":             "1s",
		"LOG_LEVEL":                     "loud",
		"LOG_FORMAT":                    "xml",
		"TRUSTED_PROXIES":               "10.0.0.0/99",
		"CORS_ORIGINS":                  "example.com",
		"CHECKOUT_RATE_LIMIT":           "lots",
		"CHECKOUT_MAX_UNITS_PER_CLIENT": "-1",
		"ADMIN_PASSWORD":                "short",
		"SHIPPING_COUNTRIES":            "US,Canada",
		"FREE_SHIPPING_OVER":            "50.00",
		"PROMOTION_CODES":               "maybe",
		"AUTOMATIC_TAX":                 "2",
		"TAX_BEHAVIOR":                  "unspecified",
	}
	for name, value := range cases {
		kv := map[string]string{name: value}
		for k, v := range good {
			if k != name {
				kv[k] = v
			}
		}
		if name == "ADMIN_PASSWORD" {
			kv["ADMIN_EMAIL"] = "a@example.com"
		}
		_, err := config.Load(env(kv))
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != name {
			t.Errorf("%s=%q: error %v, want one naming %s", name, value, err, name)
		}
	}
}

func TestWebhookSecretListAndHTTPS(t *testing.T) {
	c, err := config.Load(env(map[string]string{
		"STRIPE_SECRET_KEY": "sk_live_1", "STRIPE_WEBHOOK_SECRET": " whsec_new , whsec_old ",
		"APP_URL": "https://shop.example.com/", "TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.StripeWebhookSecret) != 2 || c.StripeWebhookSecret[1] != "whsec_old" || !c.SecureCookies() ||
		c.AppURL != "https://shop.example.com" || c.Mode() != "live" || len(c.TrustedProxies) != 2 {
		t.Fatalf("%+v", c)
	}
	if err := c.RequireStripe(); err != nil {
		t.Fatal(err)
	}
}

func TestUpperCaseHTTPSStillMakesCookiesSecure(t *testing.T) {
	c, err := config.Load(env(map[string]string{"APP_URL": "HTTPS://Shop.example.com/"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.SecureCookies() {
		t.Fatalf("APP_URL %q: cookies not Secure", c.AppURL)
	}
}

func TestShopNameAndTagline(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.ShopName != "stripeshop" || c.ShopTagline != "" {
		t.Fatalf("defaults: name %q, tagline %q", c.ShopName, c.ShopTagline)
	}
	for _, tc := range []struct {
		name, tagline string
		bad           string // the variable named, or "" when it loads
	}{
		{"  Café Ünïcode ☕  ", " Fresh beans, roasted weekly ", ""},
		{strings.Repeat("é", config.MaxShopName), strings.Repeat("☕", config.MaxShopTagline), ""},
		{strings.Repeat("a", config.MaxShopName+1), "", "SHOP_NAME"},
		{"Shop\r\nBcc: everyone@example.com", "", "SHOP_NAME"},
		{"Shop\x00", "", "SHOP_NAME"},
		{"\xff\xfe", "", "SHOP_NAME"},
		{"Shop", strings.Repeat("a", config.MaxShopTagline+1), "SHOP_TAGLINE"},
		{"Shop", "two\nlines", "SHOP_TAGLINE"},
	} {
		c, err := config.Load(env(map[string]string{"SHOP_NAME": tc.name, "SHOP_TAGLINE": tc.tagline}))
		var ce *config.Error
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("SHOP_NAME=%q SHOP_TAGLINE=%q: %v", tc.name, tc.tagline, err)
		case tc.bad == "" && (c.ShopName != strings.TrimSpace(tc.name) || c.ShopTagline != strings.TrimSpace(tc.tagline)):
			t.Errorf("SHOP_NAME=%q: got %q / %q, want them trimmed", tc.name, c.ShopName, c.ShopTagline)
		case tc.bad != "" && (!errors.As(err, &ce) || ce.Var != tc.bad):
			t.Errorf("SHOP_NAME=%q SHOP_TAGLINE=%q: error %v, want one naming %s", tc.name, tc.tagline, err, tc.bad)
		}
	}
}

func TestCheckoutSettings(t *testing.T) {
	c, err := config.Load(env(map[string]string{"SHIPPING_COUNTRIES": "us, ca,US,gb", "FREE_SHIPPING_OVER": "5000",
		"PROMOTION_CODES": "true", "AUTOMATIC_TAX": "1", "TAX_BEHAVIOR": "Inclusive"}))
	if err != nil || strings.Join(c.ShippingCountries, ",") != "US,CA,GB" || c.FreeShippingOver != 5000 ||
		!c.PromotionCodes || !c.AutomaticTax || c.TaxBehavior != "inclusive" {
		t.Fatalf("%+v, %v", c, err)
	}
	c, err = config.Load(env(nil))
	if err != nil || c.ShippingCountries != nil || c.FreeShippingOver != 0 || c.PromotionCodes || c.AutomaticTax || c.TaxBehavior != "exclusive" {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
}

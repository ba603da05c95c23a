// Package config reads stripeshop's settings from the environment (API.md,
// "Configuration"). main loads .env first; nothing else reads the process
// environment.
package config

import (
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stripeshop/stripeshop/internal/mail"
)

// Config is every setting of the server.
type Config struct {
	DatabaseURL         string
	HTTPAddr            string
	AppURL              string
	StripeSecretKey     string
	StripeWebhookSecret []string
	StripeAPIURL        string
	AdminEmail          string
	AdminPassword       string
	ReconcileInterval   time.Duration
	// ReconcileMinAge is how old an open order is before the reconciler
	// asks Stripe about it.
	ReconcileMinAge time.Duration
	LogLevel        string // debug, info, warn, error
	LogFormat       string // json or text
	TrustedProxies  []*net.IPNet
	// MetricsAllow lists the client networks besides loopback that may
	// read /metrics (a Prometheus on another host or container).
	MetricsAllow []*net.IPNet
	CORSOrigins  []string
	// CheckoutRateLimit is checkouts and cancels a minute per client; 0 is off.
	CheckoutRateLimit int
	// CheckoutMaxUnitsPerClient is the most units one client may hold in
	// open (pending or processing) orders at once; 0 is off.
	CheckoutMaxUnitsPerClient int64
	// Profiling serves net/http/pprof under /debug/pprof (STRIPESHOP_PPROF=1):
	// for load tests on a private address only.
	Profiling bool
	// ShopName and ShopTagline are what customers see the shop called: the
	// storefront's header, title and hero, the e-mails, and the simulator's
	// checkout page under make run.
	ShopName    string
	ShopTagline string
	// ShippingCountries are the countries (ISO 3166-1 alpha-2, upper
	// case) Stripe's page asks a shipping address in; none asks none.
	ShippingCountries []string
	// FreeShippingOver offers free shipping to an order whose subtotal
	// reaches it, in minor units of the order's currency; 0 is never.
	FreeShippingOver int64
	// PromotionCodes lets customers enter a promotion code on Stripe's page.
	PromotionCodes bool
	// AutomaticTax has Stripe compute tax; TaxBehavior says whether the
	// shop's prices include it ("inclusive") or not ("exclusive").
	AutomaticTax bool
	TaxBehavior  string
	// SMTPURL is where e-mail leaves (SMTP_URL, see internal/mail.ParseURL);
	// empty sends none. MailFrom is the sender, MailStaff who hears of new
	// orders, failed payments, flags and disputes.
	SMTPURL   string
	MailFrom  string
	MailStaff []string
	// MailMaxAttempts and MailRetryBase bound the retries of an e-mail the
	// SMTP server did not take: waits of base, 2·base, … (at most 30m).
	MailMaxAttempts int
	MailRetryBase   time.Duration
}

// Defaults of API.md.
const (
	DefaultDatabaseURL = "postgres://postgres@localhost:5432/stripeshop?sslmode=disable"
	DefaultHTTPAddr    = ":8080"
	DefaultAppURL      = "http://localhost:8080"
	DefaultShopName    = "stripeshop"
	// MaxShopName and MaxShopTagline are in characters: a name fits a
	// header and an e-mail subject, a tagline one line under it.
	MaxShopName    = 80
	MaxShopTagline = 200
)

// Variables lists every variable Load reads, for documentation and checks.
var Variables = []string{
	"DATABASE_URL", "HTTP_ADDR", "APP_URL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
	"STRIPE_API_URL", "ADMIN_EMAIL", "ADMIN_PASSWORD", "RECONCILE_INTERVAL", "RECONCILE_MIN_AGE", "LOG_LEVEL",
	"LOG_FORMAT", "TRUSTED_PROXIES", "METRICS_ALLOW", "CORS_ORIGINS", "CHECKOUT_RATE_LIMIT",
	"CHECKOUT_MAX_UNITS_PER_CLIENT", "STRIPESHOP_PPROF", "SHOP_NAME", "SHOP_TAGLINE", "SHIPPING_COUNTRIES",
	"FREE_SHIPPING_OVER", "PROMOTION_CODES", "AUTOMATIC_TAX", "TAX_BEHAVIOR",
	"SMTP_URL", "MAIL_FROM", "MAIL_STAFF", "MAIL_MAX_ATTEMPTS", "MAIL_RETRY_BASE",
}

// Error names the one setting that stops start-up.
type Error struct {
	Var    string
	Reason string
}

func (e *Error) Error() string { return "config: " + e.Var + " " + e.Reason }

// Load builds the configuration from getenv, with defaults; the first
// missing or malformed setting is returned as an *Error naming it.
func Load(getenv func(string) string) (Config, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		DatabaseURL:     get("DATABASE_URL", DefaultDatabaseURL),
		HTTPAddr:        get("HTTP_ADDR", DefaultHTTPAddr),
		AppURL:          strings.TrimRight(get("APP_URL", DefaultAppURL), "/"),
		StripeSecretKey: get("STRIPE_SECRET_KEY", ""),
		StripeAPIURL:    strings.TrimRight(get("STRIPE_API_URL", ""), "/"),
		AdminEmail:      get("ADMIN_EMAIL", ""),
		AdminPassword:   getenv("ADMIN_PASSWORD"),
		LogLevel:        strings.ToLower(get("LOG_LEVEL", "info")),
		LogFormat:       strings.ToLower(get("LOG_FORMAT", "text")),
		ShopName:        get("SHOP_NAME", DefaultShopName),
		ShopTagline:     get("SHOP_TAGLINE", ""),
	}
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return c, &Error{"DATABASE_URL", "must be a postgres:// URL"}
	}
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || port == "" {
		return c, &Error{"HTTP_ADDR", "must be host:port or :port, e.g. :8080"}
	}
	if u, err := url.Parse(c.AppURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, &Error{"APP_URL", "must be an absolute http(s) URL, e.g. https://shop.example.com"}
	} else {
		// url.Parse lowercases the scheme; keep that form so that
		// SecureCookies sees "https" however it was typed.
		c.AppURL = strings.TrimRight(u.String(), "/")
	}
	if c.StripeSecretKey != "" && !strings.HasPrefix(c.StripeSecretKey, "sk_test_") && !strings.HasPrefix(c.StripeSecretKey, "sk_live_") &&
		!strings.HasPrefix(c.StripeSecretKey, "rk_test_") && !strings.HasPrefix(c.StripeSecretKey, "rk_live_") {
		return c, &Error{"STRIPE_SECRET_KEY", "must start with sk_test_ or sk_live_"}
	}
	for _, s := range strings.Split(getenv("STRIPE_WEBHOOK_SECRET"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			if !strings.HasPrefix(s, "whsec_") {
				return c, &Error{"STRIPE_WEBHOOK_SECRET", "must be whsec_… (several separated by commas during a rotation)"}
			}
			c.StripeWebhookSecret = append(c.StripeWebhookSecret, s)
		}
	}
	if c.StripeAPIURL != "" {
		if u, err := url.Parse(c.StripeAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, &Error{"STRIPE_API_URL", "must be an absolute http(s) URL"}
		}
	}
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		return c, &Error{"ADMIN_EMAIL", "and ADMIN_PASSWORD must be set together"}
	}
	if c.AdminEmail != "" && !strings.Contains(c.AdminEmail, "@") {
		return c, &Error{"ADMIN_EMAIL", "must be an email address"}
	}
	if c.AdminPassword != "" && len(c.AdminPassword) < 12 {
		return c, &Error{"ADMIN_PASSWORD", "must be at least 12 characters"}
	}
	d, err := time.ParseDuration(get("RECONCILE_INTERVAL", "1m"))
	if err != nil || d < time.Second {
		return c, &Error{"RECONCILE_INTERVAL", "must be a duration of at least 1s, e.g. 1m"}
	}
	c.ReconcileInterval = d
	d, err = time.ParseDuration(get("RECONCILE_MIN_AGE", "1m"))
	if err != nil || d < 10*time.Second || d > 24*time.Hour {
		return c, &Error{"RECONCILE_MIN_AGE", "must be a duration between 10s and 24h, e.g. 1m"}
	}
	c.ReconcileMinAge = d
	n, err := strconv.Atoi(get("CHECKOUT_RATE_LIMIT", "60"))
	if err != nil || n < 0 || n > 1_000_000 {
		return c, &Error{"CHECKOUT_RATE_LIMIT", "must be a number of checkouts a minute per client (0 turns the limit off)"}
	}
	c.CheckoutRateLimit = n
	units, err := strconv.ParseInt(get("CHECKOUT_MAX_UNITS_PER_CLIENT", "20"), 10, 64)
	if err != nil || units < 0 || units > 1_000_000 {
		return c, &Error{"CHECKOUT_MAX_UNITS_PER_CLIENT", "must be the most units one client may hold in unpaid checkouts at once (0 turns the cap off)"}
	}
	c.CheckoutMaxUnitsPerClient = units
	if !shopText(c.ShopName, MaxShopName) {
		return c, &Error{"SHOP_NAME", fmt.Sprintf("must be at most %d characters on one line (it heads every page and e-mail)", MaxShopName)}
	}
	if !shopText(c.ShopTagline, MaxShopTagline) {
		return c, &Error{"SHOP_TAGLINE", fmt.Sprintf("must be at most %d characters on one line", MaxShopTagline)}
	}
	for _, cc := range splitList(getenv("SHIPPING_COUNTRIES")) {
		cc = strings.ToUpper(cc)
		if len(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' {
			return c, &Error{"SHIPPING_COUNTRIES", "must be two-letter country codes separated by commas, e.g. US,CA,GB"}
		}
		if !slices.Contains(c.ShippingCountries, cc) {
			c.ShippingCountries = append(c.ShippingCountries, cc)
		}
	}
	free, err := strconv.ParseInt(get("FREE_SHIPPING_OVER", "0"), 10, 64)
	if err != nil || free < 0 || free > 99_999_999 {
		return c, &Error{"FREE_SHIPPING_OVER", "must be an amount in minor units (e.g. 5000 for $50.00), or 0 for no free shipping"}
	}
	c.FreeShippingOver = free
	if c.PromotionCodes, err = boolVar(getenv("PROMOTION_CODES")); err != nil {
		return c, &Error{"PROMOTION_CODES", "must be true or false"}
	}
	if c.AutomaticTax, err = boolVar(getenv("AUTOMATIC_TAX")); err != nil {
		return c, &Error{"AUTOMATIC_TAX", "must be true or false"}
	}
	c.TaxBehavior = strings.ToLower(get("TAX_BEHAVIOR", "exclusive"))
	if c.TaxBehavior != "exclusive" && c.TaxBehavior != "inclusive" {
		return c, &Error{"TAX_BEHAVIOR", "must be exclusive (tax is added to the prices) or inclusive (the prices include it)"}
	}
	if err := c.loadMail(get); err != nil {
		return c, err
	}
	switch getenv("STRIPESHOP_PPROF") {
	case "", "0":
	case "1":
		c.Profiling = true
	default:
		return c, &Error{"STRIPESHOP_PPROF", "must be 1 (serve /debug/pprof) or unset"}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return c, &Error{"LOG_LEVEL", "must be debug, info, warn or error"}
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return c, &Error{"LOG_FORMAT", "must be json or text"}
	}
	if c.TrustedProxies, err = networks(getenv("TRUSTED_PROXIES")); err != nil {
		return c, &Error{"TRUSTED_PROXIES", "must be IP addresses or CIDR ranges separated by commas"}
	}
	if c.MetricsAllow, err = networks(getenv("METRICS_ALLOW")); err != nil {
		return c, &Error{"METRICS_ALLOW", "must be IP addresses or CIDR ranges separated by commas"}
	}
	for _, o := range splitList(getenv("CORS_ORIGINS")) {
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
			return c, &Error{"CORS_ORIGINS", "must be origins like https://admin.example.com separated by commas"}
		}
		c.CORSOrigins = append(c.CORSOrigins, o)
	}
	return c, nil
}

// loadMail reads the e-mail settings.
func (c *Config) loadMail(get func(k, def string) string) error {
	c.SMTPURL = get("SMTP_URL", "")
	if c.SMTPURL != "" {
		if _, err := mail.ParseURL(c.SMTPURL); err != nil {
			return &Error{"SMTP_URL", err.Error()}
		}
	}
	host := "localhost"
	if u, err := url.Parse(c.AppURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	c.MailFrom = get("MAIL_FROM", (&netmail.Address{Name: c.ShopName, Address: "orders@" + host}).String())
	if _, err := netmail.ParseAddress(c.MailFrom); err != nil {
		return &Error{"MAIL_FROM", "must be an address, e.g. Shop <orders@example.com>"}
	}
	for _, a := range splitList(get("MAIL_STAFF", "")) {
		if _, err := netmail.ParseAddress(a); err != nil {
			return &Error{"MAIL_STAFF", "must be e-mail addresses separated by commas"}
		}
		c.MailStaff = append(c.MailStaff, a)
	}
	n, err := strconv.Atoi(get("MAIL_MAX_ATTEMPTS", "12"))
	if err != nil || n < 1 || n > 50 {
		return &Error{"MAIL_MAX_ATTEMPTS", "must be a number of attempts from 1 to 50"}
	}
	c.MailMaxAttempts = n
	d, err := time.ParseDuration(get("MAIL_RETRY_BASE", "15s"))
	if err != nil || d < 10*time.Millisecond || d > time.Hour {
		return &Error{"MAIL_RETRY_BASE", "must be a duration between 10ms and 1h, e.g. 15s"}
	}
	c.MailRetryBase = d
	return nil
}

// SimulatorWebhookSecret is the Stripe simulator's signing secret. It is
// published, so anyone can sign an event with it: it is for the simulator.
const SimulatorWebhookSecret = "whsec_stripesim_dev_secret"

// RequireStripe checks the settings that serving the shop needs beyond
// those that migrations and admin commands need, and refuses the
// combinations that would let anyone fake a payment or send live payments
// astray.
func (c Config) RequireStripe() error {
	live := c.Mode() == "live"
	switch {
	case c.StripeSecretKey == "":
		return &Error{"STRIPE_SECRET_KEY", "is required (sk_test_… or sk_live_…); `make run` starts the simulator when it is unset"}
	case len(c.StripeWebhookSecret) == 0:
		return &Error{"STRIPE_WEBHOOK_SECRET", "is required (whsec_…; `stripe listen` prints one)"}
	case live && c.StripeAPIURL != "":
		return &Error{"STRIPE_API_URL", "is set with a live key: it is for the simulator and stripe-mock; unset it to take live payments"}
	case c.StripeAPIURL == "" && slices.Contains(c.StripeWebhookSecret, SimulatorWebhookSecret):
		return &Error{"STRIPE_WEBHOOK_SECRET", "is the simulator's published secret beside a key for Stripe itself: anyone could sign a fake payment; set your endpoint's signing secret (Dashboard, or `stripe listen`)"}
	case live && !c.SecureCookies():
		return &Error{"APP_URL", "must be https with a live key: customers return to it and admin cookies must be Secure"}
	}
	return nil
}

// SecureCookies reports whether cookies must be marked Secure.
func (c Config) SecureCookies() bool { return strings.HasPrefix(c.AppURL, "https://") }

// Mode tells whether the key is for test or live payments.
func (c Config) Mode() string {
	if strings.Contains(c.StripeSecretKey, "_live_") {
		return "live"
	}
	return "test"
}

// shopText reports whether s is valid UTF-8 of at most max characters with
// no control characters: the name goes into e-mail subjects, where a line
// break would start a header.
func shopText(s string, limit int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > limit {
		return false
	}
	return !strings.ContainsFunc(s, unicode.IsControl)
}

// networks parses a comma-separated list of addresses and CIDR ranges.
func networks(list string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, p := range splitList(list) {
		if !strings.Contains(p, "/") {
			if strings.Contains(p, ":") {
				p += "/128"
			} else {
				p += "/32"
			}
		}
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// boolVar reads a yes-or-no setting; empty is no.
func boolVar(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "0", "false", "no", "off":
		return false, nil
	case "1", "true", "yes", "on":
		return true, nil
	}
	return false, fmt.Errorf("not a yes or no: %q", s)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// String describes the configuration without secrets.
func (c Config) String() string {
	smtp := "off"
	if st, err := mail.ParseURL(c.SMTPURL); err == nil && c.SMTPURL != "" {
		smtp = st.String()
	}
	return fmt.Sprintf("addr=%s app_url=%s stripe_mode=%s stripe_api=%s webhook_secrets=%d smtp=%s",
		c.HTTPAddr, c.AppURL, c.Mode(), orDefault(c.StripeAPIURL, "stripe"), len(c.StripeWebhookSecret), smtp)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

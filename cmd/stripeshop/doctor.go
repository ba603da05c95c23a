package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stripeshop/stripeshop/internal/config"
	"github.com/stripeshop/stripeshop/internal/mail"
	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/postgres"
)

// doctorCmd runs `stripeshop doctor` (check the configuration against what
// it points at) and `stripeshop health` (the container health probe); args
// starts with the command's name.
func doctorCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if args[0] == "health" {
		return healthCmd(ctx, args[1:], getenv, stdout, stderr)
	}
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the database and for Stripe")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	d := &doctor{out: stdout, timeout: *timeout}
	d.run(ctx, getenv)
	fmt.Fprintf(stdout, "%d failed, %d warnings\n", d.fails, d.warns)
	if d.fails > 0 {
		return fmt.Errorf("doctor: %d %s failed; fix the FAIL lines above", d.fails, plural(d.fails, "check", "checks"))
	}
	return nil
}

// doctor prints one line per check: ok, warn, or FAIL with what to fix.
type doctor struct {
	out          io.Writer
	timeout      time.Duration
	fails, warns int
}

func (d *doctor) line(level, check, format string, args ...any) {
	fmt.Fprintf(d.out, "%-4s  %-15s %s\n", level, check, fmt.Sprintf(format, args...))
}

func (d *doctor) ok(check, format string, args ...any) { d.line("ok", check, format, args...) }

func (d *doctor) warn(check, format string, args ...any) {
	d.warns++
	d.line("warn", check, format, args...)
}

func (d *doctor) fail(check, format string, args ...any) {
	d.fails++
	d.line("FAIL", check, format, args...)
}

func (d *doctor) skip(check, why string) { d.line("-", check, "skipped: %s", why) }

func (d *doctor) run(ctx context.Context, getenv func(string) string) {
	cfg, errs := loadAllErrors(getenv)
	bad := map[string]bool{}
	for _, e := range errs {
		bad[e.Var] = true
		d.fail("config", "%s %s", e.Var, e.Reason)
	}
	if len(errs) == 0 {
		d.ok("config", "loaded: %s", cfg)
	}

	if bad["DATABASE_URL"] {
		d.skip("database", "DATABASE_URL is invalid")
	} else {
		d.checkDatabase(ctx, cfg.DatabaseURL)
	}
	if bad["STRIPE_SECRET_KEY"] || bad["STRIPE_API_URL"] {
		d.skip("stripe key", "fix STRIPE_SECRET_KEY and STRIPE_API_URL first")
	} else {
		d.checkStripe(ctx, cfg)
	}
	if !bad["STRIPE_WEBHOOK_SECRET"] {
		d.checkWebhookSecrets(cfg)
	}
	if !bad["APP_URL"] {
		d.checkAppURL(cfg)
	}
	if !bad["TRUSTED_PROXIES"] && !bad["APP_URL"] {
		d.checkTrustedProxies(cfg)
	}
	d.checkCheckoutOptions(cfg)
	if bad["SMTP_URL"] || bad["MAIL_FROM"] {
		d.skip("smtp", "fix SMTP_URL and MAIL_FROM first")
	} else {
		d.checkSMTP(ctx, cfg)
	}
}

// checkCheckoutOptions says what a Checkout Session asks of customers
// beyond the cart, and warns of settings that do nothing or need Stripe's
// Dashboard too.
func (d *doctor) checkCheckoutOptions(cfg config.Config) {
	var asks []string
	if len(cfg.ShippingCountries) > 0 {
		asks = append(asks, "a shipping address in "+strings.Join(cfg.ShippingCountries, ", ")+" (rates from the admin's shipping rates)")
	}
	if cfg.FreeShippingOver > 0 {
		asks = append(asks, fmt.Sprintf("free shipping from a subtotal of %d (minor units)", cfg.FreeShippingOver))
	}
	if cfg.PromotionCodes {
		asks = append(asks, "promotion codes (made in the Dashboard, Products → Coupons)")
	}
	if cfg.AutomaticTax {
		asks = append(asks, "automatic tax, prices "+cfg.TaxBehavior)
	}
	if len(asks) == 0 {
		d.ok("checkout", "sessions ask for no address, offer no promotion codes and no tax (SHIPPING_COUNTRIES, PROMOTION_CODES, AUTOMATIC_TAX)")
	} else {
		d.ok("checkout", "sessions ask for %s", strings.Join(asks, "; "))
	}
	if cfg.FreeShippingOver > 0 && len(cfg.ShippingCountries) == 0 {
		d.warn("checkout", "FREE_SHIPPING_OVER is set but SHIPPING_COUNTRIES is empty: free shipping is offered with no address to ship to")
	}
	if cfg.AutomaticTax {
		d.warn("checkout", "AUTOMATIC_TAX is on: Stripe Tax must be active with a registration (Dashboard → Tax), or Stripe refuses every checkout")
	}
}

// checkSMTP connects to the SMTP server, says EHLO, starts TLS as SMTP_URL
// asks and logs in: what sending an e-mail needs, short of sending one.
func (d *doctor) checkSMTP(ctx context.Context, cfg config.Config) {
	if cfg.SMTPURL == "" {
		d.ok("smtp", "off: SMTP_URL is unset, so the shop sends no e-mail")
		return
	}
	st, err := mail.ParseURL(cfg.SMTPURL)
	if err != nil {
		d.fail("smtp", "SMTP_URL %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	if err := mail.NewSender(st, cfg.MailFrom, d.timeout).Check(ctx); err != nil {
		d.fail("smtp", "%s: %v (check the host, port, TLS form and credentials of SMTP_URL)", st, err)
		return
	}
	what := "connected, EHLO"
	switch {
	case st.ImplicitTLS:
		what += ", TLS"
	case !st.NoTLS:
		what += ", STARTTLS"
	}
	if st.Username != "" {
		what += ", logged in"
	}
	d.ok("smtp", "%s: %s; mail from %s", st, what, cfg.MailFrom)
}

// loadAllErrors collects every configuration error, not only the first that
// config.Load stops at: it loads again with each offending variable unset
// until the rest loads. Variables reported here must not be trusted in cfg.
func loadAllErrors(getenv func(string) string) (config.Config, []*config.Error) {
	unset := map[string]bool{}
	env := func(k string) string {
		if unset[k] {
			return ""
		}
		return getenv(k)
	}
	var errs []*config.Error
	for range len(config.Variables) + 1 {
		cfg, err := config.Load(env)
		if err == nil {
			return cfg, errs
		}
		var ce *config.Error
		if !errors.As(err, &ce) {
			ce = &config.Error{Var: "configuration", Reason: err.Error()}
		}
		if unset[ce.Var] { // unsetting it did not help; nothing more to learn
			return cfg, append(errs, ce)
		}
		errs = append(errs, ce)
		unset[ce.Var] = true
		if ce.Var == "ADMIN_EMAIL" || ce.Var == "ADMIN_PASSWORD" {
			unset["ADMIN_EMAIL"], unset["ADMIN_PASSWORD"] = true, true // they go together
		}
	}
	return config.Config{}, errs
}

func (d *doctor) checkDatabase(ctx context.Context, dbURL string) {
	where := redactURL(dbURL)
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	pool, err := postgres.Open(ctx, dbURL)
	if err != nil {
		d.fail("database", "cannot connect to %s: %s; check DATABASE_URL, that Postgres runs and that it lets this user in", where, oneLine(err))
		return
	}
	defer pool.Close()
	m, err := postgres.NewMigrator(pool)
	if err != nil {
		d.fail("database", "connected to %s but cannot read the schema version: %v", where, err)
		return
	}
	defer m.Close()
	version, dirty, err := m.Version()
	if err != nil {
		d.fail("database", "connected to %s but cannot read the schema version: %v", where, err)
		return
	}
	latest, err := postgres.Latest()
	if err != nil {
		d.fail("database", "cannot read the migrations embedded in this binary: %v", err)
		return
	}
	switch {
	case dirty:
		d.fail("database", "migration %d stopped half-way (dirty): repair the schema by hand, then clear the flag (UPDATE schema_migrations SET dirty = false) and start the server again", version)
	case version == 0:
		d.fail("database", "%s is reachable but not migrated (this binary needs version %d): run `stripeshop migrate up`, or start the server, which migrates at start-up", where, latest)
	case version < latest:
		d.fail("database", "schema at version %d, this binary needs %d: run `stripeshop migrate up`, or restart the server, which migrates at start-up", version, latest)
	case version > latest:
		d.fail("database", "schema at version %d is newer than this binary (%d): deploy the newer binary, or roll back with the newer binary's `stripeshop migrate down`", version, latest)
	default:
		d.ok("database", "%s reachable, schema at the latest version (%d)", where, version)
	}
}

func (d *doctor) checkStripe(ctx context.Context, cfg config.Config) {
	keyLive := cfg.Mode() == "live"
	if cfg.StripeAPIURL != "" {
		if keyLive {
			d.fail("stripe api", "STRIPE_API_URL=%s with a live key: unset STRIPE_API_URL in production; it is for the simulator and stripe-mock", cfg.StripeAPIURL)
			d.skip("stripe key", "a live key is not sent to a stand-in for Stripe")
			return
		}
		d.ok("stripe api", "STRIPE_API_URL=%s: a stand-in for Stripe (simulator or stripe-mock); no money moves", cfg.StripeAPIURL)
	}
	if cfg.StripeSecretKey == "" {
		d.fail("stripe key", "STRIPE_SECRET_KEY is unset, so `stripeshop serve` will not start: set sk_test_… or sk_live_… from the Dashboard, Developers → API keys")
		return
	}
	where := "Stripe"
	if cfg.StripeAPIURL != "" {
		where = cfg.StripeAPIURL
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	client := payments.New(payments.Config{SecretKey: cfg.StripeSecretKey, APIURL: cfg.StripeAPIURL, Timeout: d.timeout})
	livemode, err := client.CheckKey(ctx)
	var pe *payments.ProviderError
	switch {
	case err == nil:
	case errors.As(err, &pe) && pe.StatusCode == http.StatusUnauthorized:
		d.fail("stripe key", "%s rejected STRIPE_SECRET_KEY (%s mode key; %v): it is mistyped, rolled or deleted; copy a current secret key from the Dashboard, Developers → API keys", where, cfg.Mode(), err)
		return
	case errors.As(err, &pe) && pe.StatusCode == http.StatusForbidden:
		d.fail("stripe key", "%s refused to list Checkout Sessions with this key (%v): a restricted key needs Checkout Sessions and Refunds set to Write", where, err)
		return
	case errors.As(err, &pe) && pe.StatusCode == 0:
		d.fail("stripe key", "cannot reach %s: %v; check the network (and STRIPE_API_URL)", where, err)
		return
	case errors.Is(err, payments.ErrNotFound):
		d.fail("stripe key", "%s answers 404 for /v1/checkout/sessions: STRIPE_API_URL does not point at a Stripe API", where)
		return
	default:
		d.fail("stripe key", "%s: %v", where, err)
		return
	}
	mode := map[bool]string{true: "live", false: "test"}[livemode]
	note := ""
	if strings.HasPrefix(cfg.StripeSecretKey, "rk_") {
		note = "; a restricted key: it may read Checkout Sessions, and also needs Checkout Sessions and Refunds set to Write"
	}
	if livemode != keyLive {
		d.warn("stripe key", "accepted by %s, which says %s mode for a %s key%s", where, mode, cfg.Mode(), note)
		return
	}
	d.ok("stripe key", "accepted by %s (%s mode)%s", where, mode, note)
}

func (d *doctor) checkWebhookSecrets(cfg config.Config) {
	secrets := cfg.StripeWebhookSecret
	if len(secrets) == 0 {
		d.fail("webhook secret", "STRIPE_WEBHOOK_SECRET is unset, so `stripeshop serve` will not start: set the endpoint's signing secret (whsec_…)")
		return
	}
	failed := false
	seen := map[string]bool{}
	for i, s := range secrets {
		body := strings.TrimPrefix(s, "whsec_")
		n := i + 1
		switch {
		case body == "":
			d.fail("webhook secret", "secret %d is only the whsec_ prefix: copy the whole signing secret", n)
			failed = true
		case strings.ContainsAny(body, "\"' \t"):
			d.fail("webhook secret", "secret %d contains quotes or spaces, which no Stripe secret does: copy it again without them", n)
			failed = true
		case s == config.SimulatorWebhookSecret && (cfg.StripeAPIURL == "" || cfg.Mode() == "live"):
			d.fail("webhook secret", "secret %d is the simulator's development secret, which Stripe never signs with: use the endpoint's signing secret (Dashboard → Developers → Webhooks) or the one `stripe listen` prints", n)
			failed = true
		case seen[s]:
			d.warn("webhook secret", "secret %d repeats an earlier one", n)
			failed = true
		}
		seen[s] = true
	}
	if failed {
		return
	}
	if len(secrets) == 1 {
		d.ok("webhook secret", "1 signing secret")
		return
	}
	d.ok("webhook secret", "%d signing secrets: a rotation is under way; drop the old one once Stripe stops signing with it (docs/operations.md)", len(secrets))
}

func (d *doctor) checkAppURL(cfg config.Config) {
	u, err := url.Parse(cfg.AppURL)
	if err != nil {
		return // config.Load accepted it, so this does not happen
	}
	local := isLoopbackHost(u.Hostname())
	switch {
	case u.Scheme == "https":
		d.ok("app url", "%s (https: admin cookies are marked Secure)", cfg.AppURL)
	case cfg.Mode() == "live":
		d.fail("app url", "%s is http with a live key: customers return to an unencrypted page and admin cookies are not Secure; serve https (deploy/nginx) and set APP_URL=https://…", cfg.AppURL)
	case local:
		d.ok("app url", "%s (http on this machine: development)", cfg.AppURL)
	default:
		d.warn("app url", "%s is not https: admin cookies are not marked Secure; fine for a test deployment, required before taking live payments", cfg.AppURL)
	}
}

func (d *doctor) checkTrustedProxies(cfg config.Config) {
	nets := cfg.TrustedProxies
	if len(nets) == 0 {
		if strings.HasPrefix(cfg.AppURL, "https://") {
			d.warn("trusted proxies", "none, yet APP_URL is https, so a TLS proxy is in front: every client looks like the proxy, sharing one login rate limit; set TRUSTED_PROXIES to the proxy's address (127.0.0.1 for nginx on this host)")
			return
		}
		d.ok("trusted proxies", "none: the client address is the connecting peer's, X-Forwarded-For is ignored")
		return
	}
	failed := false
	var list []string
	for _, n := range nets {
		list = append(list, n.String())
		ones, bits := n.Mask.Size()
		switch {
		case ones == 0:
			d.fail("trusted proxies", "%s trusts every address: any client can forge X-Forwarded-For and dodge the login rate limit; list only your proxies", n)
			failed = true
		case (bits == 32 && ones < 8) || (bits == 128 && ones < 16):
			d.warn("trusted proxies", "%s is so wide it surely holds clients too, whose X-Forwarded-For would be believed; narrow it to your proxies", n)
			failed = true
		}
	}
	if !failed {
		d.ok("trusted proxies", "X-Forwarded-For believed only from %s", strings.Join(list, ", "))
	}
}

// healthCmd is the container health check: GET url, exit 0 on a 2xx. The
// runtime image has no shell or curl, so the binary probes itself.
func healthCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("url", "", "URL to GET (default: /healthz on the port of HTTP_ADDR, via 127.0.0.1)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *target == "" {
		cfg, err := config.Load(getenv)
		if err != nil {
			return err
		}
		*target = localURL(cfg.HTTPAddr) + "/healthz"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *target, nil)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("health: GET %s: %s", *target, resp.Status)
	}
	fmt.Fprintf(stdout, "healthy: GET %s: %s\n", *target, resp.Status)
	return nil
}

// localURL is how a process on the same host reaches a server listening on addr.
func localURL(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func isLoopbackHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// oneLine keeps an error on its line of the report; pgx lists each address
// it tried on a line of its own.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// redactURL shows where a database is without its password.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "DATABASE_URL"
	}
	u.RawQuery = ""
	return u.Redacted()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

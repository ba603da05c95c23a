// Command devrun is `make run`: the whole shop on one laptop with nothing
// configured. It uses DATABASE_URL when a Postgres answers there, and
// otherwise starts a throwaway cluster under .data/; it starts the Stripe
// simulator when STRIPE_SECRET_KEY is unset; then it builds and starts the
// server, prints where to go and the admin credentials, and on Ctrl-C stops
// everything it started.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/joho/godotenv"

	"github.com/stripeshop/stripeshop/internal/config"
	"github.com/stripeshop/stripeshop/internal/mailpit"
	"github.com/stripeshop/stripeshop/internal/stripesim"
)

const (
	dataDir        = ".data"
	simSecret      = "whsec_stripesim_dev_secret"
	simKey         = "sk_test_stripesim_local"
	defaultAdmin   = "admin@stripeshop.local"
	passwordFile   = ".data/admin-password"
	simStateFile   = ".data/stripesim.json"
	serverPIDFile  = ".data/server.pid"
	devDatabaseURL = "postgres://postgres@127.0.0.1:%d/stripeshop?sslmode=disable"
)

func main() {
	if err := godotenv.Load(); err != nil && !os.IsNotExist(err) {
		fmt.Fprintln(os.Stderr, "devrun: reading .env:", err)
		os.Exit(1)
	}
	// SIGHUP: the terminal was closed. The server must not outlive it and
	// hold the port against the next `make run`.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "devrun:", err)
		os.Exit(1)
	}
}

// env is the server's environment: ours with what devrun decides on top.
type env map[string]string

func (e env) get(k string, getenv func(string) string) string {
	if v, ok := e[k]; ok {
		return v
	}
	return getenv(k)
}

func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	say := func(format string, args ...any) { fmt.Fprintf(stdout, "devrun: "+format+"\n", args...) }
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	set := env{}

	// Postgres: the configured one if it answers, else a throwaway cluster.
	dbURL := getenv("DATABASE_URL")
	if dbURL == "" {
		dbURL = config.DefaultDatabaseURL
	}
	if err := ensureDatabase(ctx, dbURL); err != nil {
		say("no Postgres answers at %s (%v); starting one under %s/pg", redact(dbURL), short(err), dataDir)
		pg, err := startPostgres(say)
		if err != nil {
			return err
		}
		defer pg.stop()
		dbURL = fmt.Sprintf(devDatabaseURL, pg.port)
		if err := ensureDatabase(ctx, dbURL); err != nil {
			return err
		}
	}
	set["DATABASE_URL"] = dbURL

	httpAddr := getenv("HTTP_ADDR")
	if httpAddr == "" {
		httpAddr = config.DefaultHTTPAddr
	}
	_, port, _ := net.SplitHostPort(httpAddr)
	if err := portFree(httpAddr); err != nil {
		return err
	}
	appURL := getenv("APP_URL")
	if appURL == "" {
		appURL = "http://localhost:" + port
		set["APP_URL"] = appURL
	}

	// Stripe: real test keys from .env, or the simulator.
	if getenv("STRIPE_SECRET_KEY") == "" {
		secret := getenv("STRIPE_WEBHOOK_SECRET")
		if secret == "" {
			secret = simSecret
			set["STRIPE_WEBHOOK_SECRET"] = secret
		}
		sim, simURL, err := startSimulator(getenv, "http://127.0.0.1:"+port+"/webhook/stripe", secret, stderr)
		if err != nil {
			return err
		}
		defer sim()
		set["STRIPE_SECRET_KEY"] = simKey
		set["STRIPE_API_URL"] = simURL
		say("STRIPE_SECRET_KEY is unset: using the Stripe simulator at %s (no money moves; its events: %s/_sim/dashboard/events; kept in %s)",
			simURL, simURL, cmp.Or(getenv("STRIPESIM_STATE_FILE"), simStateFile))
	} else {
		say("using Stripe with the key from the environment (%s mode)", map[bool]string{true: "live", false: "test"}[strings.Contains(getenv("STRIPE_SECRET_KEY"), "_live_")])
	}

	// E-mail: the SMTP server of the environment, or Mailpit, which keeps
	// what the shop sends for people to read (under .data/, across restarts).
	mailURL := ""
	if getenv("SMTP_URL") == "" {
		say("SMTP_URL is unset: starting Mailpit to catch the shop's e-mails (its first build takes about 80 s)")
		if err := os.MkdirAll(filepath.Join(dataDir, "mailpit"), 0o755); err != nil {
			return err
		}
		mp, err := mailpit.Start(ctx, filepath.Join(dataDir, "mailpit"))
		if err != nil {
			return err
		}
		defer mp.Stop()
		set["SMTP_URL"] = mp.SMTPURL()
		if getenv("MAIL_STAFF") == "" {
			set["MAIL_STAFF"] = "staff@example.com"
		}
		mailURL = mp.URL
	}

	// The first admin, with a password kept under .data/ so it survives restarts.
	if getenv("ADMIN_EMAIL") == "" {
		pw, err := devPassword()
		if err != nil {
			return err
		}
		set["ADMIN_EMAIL"], set["ADMIN_PASSWORD"] = defaultAdmin, pw
	}

	if _, err := os.Stat("web/dist/index.html"); err != nil {
		say("the web app is not built (run `make web`); the server will say so on its pages")
	}
	bin := filepath.Join(dataDir, "bin", "stripeshop")
	say("building the server")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/stripeshop")
	build.Stdout, build.Stderr = stdout, stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}

	cmd := exec.Command(bin, "serve", "--seed-demo")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.Env = os.Environ()
	for k, v := range set {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if err := startChild(cmd); err != nil {
		return err
	}
	_ = os.WriteFile(serverPIDFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644)
	defer os.Remove(serverPIDFile)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if err := waitReady(ctx, "http://127.0.0.1:"+port+"/readyz", exited); err != nil {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		return err
	}
	fmt.Fprintf(stdout, `
  stripeshop is running
    shop:   %s
    admin:  %s/admin
    login:  %s / %s%s
  Ctrl-C stops %s.

`, appURL, appURL, set.get("ADMIN_EMAIL", getenv), adminPasswordHint(set, getenv), mailLine(mailURL), stopsToo(set))
	if pw, ok := set["ADMIN_PASSWORD"]; ok && !canLogIn("http://127.0.0.1:"+port, set["ADMIN_EMAIL"], pw) {
		say("this database already had an admin, so the login above was not created: use yours, or add one with\n" +
			"    go run ./cmd/stripeshop admin create --email you@example.com")
	}
	select {
	case err := <-exited:
		return fmt.Errorf("the server stopped: %v", err)
	case <-ctx.Done():
	}
	say("stopping")
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
	}
	return nil
}

// portFree says who holds the server's port, when something does: most
// often a server an earlier `make run` left behind.
func portFree(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln.Close()
	}
	msg := fmt.Sprintf("HTTP_ADDR %s is in use", addr)
	if b, rerr := os.ReadFile(serverPIDFile); rerr == nil {
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && syscall.Kill(pid, 0) == nil {
			return fmt.Errorf("%s: the server of an earlier `make run` (pid %d) still runs; stop it with `kill %d`", msg, pid, pid)
		}
	}
	return fmt.Errorf("%s: stop what listens there, or set HTTP_ADDR to another port", msg)
}

func adminPasswordHint(set env, getenv func(string) string) string {
	if pw, ok := set["ADMIN_PASSWORD"]; ok {
		return pw + "   (kept in " + passwordFile + ")"
	}
	return "(ADMIN_PASSWORD from your environment)"
}

// mailLine is the banner's line for Mailpit, when devrun started it.
func mailLine(url string) string {
	if url == "" {
		return ""
	}
	return "\n    mail:   " + url + "   (Mailpit: every e-mail the shop sends)"
}

func stopsToo(set env) string {
	parts := []string{"the server"}
	if _, ok := set["STRIPE_API_URL"]; ok {
		parts = append(parts, "the simulator")
	}
	if strings.HasSuffix(set["SMTP_URL"], "?starttls=none") {
		parts = append(parts, "Mailpit")
	}
	if strings.Contains(set["DATABASE_URL"], "127.0.0.1:") && !strings.Contains(set["DATABASE_URL"], ":5432/") {
		parts = append(parts, "the Postgres under .data/")
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// canLogIn reports whether the printed admin credentials work.
func canLogIn(base, email, password string) bool {
	body := fmt.Sprintf(`{"email": %q, "password": %q}`, email, password)
	resp, err := http.Post(base+"/api/admin/login", "application/json", strings.NewReader(body))
	if err != nil {
		return true // say nothing we are not sure of
	}
	resp.Body.Close()
	return resp.StatusCode != http.StatusUnauthorized
}

// ensureDatabase connects to the URL's server and creates its database if
// the server answers but the database does not exist yet.
func ensureDatabase(ctx context.Context, dbURL string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err == nil {
		return conn.Close(ctx)
	}
	if !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), "database") {
		return err
	}
	u, perr := url.Parse(dbURL)
	if perr != nil {
		return err
	}
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	admin, aerr := pgx.Connect(ctx, u.String())
	if aerr != nil {
		return err
	}
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}

func waitReady(ctx context.Context, u string, exited <-chan error) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("the server exited before it was ready: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return errors.New("the server did not become ready within 60s")
}

// simDefaults are the simulator's settings under make run where its own
// defaults would not do: bank debits settle after 10 s, the state survives a
// restart, and the demo's promotion codes and tax rate exist (they matter
// only when the shop sends allow_promotion_codes or automatic_tax).
var simDefaults = map[string]string{
	"STRIPESIM_BANK_DEBIT_DELAY": "10s",
	"STRIPESIM_STATE_FILE":       simStateFile,
	"STRIPESIM_PROMOTION_CODES":  "SAVE10=10%,FIVEOFF=500",
	"STRIPESIM_TAX_RATE":         "8.25",
}

func startSimulator(getenv func(string) string, webhookURL, secret string, logs io.Writer) (stop func(), baseURL string, err error) {
	cfg, err := stripesim.ConfigFromEnv(func(key string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return simDefaults[key]
	})
	if err != nil {
		return nil, "", err
	}
	addr := getenv("STRIPESIM_ADDR")
	if addr == "" {
		addr = "127.0.0.1:12111"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		// Something else holds the usual port: take any free one.
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, "", err
		}
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	baseURL = "http://localhost:" + port
	cfg.PublicURL, cfg.WebhookURL, cfg.WebhookSecret = baseURL, webhookURL, secret
	cfg.MerchantName = merchantName(getenv)
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil)).With("component", "stripesim")
	sim := stripesim.New(cfg)
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		sim.Close()
	}, "http://127.0.0.1:" + port, nil
}

// merchantName is the business the simulator's checkout page names: the
// shop's own SHOP_NAME, so the customer sees the same name on both sides,
// unless STRIPESIM_MERCHANT_NAME says otherwise. Empty: the simulator's default.
func merchantName(getenv func(string) string) string {
	return cmp.Or(strings.TrimSpace(getenv("STRIPESIM_MERCHANT_NAME")), strings.TrimSpace(getenv("SHOP_NAME")))
}

func devPassword() (string, error) {
	if b, err := os.ReadFile(passwordFile); err == nil && len(strings.TrimSpace(string(b))) >= 12 {
		return strings.TrimSpace(string(b)), nil
	}
	buf := make([]byte, 12)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	pw := base64.RawURLEncoding.EncodeToString(buf)
	return pw, os.WriteFile(passwordFile, []byte(pw+"\n"), 0o600)
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "DATABASE_URL"
	}
	return p.Redacted()
}

func short(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

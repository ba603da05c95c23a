package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/stripeshop/stripeshop/internal/config"
	"github.com/stripeshop/stripeshop/internal/mailpit"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/stripesim"
	"github.com/stripeshop/stripeshop/internal/testdb"
)

const (
	testKey    = "sk_test_doctor51Hx"
	testSecret = "whsec_doctorTestSecret0123456789"
)

// doctorRun runs `stripeshop doctor` with exactly env as its environment.
func doctorRun(t *testing.T, env map[string]string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"doctor", "--timeout", "5s"},
		func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	t.Logf("doctor said:\n%s%s", stdout.String(), stderr.String())
	return stdout.String(), err
}

// hasLine reports whether out has a line of the level and check containing want.
func hasLine(out, level, check, want string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, level+" ") && strings.Contains(l, " "+check+" ") && strings.Contains(l, want) {
			return true
		}
	}
	return false
}

// simURL serves the Stripe simulator in-process.
func simURL(t *testing.T) string {
	t.Helper()
	sim := stripesim.New(stripesim.Config{PublicURL: "http://127.0.0.1", WebhookSecret: testSecret})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })
	return srv.URL
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// healthyEnv is a correct development setup: a migrated database and the simulator.
func healthyEnv(t *testing.T) map[string]string {
	return map[string]string{
		"DATABASE_URL":          testdb.URL(t),
		"STRIPE_SECRET_KEY":     testKey,
		"STRIPE_API_URL":        simURL(t),
		"STRIPE_WEBHOOK_SECRET": testSecret,
	}
}

func TestDoctorPassesAHealthySetup(t *testing.T) {
	t.Parallel()
	env := healthyEnv(t)
	env["STRIPE_WEBHOOK_SECRET"] = testSecret + ",whsec_theOldOneStillValid42"
	out, err := doctorRun(t, env)
	if err != nil {
		t.Fatalf("doctor failed a healthy setup: %v", err)
	}
	latest, _ := postgres.Latest()
	for _, want := range [][3]string{
		{"ok", "config", "loaded"},
		{"ok", "database", fmt.Sprintf("latest version (%d)", latest)},
		{"ok", "stripe api", "no money moves"},
		{"ok", "stripe key", "(test mode)"},
		{"ok", "webhook secret", "2 signing secrets: a rotation"},
		{"ok", "app url", "http://localhost:8080"},
		{"ok", "trusted proxies", "none"},
	} {
		if !hasLine(out, want[0], want[1], want[2]) {
			t.Errorf("no %q line for %s saying %q", want[0], want[1], want[2])
		}
	}
	if strings.Contains(out, "FAIL") || strings.Contains(out, "warn ") {
		t.Errorf("a healthy setup got a FAIL or warn line")
	}
	for _, secret := range []string{testKey, "doctorTestSecret", "theOldOneStillValid"} {
		if strings.Contains(out, secret) {
			t.Errorf("the report shows the secret %q", secret)
		}
	}
}

func TestDoctorFindsMisconfigurations(t *testing.T) {
	t.Parallel()
	dbURL := testdb.URL(t) // migrated; the doctor only reads it
	sim := simURL(t)
	latest, err := postgres.Latest()
	if err != nil {
		t.Fatal(err)
	}
	// A restricted key without read access to Checkout Sessions, answered as Stripe does.
	forbidden := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"error": {"type": "invalid_request_error", "message": "The provided key 'rk_test_***' does not have the required permissions for this endpoint. Having the 'rak_checkout_session_read' permission would allow this request to continue."}}`)
	}))
	t.Cleanup(forbidden.Close)

	// migratedWith returns a migrated database whose schema_migrations row says otherwise.
	migratedWith := func(t *testing.T, set string) string {
		u := testdb.URL(t)
		conn, err := pgx.Connect(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "UPDATE schema_migrations SET "+set); err != nil {
			t.Fatal(err)
		}
		return u
	}

	tests := []struct {
		name string
		env  func(t *testing.T) map[string]string // changes to the healthy setup
		// level, check and text of the line that must appear
		level, check, want string
		wantErr            bool
	}{
		{
			name: "database unreachable",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"DATABASE_URL": "postgres://shop:hunter2pw@" + closedAddr(t) + "/shop"}
			},
			level: "FAIL", check: "database", want: "cannot connect to postgres://shop:xxxxx@", wantErr: true,
		},
		{
			name: "automatic tax needs Stripe Tax",
			env: func(*testing.T) map[string]string {
				return map[string]string{"AUTOMATIC_TAX": "true", "TAX_BEHAVIOR": "inclusive"}
			},
			level: "warn", check: "checkout", want: "Stripe Tax must be active",
		},
		{
			name:  "free shipping with no address",
			env:   func(*testing.T) map[string]string { return map[string]string{"FREE_SHIPPING_OVER": "5000"} },
			level: "warn", check: "checkout", want: "SHIPPING_COUNTRIES is empty",
		},
		{
			name: "what sessions ask",
			env: func(*testing.T) map[string]string {
				return map[string]string{"SHIPPING_COUNTRIES": "us,ca", "PROMOTION_CODES": "1"}
			},
			level: "ok", check: "checkout", want: "a shipping address in US, CA",
		},
		{
			name:  "database not migrated",
			env:   func(t *testing.T) map[string]string { return map[string]string{"DATABASE_URL": testdb.Empty(t)} },
			level: "FAIL", check: "database", want: fmt.Sprintf("not migrated (this binary needs version %d): run `stripeshop migrate up`", latest), wantErr: true,
		},
		{
			name: "database schema behind the binary",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"DATABASE_URL": migratedWith(t, fmt.Sprintf("version = %d", latest-1))}
			},
			level: "FAIL", check: "database", want: fmt.Sprintf("schema at version %d, this binary needs %d", latest-1, latest), wantErr: true,
		},
		{
			name: "database schema newer than the binary",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"DATABASE_URL": migratedWith(t, fmt.Sprintf("version = %d", latest+1))}
			},
			level: "FAIL", check: "database", want: "newer than this binary", wantErr: true,
		},
		{
			name: "migration left dirty",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"DATABASE_URL": migratedWith(t, "dirty = true")}
			},
			level: "FAIL", check: "database", want: "stopped half-way (dirty)", wantErr: true,
		},
		{
			name:  "DATABASE_URL malformed",
			env:   func(t *testing.T) map[string]string { return map[string]string{"DATABASE_URL": "mysql://shop@db/shop"} },
			level: "FAIL", check: "config", want: "DATABASE_URL must be a postgres:// URL", wantErr: true,
		},
		{
			// A truncated paste: the right prefix and nothing after it.
			name:  "key Stripe rejects",
			env:   func(t *testing.T) map[string]string { return map[string]string{"STRIPE_SECRET_KEY": "sk_test_"} },
			level: "FAIL", check: "stripe key", want: "rejected STRIPE_SECRET_KEY (test mode key; stripe list checkout sessions: status 401 api_key_invalid)", wantErr: true,
		},
		{
			name: "restricted key that may not read Checkout Sessions",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"STRIPE_SECRET_KEY": "rk_test_narrow", "STRIPE_API_URL": forbidden.URL}
			},
			level: "FAIL", check: "stripe key", want: "a restricted key needs Checkout Sessions and Refunds set to Write", wantErr: true,
		},
		{
			name: "Stripe unreachable",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"STRIPE_API_URL": "http://" + closedAddr(t)}
			},
			level: "FAIL", check: "stripe key", want: "cannot reach http://127.0.0.1:", wantErr: true,
		},
		{
			name:  "key missing",
			env:   func(t *testing.T) map[string]string { return map[string]string{"STRIPE_SECRET_KEY": ""} },
			level: "FAIL", check: "stripe key", want: "STRIPE_SECRET_KEY is unset", wantErr: true,
		},
		{
			name: "key of the wrong kind",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"STRIPE_SECRET_KEY": "pk_test_publishable"}
			},
			level: "FAIL", check: "config", want: "STRIPE_SECRET_KEY must start with sk_test_", wantErr: true,
		},
		{
			name:  "live key sent to a stand-in",
			env:   func(t *testing.T) map[string]string { return map[string]string{"STRIPE_SECRET_KEY": "sk_live_real"} },
			level: "FAIL", check: "stripe api", want: "with a live key: unset STRIPE_API_URL", wantErr: true,
		},
		{
			name: "webhook secret malformed",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"STRIPE_WEBHOOK_SECRET": "sec_1234567890"}
			},
			level: "FAIL", check: "config", want: "STRIPE_WEBHOOK_SECRET must be whsec_", wantErr: true,
		},
		{
			name:  "webhook secret missing",
			env:   func(t *testing.T) map[string]string { return map[string]string{"STRIPE_WEBHOOK_SECRET": ""} },
			level: "FAIL", check: "webhook secret", want: "STRIPE_WEBHOOK_SECRET is unset", wantErr: true,
		},
		{
			name: "webhook secret only the prefix",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"STRIPE_WEBHOOK_SECRET": testSecret + ",whsec_"}
			},
			level: "FAIL", check: "webhook secret", want: "secret 2 is only the whsec_ prefix", wantErr: true,
		},
		{
			name: "webhook secret with a quote copied along",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"STRIPE_WEBHOOK_SECRET": `whsec_abc123"`}
			},
			level: "FAIL", check: "webhook secret", want: "contains quotes or spaces", wantErr: true,
		},
		{
			name: "simulator's secret with a live key",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"STRIPE_SECRET_KEY": "sk_live_real", "STRIPE_WEBHOOK_SECRET": config.SimulatorWebhookSecret}
			},
			level: "FAIL", check: "webhook secret", want: "the simulator's development secret", wantErr: true,
		},
		{
			name: "webhook secret listed twice",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"STRIPE_WEBHOOK_SECRET": testSecret + "," + testSecret}
			},
			level: "warn", check: "webhook secret", want: "secret 2 repeats an earlier one",
		},
		{
			name: "http APP_URL with a live key",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"STRIPE_SECRET_KEY": "sk_live_real", "APP_URL": "http://shop.example.com"}
			},
			level: "FAIL", check: "app url", want: "is http with a live key", wantErr: true,
		},
		{
			name:  "http APP_URL on a public host with a test key",
			env:   func(t *testing.T) map[string]string { return map[string]string{"APP_URL": "http://shop.example.com"} },
			level: "warn", check: "app url", want: "is not https",
		},
		{
			name:  "APP_URL not a URL",
			env:   func(t *testing.T) map[string]string { return map[string]string{"APP_URL": "shop.example.com"} },
			level: "FAIL", check: "config", want: "APP_URL must be an absolute http(s) URL", wantErr: true,
		},
		{
			name: "TRUSTED_PROXIES trusts everyone",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"TRUSTED_PROXIES": "127.0.0.1,0.0.0.0/0"}
			},
			level: "FAIL", check: "trusted proxies", want: "0.0.0.0/0 trusts every address", wantErr: true,
		},
		{
			name:  "TRUSTED_PROXIES very wide",
			env:   func(t *testing.T) map[string]string { return map[string]string{"TRUSTED_PROXIES": "64.0.0.0/2"} },
			level: "warn", check: "trusted proxies", want: "64.0.0.0/2 is so wide",
		},
		{
			name:  "TRUSTED_PROXIES not addresses",
			env:   func(t *testing.T) map[string]string { return map[string]string{"TRUSTED_PROXIES": "nginx"} },
			level: "FAIL", check: "config", want: "TRUSTED_PROXIES must be IP addresses", wantErr: true,
		},
		{
			name:  "https APP_URL with no trusted proxy",
			env:   func(t *testing.T) map[string]string { return map[string]string{"APP_URL": "https://shop.example.com"} },
			level: "warn", check: "trusted proxies", want: "set TRUSTED_PROXIES to the proxy's address",
		},
		{
			name: "ADMIN_PASSWORD too short",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"ADMIN_EMAIL": "a@example.com", "ADMIN_PASSWORD": "short"}
			},
			level: "FAIL", check: "config", want: "ADMIN_PASSWORD must be at least 12 characters", wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{
				"DATABASE_URL":          dbURL,
				"STRIPE_SECRET_KEY":     testKey,
				"STRIPE_API_URL":        sim,
				"STRIPE_WEBHOOK_SECRET": testSecret,
			}
			for k, v := range tt.env(t) {
				env[k] = v
			}
			out, err := doctorRun(t, env)
			if !hasLine(out, tt.level, tt.check, tt.want) {
				t.Errorf("no %s line for %q saying %q", tt.level, tt.check, tt.want)
			}
			if tt.wantErr != (err != nil) {
				t.Errorf("doctor returned %v; want an error: %v", err, tt.wantErr)
			}
			if strings.Contains(out, "hunter2pw") {
				t.Errorf("the report shows the database password")
			}
		})
	}
}

// Config errors are reported together, and the checks that need a broken
// variable are skipped rather than run on a default.
func TestDoctorReportsEveryConfigErrorAtOnce(t *testing.T) {
	t.Parallel()
	env := healthyEnv(t)
	env["DATABASE_URL"] = "mysql://shop@db/shop"
	env["LOG_FORMAT"] = "xml"
	env["ADMIN_EMAIL"] = "admin@example.com" // without ADMIN_PASSWORD
	out, err := doctorRun(t, env)
	if err == nil || !strings.Contains(err.Error(), "3 checks failed") {
		t.Errorf("doctor returned %v; want 3 failed checks", err)
	}
	for _, want := range []string{"DATABASE_URL must be", "LOG_FORMAT must be json or text", "ADMIN_EMAIL and ADMIN_PASSWORD must be set together"} {
		if !hasLine(out, "FAIL", "config", want) {
			t.Errorf("no FAIL config line saying %q", want)
		}
	}
	if !hasLine(out, "-", "database", "skipped") {
		t.Errorf("the database check ran on the default DATABASE_URL instead of being skipped")
	}
	if !hasLine(out, "ok", "stripe key", "accepted") {
		t.Errorf("the Stripe check did not run despite its variables being fine")
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	status := func(code int) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/healthz" {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(code)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	health := func(env map[string]string, args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"health"}, args...),
			func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
		return stdout.String(), err
	}

	up := status(http.StatusOK)
	if out, err := health(nil, "--url", up.URL+"/healthz"); err != nil || !strings.Contains(out, "200 OK") {
		t.Errorf("a server answering 200: %q, %v; want success", out, err)
	}
	// Without --url it probes 127.0.0.1 on the port of HTTP_ADDR, as the
	// container's HEALTHCHECK does.
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(up.URL, "http://"))
	if _, err := health(map[string]string{"HTTP_ADDR": ":" + port}); err != nil {
		t.Errorf("HTTP_ADDR=:%s: %v; want success", port, err)
	}
	if _, err := health(nil, "--url", status(http.StatusServiceUnavailable).URL+"/healthz"); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("a server answering 503: %v; want an error naming the status", err)
	}
	if _, err := health(nil, "--url", "http://"+closedAddr(t)+"/healthz", "--timeout", "2s"); err == nil {
		t.Errorf("nothing listening: no error")
	}
}

func TestDoctorChecksSMTP(t *testing.T) {
	t.Parallel()
	mp, err := mailpit.Start(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mp.Close)
	for _, c := range []struct {
		name, url, level, want string
	}{
		{"unset", "", "ok", "sends no e-mail"},
		{"mailpit", mp.SMTPURL(), "ok", "connected, EHLO"},
		{"nobody listens", "smtp://" + closedAddr(t) + "?starttls=none", "FAIL", "check the host"},
		{"no STARTTLS offered", "smtp://" + mp.SMTPAddr, "FAIL", "check the host"},
		{"clear text off loopback", "smtp://mail.example.com:25?starttls=none", "FAIL", "loopback"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := healthyEnv(t)
			env["SMTP_URL"] = c.url
			out, _ := doctorRun(t, env)
			if !hasLine(out, c.level, "smtp", c.want) && !hasLine(out, c.level, "config", c.want) {
				t.Errorf("no %s line for smtp saying %q", c.level, c.want)
			}
		})
	}
}

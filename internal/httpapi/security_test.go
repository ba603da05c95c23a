package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/stripeshop/stripeshop/internal/app"
	"github.com/stripeshop/stripeshop/internal/auth"
	"github.com/stripeshop/stripeshop/internal/httpapi"
	"github.com/stripeshop/stripeshop/internal/shoptest"
	"github.com/stripeshop/stripeshop/internal/stripesim"
	"github.com/stripeshop/stripeshop/web"
)

// routes walks the router: every method and pattern, so a route added
// later is covered without editing the test.
func allRoutes(t *testing.T, h http.Handler) [][2]string {
	t.Helper()
	var out [][2]string
	err := chi.Walk(h.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		out = append(out, [2]string{method, concrete(strings.TrimSuffix(route, "/*"))})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.admin()
	checks := []struct {
		method, path string
		body         any
		c            *client
	}{
		{"GET", "/api/products", nil, e.client()},
		{"GET", "/api/nope", nil, e.client()},
		{"POST", "/api/checkout", "{", e.client()},
		{"GET", "/api/admin/me", nil, e.client()},
		{"GET", "/api/admin/me", nil, a},
		{"GET", "/", nil, e.client()},
		{"GET", "/products/some-client-route", nil, e.client()},
		{"GET", "/healthz", nil, e.client()},
		{"GET", "/readyz", nil, e.client()},
		{"GET", "/metrics", nil, e.client()},
		{"GET", "/api/openapi.json", nil, e.client()},
		{"POST", "/webhook/stripe", "{}", e.client()},
	}
	for _, c := range checks {
		r := c.c.Do(c.method, c.path, c.body)
		h := r.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s %s: CSP %q lacks %s", c.method, c.path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s %s: CSP allows inline code: %q", c.method, c.path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: X-Content-Type-Options = %q", c.method, c.path, h.Get("X-Content-Type-Options"))
		}
		switch rp := h.Get("Referrer-Policy"); rp {
		case "no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin":
		default:
			t.Errorf("%s %s: Referrer-Policy = %q", c.method, c.path, rp)
		}
		if h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s %s: X-Frame-Options = %q", c.method, c.path, h.Get("X-Frame-Options"))
		}
		if strings.HasPrefix(c.path, "/api/") && !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: Content-Type %q, want JSON", c.method, c.path, h.Get("Content-Type"))
		}
	}
}

// The built React app runs under the policy: no inline script or style,
// everything from our own origin. Product text is never rendered as HTML.
func TestCSPFitsTheReactApp(t *testing.T) {
	t.Parallel()
	index, err := fs.ReadFile(web.Dist(), "index.html")
	if err != nil {
		t.Skip("web/dist is not built (make web); the policy is checked against the built app")
	}
	html := string(index)
	for _, m := range regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`).FindAllStringSubmatch(html, -1) {
		if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
			t.Errorf("inline script in index.html, refused by script-src 'self': %s", m[0])
		}
		if src := regexp.MustCompile(`src="([^"]*)"`).FindStringSubmatch(m[1]); src != nil && !strings.HasPrefix(src[1], "/") {
			t.Errorf("script from another origin: %s", src[1])
		}
	}
	if regexp.MustCompile(`(?i)<style\b|\sstyle="|\son[a-z]+="`).MatchString(html) {
		t.Errorf("inline style or event handler in index.html, refused by the policy")
	}
	for _, m := range regexp.MustCompile(`(?i)<link\b[^>]*href="([^"]*)"`).FindAllStringSubmatch(html, -1) {
		if !strings.HasPrefix(m[1], "/") && !strings.HasPrefix(m[1], "data:") {
			t.Errorf("a link to another origin: %s", m[1])
		}
	}
	// The scripts themselves must not need eval.
	_ = fs.WalkDir(web.Dist(), "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, _ := fs.ReadFile(web.Dist(), p)
		if bytes.Contains(b, []byte("new Function(")) || regexp.MustCompile(`[^.\w]eval\(`).Match(b) {
			t.Errorf("%s uses eval or new Function, refused by script-src 'self'", p)
		}
		return nil
	})
	// React escapes text; only these would let product text in as markup.
	src := filepath.Join("..", "..", "web", "src")
	_ = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".tsx") || strings.HasSuffix(p, ".ts")) {
			return nil
		}
		b, _ := os.ReadFile(p)
		for _, bad := range []string{"dangerouslySetInnerHTML", ".innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s uses %s: product text could become markup", p, bad)
			}
		}
		return nil
	})
}

func TestCORSOffUnlessConfigured(t *testing.T) {
	t.Parallel()
	preflight := func(base, origin, path string) http.Header {
		req, _ := http.NewRequest("OPTIONS", base+path, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-csrf-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header
	}
	simple := func(base, origin, path string) http.Header {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header
	}
	off := newEnv(t)
	for _, path := range []string{"/api/products", "/api/admin/login", "/api/checkout", "/webhook/stripe"} {
		for _, h := range []http.Header{preflight(off.URL, "https://evil.example", path), simple(off.URL, "https://evil.example", path)} {
			if v := h.Get("Access-Control-Allow-Origin"); v != "" {
				t.Errorf("CORS not configured, yet %s answers Access-Control-Allow-Origin %q", path, v)
			}
		}
	}
	on := newEnv(t, shoptest.Options{CORSOrigins: "https://admin.example"})
	h := preflight(on.URL, "https://admin.example", "/api/admin/login")
	if h.Get("Access-Control-Allow-Origin") != "https://admin.example" || h.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("configured origin refused: %v", h)
	}
	for _, h := range []http.Header{preflight(on.URL, "https://evil.example", "/api/admin/login"), simple(on.URL, "https://evil.example", "/api/products")} {
		if v := h.Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("another origin allowed: %q", v)
		}
	}
}

// Every route refuses a body over its cap with 413, without reading it
// all, and none answers 5xx.
func TestBodyCapsOnEveryRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.admin()
	routes := allRoutes(t, e.Handler)
	if len(routes) < 20 {
		t.Fatalf("walked only %d routes", len(routes))
	}
	send := func(c *client, method, path string, body io.Reader, length int64) response {
		req, _ := http.NewRequest(method, e.URL+path, body)
		req.ContentLength = length
		req.Header.Set("Content-Type", "application/json")
		if c.CSRF != "" {
			req.Header.Set("X-CSRF-Token", c.CSRF)
		}
		resp, err := c.HTTP.Do(req)
		if err != nil {
			// The server may close the connection on a body it will not read.
			return response{Status: 413}
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	}
	huge := int64(2 << 20)
	checked := 0
	for _, rt := range routes {
		method, path := rt[0], rt[1]
		if method == "CONNECT" || method == "TRACE" {
			continue
		}
		// Declared too large: refused before any handler, with or without a
		// session. An image upload's cap is 10 MB and a little.
		size := huge
		upload := method == "POST" && strings.HasSuffix(path, "/images")
		if upload {
			size = 11 << 20
		}
		for _, c := range []*client{e.client(), a} {
			r := send(c, method, path, bytes.NewReader(make([]byte, size)), size)
			if r.Status != 413 {
				t.Errorf("%s %s with a declared %d-byte body: %d %s, want 413", method, path, size, r.Status, r.Body)
			}
		}
		// Streamed (chunked) past the JSON cap: a route that reads JSON
		// answers 413; one that reads no body may ignore it; none fails.
		// The logouts would end the session the rest of the walk needs.
		if (method == "POST" || method == "PATCH" || method == "PUT") && !strings.Contains(path, "/logout") {
			body := io.MultiReader(strings.NewReader(`{"name": "`), bytes.NewReader(bytes.Repeat([]byte("a"), 100<<10)), strings.NewReader(`"}`))
			r := send(a, method, path, body, -1)
			readsJSON := (strings.HasSuffix(path, "/products") || strings.Contains(path, "/products/") ||
				path == "/api/checkout" || path == "/api/admin/login" || path == "/api/admin/password") && !upload
			if r.Status >= 500 || (readsJSON && r.Status != 413) {
				t.Errorf("%s %s with a streamed 100 KiB body: %d %s", method, path, r.Status, r.Body)
			}
		}
		checked++
	}
	// The webhook's own cap is 1 MiB.
	body := bytes.Repeat([]byte(" "), (1<<20)+1)
	if st := e.deliver(body, webhookSecret, time.Now()); st != 413 {
		t.Errorf("webhook over 1 MiB: %d, want 413", st)
	}
	t.Logf("%d routes refused oversized bodies", checked)
}

func TestServerTimeoutsAgainstSlowClients(t *testing.T) {
	t.Parallel()
	srv := httpapi.NewHTTPServer(":0", http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	switch {
	case srv.ReadHeaderTimeout <= 0 || srv.ReadHeaderTimeout > 10*time.Second:
		t.Errorf("ReadHeaderTimeout = %s", srv.ReadHeaderTimeout)
	case srv.ReadTimeout <= 0 || srv.ReadTimeout > time.Minute:
		t.Errorf("ReadTimeout = %s (bounds the body read)", srv.ReadTimeout)
	case srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0:
		t.Errorf("WriteTimeout = %s, IdleTimeout = %s", srv.WriteTimeout, srv.IdleTimeout)
	case srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20:
		t.Errorf("MaxHeaderBytes = %d", srv.MaxHeaderBytes)
	}
	// A slowloris client: headers one byte a second never finish; the
	// server hangs up after ReadHeaderTimeout.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln) //nolint:errcheck
	defer srv.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprint(conn, "GET / HTTP/1.1\r\nHost: shop.test\r\nX-Slow: ")
	closed := make(chan time.Duration, 1)
	go func() {
		_, _ = io.Copy(io.Discard, conn)
		closed <- time.Since(start)
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case d := <-closed:
			// How soon after ReadHeaderTimeout is a figure: a busy machine
			// runs the close late. That it closes at all is the check.
			t.Logf("slowloris connection closed after %s (ReadHeaderTimeout %s)", d.Round(100*time.Millisecond), srv.ReadHeaderTimeout)
			return
		case <-tick.C:
			if _, err := conn.Write([]byte("a")); err != nil {
				continue
			}
			if time.Since(start) > srv.ReadHeaderTimeout+time.Minute {
				t.Fatal("the server never closed a connection whose headers never end")
			}
		}
	}
}

func TestSessionCookieFlagsAndExpiry(t *testing.T) {
	t.Parallel()
	cookieOf := func(r response) *http.Cookie {
		for _, c := range (&http.Response{Header: r.Header}).Cookies() {
			if c.Name == auth.CookieName {
				return c
			}
		}
		return nil
	}
	plain := newEnv(t)
	r := plain.client().MustDo("POST", "/api/admin/login", map[string]string{"email": adminEmail, "password": adminPassword}, 200, nil)
	c := cookieOf(r)
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
		t.Errorf("cookie over http = %+v, want HttpOnly, SameSite=Lax, Path=/, not Secure", c)
	}
	if c != nil && (c.MaxAge != 0 || !c.Expires.IsZero()) {
		t.Errorf("the session cookie persists in the browser: %+v", c)
	}
	if c != nil && len(c.Value) < 43 {
		t.Errorf("session token of %d characters, want at least 256 bits", len(c.Value))
	}

	const lifetime = 2 * time.Second
	secure := newEnv(t, shoptest.Options{HTTPS: true, App: app.Options{SessionLifetime: lifetime}})
	cl := secure.client()
	loggingIn := time.Now()
	r = cl.MustDo("POST", "/api/admin/login", map[string]string{"email": adminEmail, "password": adminPassword}, 200, nil)
	if c := cookieOf(r); c == nil || !c.Secure || !c.HttpOnly {
		t.Errorf("cookie with an https APP_URL = %+v, want Secure and HttpOnly", c)
	}
	// A Secure cookie is not sent back over plain http by a browser; send it by hand.
	token := cookieOf(r).Value
	get := func() int {
		req, _ := http.NewRequest("GET", secure.URL+"/api/admin/me", nil)
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: token})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// On a busy machine the lifetime may be over before the first request:
	// a 401 is then right, and only a 200 past the lifetime is wrong.
	if st := get(); st != 200 && time.Since(loggingIn) < lifetime {
		t.Fatalf("fresh session: %d", st)
	}
	time.Sleep(time.Until(loggingIn.Add(lifetime + 500*time.Millisecond))) // the time under test
	if st := get(); st != 401 {
		t.Errorf("a session past its lifetime answered %d, want 401", st)
	}
	var live int
	_ = secure.Pool.QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE token = $1 AND expiry > now()`, token).Scan(&live)
	if live != 0 {
		t.Errorf("the expired session is still live in the store")
	}
}

// No user enumeration: an unknown email and a wrong password get the same
// status, body and headers, and are rate limited alike. How long each
// takes (the same bcrypt work) is reported, not asserted: on a busy
// machine the scheduler's noise can exceed any margin.
func TestNoUserEnumeration(t *testing.T) {
	t.Parallel()
	var extra []string
	for i := range 8 {
		extra = append(extra, fmt.Sprintf("admin%d@example.com", i))
	}
	// bcrypt at cost 10 (tens of milliseconds) dominates a login, as in
	// production, so the reported times show a login that skipped bcrypt
	// for unknown emails many times over.
	s := newEnv(t, shoptest.Options{TrustedProxies: "127.0.0.1/32", App: app.Options{BcryptCost: 10}})
	for _, email := range extra {
		if err := s.Auth.CreateAdmin(context.Background(), email, adminPassword); err != nil {
			t.Fatal(err)
		}
	}
	attempt := func(email, client string) (response, time.Duration) {
		req, _ := http.NewRequest("POST", s.URL+"/api/admin/login",
			strings.NewReader(fmt.Sprintf(`{"email": %q, "password": "not the password at all"}`, email)))
		req.Header.Set("X-Forwarded-For", client)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return response{Status: resp.StatusCode, Header: resp.Header, Body: b}, time.Since(start)
	}
	var known, unknown []time.Duration
	var first [2]response
	for i := range 20 {
		client := fmt.Sprintf("10.1.%d.%d", i/200, i%200)
		k, dk := attempt(extra[i%len(extra)], client)
		u, du := attempt(fmt.Sprintf("nobody%d@example.com", i), client+"0")
		if k.Status != 401 || u.Status != 401 || string(k.Body) != string(u.Body) {
			t.Fatalf("known %d %s; unknown %d %s", k.Status, k.Body, u.Status, u.Body)
		}
		if i == 0 {
			first = [2]response{k, u}
		}
		known, unknown = append(known, dk), append(unknown, du)
	}
	for _, h := range []string{"Content-Type", "Content-Length", "Retry-After", "Set-Cookie"} {
		if first[0].Header.Get(h) != first[1].Header.Get(h) {
			t.Errorf("header %s differs: %q vs %q", h, first[0].Header.Get(h), first[1].Header.Get(h))
		}
	}
	mk, mu := median(known), median(unknown)
	t.Logf("median login time: known email %s, unknown email %s (20 attempts each, bcrypt cost 10)", mk, mu)

	// The limit on one client's guesses at one account treats an unknown
	// email like a known one.
	lockout := func(email, client string) int {
		for i := range 10 {
			r, _ := attempt(email, client)
			if r.Status == 429 {
				return i
			}
		}
		return -1
	}
	if k, u := lockout(adminEmail, "10.9.0.1"), lockout("nobody-at-all@example.com", "10.9.0.2"); k != u || k < 0 {
		t.Errorf("rate limit after %d attempts for a known email, %d for an unknown one", k, u)
	}
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration{}, ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// A full flow with debug logging: sign in (and a failed sign-in), create a
// product, check out, pay on the simulator, webhook, status poll, refund,
// the event log, sign out. No log line holds the Stripe secret key, the
// webhook secret, a password, the session token or the CSRF token.
func TestSecretsNeverLogged(t *testing.T) {
	t.Parallel()
	const (
		stripeKey = "sk_test_SECRETKEYneverlogged4242"
		secret    = "whsec_SECRETwebhookneverlogged"
		wrongPass = "wrong-PASSWORD-attempt-9999"
	)
	simSrv := httptest.NewUnstartedServer(nil)
	simURL := "http://" + simSrv.Listener.Addr().String()
	simLogs := &shoptest.LogBuffer{}
	sim := stripesim.New(stripesim.Config{PublicURL: simURL, WebhookSecret: secret, RetryBackoff: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(simLogs, nil))})
	simSrv.Config.Handler = sim
	simSrv.Start()
	t.Cleanup(func() { sim.Close(); simSrv.Close() })
	s := newEnv(t, shoptest.Options{StripeURL: simURL, StripeKey: stripeKey, WebhookSecrets: []string{secret}})
	sim.SetWebhookURL(s.URL + "/webhook/stripe")

	s.client().Do("POST", "/api/admin/login", map[string]string{"email": adminEmail, "password": wrongPass})
	a := s.admin()
	session := sessionCookie(a, s)
	p := s.createProduct(1500, 10)
	st := s.buy(p.ID, 2)
	simPost := func(path string, body any) {
		b, _ := json.Marshal(body)
		resp, err := http.Post(simURL+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
	simPost("/_sim/checkout/sessions/"+st.SessionID+"/complete", map[string]string{"outcome": "paid"})
	var o order
	s.client().MustDo("GET", "/api/checkout/status?session_id="+st.SessionID, nil, 200, &o)
	if o.Status != "paid" {
		t.Fatalf("order after payment: %s", o.Status)
	}
	a.MustDo("POST", "/api/admin/orders/"+st.OrderID+"/refund", nil, 200, nil)
	a.MustDo("GET", "/api/admin/events", nil, 200, nil)
	eventually(t, "the webhooks", func() bool { return len(s.order(st.OrderID).Events) >= 2 })
	a.MustDo("POST", "/api/admin/logout", nil, 204, nil)

	logs := s.Logs.String()
	if !strings.Contains(logs, "level=DEBUG") || !strings.Contains(logs, "webhook event") || !strings.Contains(logs, "order refunded") {
		t.Fatalf("the flow did not log as expected:\n%s", logs)
	}
	secrets := map[string]string{
		"Stripe secret key": stripeKey, "webhook secret": secret, "admin password": adminPassword,
		"attempted password": wrongPass, "session token": session, "CSRF token": a.CSRF,
	}
	sc := bufio.NewScanner(strings.NewReader(logs))
	lines := 0
	for sc.Scan() {
		lines++
		for name, v := range secrets {
			if v != "" && strings.Contains(sc.Text(), v) {
				t.Errorf("a log line holds the %s: %s", name, sc.Text())
			}
		}
	}
	t.Logf("%d debug log lines scanned for %d secrets", lines, len(secrets))
}

// With the database gone, answers are the contract's 503 in JSON on every
// kind of route; no SQL, driver text or stack reaches a client.
func TestErrorsNeverLeakInternals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.admin()
	p := e.createProduct(1000, 5)
	dbName := e.DatabaseURL[strings.LastIndex(e.DatabaseURL, "/")+1:]
	if i := strings.Index(dbName, "?"); i >= 0 {
		dbName = dbName[:i]
	}
	adminConn, err := testdbAdmin()
	if err != nil {
		t.Fatal(err)
	}
	defer adminConn.Close(context.Background())
	mustExec(t, adminConn, `ALTER DATABASE "`+dbName+`" ALLOW_CONNECTIONS false`)
	defer mustExec(t, adminConn, `ALTER DATABASE "`+dbName+`" ALLOW_CONNECTIONS true`)
	mustExec(t, adminConn, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, dbName)

	reqs := []struct {
		c            *client
		method, path string
		body         any
	}{
		{e.client(), "GET", "/api/products/" + p.ID, nil},
		{e.client(), "POST", "/api/checkout", map[string]any{"product_id": p.ID, "quantity": 1}},
		{e.client(), "GET", "/api/checkout/status?session_id=cs_test_x", nil},
		{e.client(), "POST", "/api/admin/login", map[string]string{"email": adminEmail, "password": adminPassword}},
		{a, "GET", "/api/admin/orders", nil},
		{a, "PATCH", "/api/admin/products/" + p.ID, map[string]any{"name": "x"}},
		{e.client(), "GET", "/readyz", nil},
	}
	for _, r := range reqs {
		resp := r.c.Do(r.method, r.path, r.body)
		if r.path == "/api/products/"+p.ID {
			// The catalog cache may answer from memory until it notices
			// that its listener is gone, and for FallbackTTL after.
			shoptest.Eventually(t, 10*time.Second, "the catalog answers 503 without its database", func() bool {
				if resp.Status != 200 {
					return true
				}
				resp = r.c.Do(r.method, r.path, r.body)
				return false
			})
		}
		if resp.Status != 503 {
			t.Errorf("%s %s with the database down: %d %s, want 503", r.method, r.path, resp.Status, resp.Body)
		}
		if !json.Valid(resp.Body) {
			t.Errorf("%s %s: the answer is not JSON: %s", r.method, r.path, resp.Body)
		}
		if l := leaked(string(resp.Body)); len(l) > 0 {
			t.Errorf("%s %s leaks %q: %s", r.method, r.path, l, resp.Body)
		}
	}
	if st := e.deliver([]byte(`{"id": "evt_x", "type": "customer.created", "data": {"object": {}}}`), webhookSecret, time.Now()); st != 503 {
		t.Errorf("webhook with the database down: %d, want 503", st)
	}
}

// SQL metacharacters, markup, NULs and oversized values in every product
// field and every query parameter are stored exactly or refused with 400
// naming the field; never a 500, and the tables are intact afterwards.
func TestInjectionStoredOrRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.admin()
	nasty := []string{
		`'; DROP TABLE products; --`, `Robert'); DROP TABLE orders;--`, `" OR 1=1 --`, `\'; SELECT pg_sleep(10); --`,
		`%_\`, `$1 $2`, `<script>alert(1)</script>`, `<img src=x onerror=alert(1)>`, "\u0000", "a\u0000b",
		"\u202e\u200b", "😀🛒", strings.Repeat("x", 201), strings.Repeat("é", 200), strings.Repeat("y", 5001),
		strings.Repeat("z", 60000), "javascript:alert(1)", "https://img.test/" + strings.Repeat("p", 2100),
	}
	fields := []string{"name", "description", "image_url", "currency"}
	created := 0
	for _, field := range fields {
		for _, v := range nasty {
			body := map[string]any{"name": "Mug", "unit_amount": 1000, "currency": "usd", field: v}
			r := a.Do("POST", "/api/admin/products", body)
			switch r.Status {
			case 201:
				created++
				var p map[string]any
				_ = json.Unmarshal(r.Body, &p)
				got := a.Do("GET", "/api/admin/products/"+fmt.Sprint(p["id"]), nil)
				var back map[string]any
				_ = json.Unmarshal(got.Body, &back)
				want := v
				if field == "name" || field == "image_url" {
					want = strings.TrimSpace(v)
				}
				if back[field] != want {
					t.Errorf("%s = %.40q was stored as %.40q", field, v, back[field])
				}
				if strings.Contains(string(got.Body), "<script") || strings.Contains(string(got.Body), "<img") {
					t.Errorf("markup in a JSON answer is not escaped: %.200s", got.Body)
				}
			case 400, 413:
				if r.Status == 400 && r.Fields()[field] == "" {
					t.Errorf("%s = %.40q refused without naming the field: %s", field, v, r.Body)
				}
			default:
				t.Errorf("%s = %.40q: %d %s", field, v, r.Status, r.Body)
			}
		}
	}
	for _, v := range []any{"12", -1, 1e20, "1; DROP TABLE products", true, []int{1}} {
		for _, field := range []string{"unit_amount", "stock"} {
			r := a.Do("POST", "/api/admin/products", map[string]any{"name": "Mug", "unit_amount": 1000, "currency": "usd", field: v})
			if r.Status != 400 {
				t.Errorf("%s = %v: %d %s, want 400", field, v, r.Status, r.Body)
			}
		}
	}
	queries := []string{"/api/admin/orders?status=", "/api/admin/orders?limit=", "/api/admin/orders?cursor=", "/api/admin/orders?number=",
		"/api/admin/events?cursor=", "/api/admin/events?limit=", "/api/admin/stats?days=", "/api/checkout/status?session_id=cs_"}
	for _, q := range queries {
		for _, v := range nasty {
			c := a
			if strings.HasPrefix(q, "/api/checkout") {
				c = e.client()
			}
			r := c.Do("GET", q+url.QueryEscape(v), nil)
			if r.Status >= 500 || (r.Status != 200 && r.Status != 400 && r.Status != 404) {
				t.Errorf("GET %s%.40q: %d %s", q, v, r.Status, r.Body)
			}
		}
	}
	for _, v := range nasty {
		r := e.client().Do("POST", "/api/admin/login", map[string]string{"email": v, "password": v})
		if r.Status != 400 && r.Status != 401 && r.Status != 413 && r.Status != 429 {
			t.Errorf("login with %.40q: %d %s", v, r.Status, r.Body)
		}
	}
	var products, orders int
	if err := e.Pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM products), (SELECT count(*) FROM orders)`).Scan(&products, &orders); err != nil {
		t.Fatalf("the tables are gone: %v", err)
	}
	if products != created {
		t.Errorf("%d products in the table, %d created", products, created)
	}
	t.Logf("%d nasty values × %d text fields: %d stored exactly, the rest refused with 400; %d query parameters × %d values answered cleanly",
		len(nasty), len(fields), created, len(queries), len(nasty))
}

// A client's X-Request-Id is believed only from a trusted proxy: anyone
// else could pass their requests off as others in the logs.
func TestRequestIDBelievedOnlyFromTrustedProxies(t *testing.T) {
	t.Parallel()
	send := func(e *env, id string) string {
		if r := e.client().Do("GET", "/api/products", nil, "X-Request-Id", id); r.Status != 200 {
			t.Fatalf("GET /api/products = %d %s", r.Status, r.Body)
		}
		var line string
		eventually(t, "the request's log line", func() bool {
			for _, l := range strings.Split(e.Logs.String(), "\n") {
				if strings.Contains(l, `msg="http request"`) && strings.Contains(l, "path=/api/products") {
					line = l
					return true
				}
			}
			return false
		})
		return line
	}
	direct := newEnv(t)
	line := send(direct, "forged-by-a-client")
	if strings.Contains(line, "forged-by-a-client") || !regexp.MustCompile(`request_id=\S+`).MatchString(line) {
		t.Errorf("a client's own X-Request-Id was believed, or no id was made: %s", line)
	}
	proxied := newEnv(t, shoptest.Options{TrustedProxies: "127.0.0.1"})
	if line := send(proxied, "0123456789abcdef0123456789abcdef"); !strings.Contains(line, "request_id=0123456789abcdef0123456789abcdef") {
		t.Errorf("the trusted proxy's X-Request-Id was not used: %s", line)
	}
	if line := send(newEnv(t, shoptest.Options{TrustedProxies: "127.0.0.1"}), "two words"); strings.Contains(line, "two words") {
		t.Errorf("an X-Request-Id that would break the log line was used: %s", line)
	}
}

// /metrics (sales and refund counts) is not for the public: a scraper on
// the host reads it, a client that reaches the shop through a proxy or
// from another host is told there is no such route, unless METRICS_ALLOW
// names its network.
func TestMetricsAreNotPublic(t *testing.T) {
	t.Parallel()
	s := newEnv(t, shoptest.Options{TrustedProxies: "127.0.0.1/32", MetricsAllow: "10.1.0.0/16"})
	c := s.client()
	for _, tc := range []struct {
		from string // X-Forwarded-For by the trusted proxy; "" for the host itself
		want int
	}{
		{"", 200},
		{"203.0.113.7", 404},
		{"2001:db8::1", 404},
		{"10.1.2.3", 200},
		{"10.2.0.1", 404},
	} {
		var r shoptest.Response
		if tc.from == "" {
			r = c.Do("GET", "/metrics", nil)
		} else {
			r = c.Do("GET", "/metrics", nil, "X-Forwarded-For", tc.from)
		}
		if r.Status != tc.want || tc.want == 200 && !strings.Contains(string(r.Body), "go_goroutines") {
			t.Errorf("/metrics from %q: %d, want %d", tc.from, r.Status, tc.want)
		}
		if tc.want == 404 && r.ErrorCode() != "not_found" {
			t.Errorf("/metrics from %q: %s, want the not_found error shape", tc.from, r.Body)
		}
	}
}

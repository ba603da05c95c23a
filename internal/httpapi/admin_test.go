package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// adminRoutes walks the router, so a route added later cannot forget the rules.
func adminRoutes(t *testing.T, h http.Handler) [][2]string {
	t.Helper()
	var routes [][2]string
	err := chi.Walk(h.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if strings.HasPrefix(route, "/api/admin/") && route != "/api/admin/login" {
			routes = append(routes, [2]string{method, route})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(routes) < 13 {
		t.Fatalf("found only %d admin routes: %v", len(routes), routes)
	}
	return routes
}

func concrete(route string) string {
	return strings.NewReplacer("{id}", "00000000-0000-0000-0000-000000000001").Replace(route)
}

func TestEveryAdminRouteNeedsASession(t *testing.T) {
	e := newEnv(t)
	for _, r := range adminRoutes(t, e.Handler) {
		resp := e.client().Do(r[0], concrete(r[1]), "{}")
		if resp.Status != 401 || resp.ErrorCode() != "unauthorized" {
			t.Errorf("%s %s without a session = %d %s, want 401", r[0], r[1], resp.Status, resp.Body)
		}
	}
}

func TestEveryAdminMutationNeedsTheCSRFToken(t *testing.T) {
	e := newEnv(t)
	a := e.Login(t)
	token := a.CSRF
	for _, r := range adminRoutes(t, e.Handler) {
		if r[0] == "GET" || r[0] == "HEAD" {
			continue
		}
		for _, bad := range []string{"", "wrong", token[:len(token)-1]} {
			a.CSRF = bad
			resp := a.Do(r[0], concrete(r[1]), "{}")
			if resp.Status != 403 || resp.ErrorCode() != "forbidden" {
				t.Errorf("%s %s with token %q = %d %s, want 403", r[0], r[1], bad, resp.Status, resp.Body)
			}
		}
	}
	a.CSRF = token
	a.MustDo("GET", "/api/admin/me", nil, 200, nil) // the session survived the refusals
}

func TestLoginRotatesTheSessionAndLogoutEndsIt(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.MustDo("POST", "/api/admin/login", map[string]string{"email": adminEmail, "password": adminPassword}, 200, nil)
	before := sessionCookie(c, e)
	earlier := e.client() // holds the pre-login token, as a fixation attacker would
	earlier.HTTP.Jar.SetCookies(mustURL(e.URL), c.HTTP.Jar.Cookies(mustURL(e.URL)))
	var id struct {
		Email     string `json:"email"`
		CSRFToken string `json:"csrf_token"`
	}
	r := c.MustDo("POST", "/api/admin/login", map[string]string{"email": "ADMIN@example.com ", "password": adminPassword}, 200, &id)
	if id.Email != adminEmail || len(id.CSRFToken) < 32 {
		t.Fatalf("login answered %+v", id)
	}
	setCookie := r.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(setCookie, want) {
			t.Errorf("session cookie %q lacks %s", setCookie, want)
		}
	}
	after := sessionCookie(c, e)
	if after == "" || after == before {
		t.Fatalf("session token not rotated at login: before %q after %q", before, after)
	}
	earlier.MustDo("GET", "/api/admin/orders", nil, 401, nil)
	c.CSRF = id.CSRFToken
	c.MustDo("GET", "/api/admin/me", nil, 200, nil)

	// A second browser holding a copy of the cookie loses access at logout.
	stolen := e.client()
	stolen.HTTP.Jar.SetCookies(mustURL(e.URL), c.HTTP.Jar.Cookies(mustURL(e.URL)))
	stolen.MustDo("GET", "/api/admin/orders", nil, 200, nil)
	c.MustDo("POST", "/api/admin/logout", nil, 204, nil)
	stolen.MustDo("GET", "/api/admin/orders", nil, 401, nil)
}

func TestWrongLoginSaysTheSameForUnknownEmail(t *testing.T) {
	e := newEnv(t)
	wrongPassword := e.client().Do("POST", "/api/admin/login", map[string]string{"email": adminEmail, "password": "not the password"})
	unknown := e.client().Do("POST", "/api/admin/login", map[string]string{"email": "nobody@example.com", "password": "not the password"})
	if wrongPassword.Status != 401 || unknown.Status != 401 || string(wrongPassword.Body) != string(unknown.Body) {
		t.Fatalf("wrong password: %d %s; unknown email: %d %s", wrongPassword.Status, wrongPassword.Body, unknown.Status, unknown.Body)
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	var limited response
	for i := 0; i < 20; i++ {
		r := c.Do("POST", "/api/admin/login", map[string]string{"email": adminEmail, "password": "guess number " + string(rune('a'+i))})
		if r.Status == 429 {
			limited = r
			break
		}
		if r.Status != 401 {
			t.Fatalf("attempt %d: %d %s", i, r.Status, r.Body)
		}
	}
	if limited.Status != 429 || limited.ErrorCode() != "rate_limited" || limited.Header.Get("Retry-After") == "" {
		t.Fatalf("no 429 with Retry-After after a burst of wrong passwords: %+v", limited)
	}
	// Even the right password waits, from the client that guessed.
	if r := c.Do("POST", "/api/admin/login", map[string]string{"email": adminEmail, "password": adminPassword}); r.Status != 429 {
		t.Fatalf("right password from the limited client = %d, want 429", r.Status)
	}
}

func sessionCookie(c *client, e *env) string {
	for _, ck := range c.HTTP.Jar.Cookies(mustURL(e.URL)) {
		if ck.Name == "stripeshop_admin" {
			return ck.Value
		}
	}
	return ""
}

// No admin answer may be kept by a cache, whoever asks and whatever the
// outcome: they carry orders, customers' e-mails and CSRF tokens.
func TestEveryAdminAnswerIsNoStore(t *testing.T) {
	e := newEnv(t)
	a := e.admin()
	check := func(who string, c *client, method, path string, body any) {
		t.Helper()
		r := c.Do(method, path, body)
		if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("%s %s (%s) = %d with Cache-Control %q, want no-store", method, path, who, r.Status, cc)
		}
	}
	for _, r := range adminRoutes(t, e.Handler) {
		check("no session", e.client(), r[0], concrete(r[1]), "{}")
		if r[1] != "/api/admin/logout" {
			check("admin", a, r[0], concrete(r[1]), "{}")
		}
	}
	check("admin", a, "GET", "/api/admin/orders?limit=0", nil)     // 400
	check("admin", a, "PUT", "/api/admin/products", "{}")          // 405
	check("no session", e.client(), "GET", "/api/admin/nope", nil) // 404
	check("wrong login", e.client(), "POST", "/api/admin/login", map[string]string{"email": adminEmail, "password": "wrong"})
	check("admin", a, "POST", "/api/admin/logout", nil)
}

// An admin finds an order by the number the customer quotes, "1002" or
// "#1002"; a number no order has is an empty list, and one that is not a
// number is 400.
func TestAdminFindsAnOrderByNumber(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.createProduct(1250, 10)
	ids := map[int64]string{}
	for range 3 {
		s := e.buy(p.ID, 1)
		ids[e.order(s.OrderID).Number] = s.OrderID
	}
	for _, q := range []string{"1002", "%231002"} {
		var page struct {
			Orders     []order `json:"orders"`
			NextCursor *string `json:"next_cursor"`
		}
		e.admin().MustDo("GET", "/api/admin/orders?number="+q, nil, 200, &page)
		if len(page.Orders) != 1 || page.Orders[0].Number != 1002 || page.Orders[0].ID != ids[1002] || page.NextCursor != nil {
			t.Fatalf("number=%s: %+v, want the one order numbered 1002 (%s)", q, page, ids[1002])
		}
	}
	var page struct{ Orders []order }
	e.admin().MustDo("GET", "/api/admin/orders?number=1002&status=paid", nil, 200, &page)
	if len(page.Orders) != 0 {
		t.Fatalf("number=1002&status=paid: %+v, want none (it is pending)", page.Orders)
	}
	e.admin().MustDo("GET", "/api/admin/orders?number=999999", nil, 200, &page)
	if len(page.Orders) != 0 {
		t.Fatalf("an unknown number: %+v, want none", page.Orders)
	}
	for _, bad := range []string{"abc", "0", "-1001", "%2B1001", "1001.5", "%23", "99999999999999999999", "1001%20"} {
		r := e.admin().Do("GET", "/api/admin/orders?number="+bad, nil)
		if r.Status != 400 || !strings.Contains(string(r.Body), `"number"`) {
			t.Errorf("number=%s: %d %s, want 400 invalid on number", bad, r.Status, r.Body)
		}
	}
}

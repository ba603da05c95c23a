package catalog_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/stripeshop/stripeshop/internal/auth"
	"github.com/stripeshop/stripeshop/internal/catalog"
	"github.com/stripeshop/stripeshop/internal/checkout"
	"github.com/stripeshop/stripeshop/internal/httpapi"
	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/testdb"
)

const (
	adminEmail    = "admin@example.com"
	adminPassword = "correct horse battery staple"
	// visibleWithin is the promise: a change made anywhere shows on every
	// replica within a second.
	visibleWithin = time.Second
)

// replica is one shop server with its own pool and cached catalog, as a
// separate process would have.
type replica struct {
	t       *testing.T
	srv     *httptest.Server
	pool    *pgxpool.Pool
	catalog *catalog.Catalog
	reg     *prometheus.Registry
	http    *http.Client
	csrf    string
}

func newReplica(t *testing.T, dbURL string) *replica {
	t.Helper()
	ctx := context.Background()
	pool, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	reg := prometheus.NewRegistry()
	a := auth.New(auth.Config{Pool: pool, BcryptCost: bcrypt.MinCost})
	t.Cleanup(a.Close)
	if _, err := a.EnsureFirstAdmin(ctx, adminEmail, adminPassword); err != nil {
		t.Fatal(err)
	}
	co := checkout.New(checkout.Config{Pool: pool, Payments: payments.New(payments.Config{SecretKey: "sk_test_unused"}), WebhookSecrets: []string{"whsec_test"}})
	cat := catalog.New(catalog.Config{Pool: pool, Registry: reg})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { cat.Run(runCtx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Deps{
		Pool: pool, Checkout: co, Auth: a, Catalog: cat, Registry: reg,
		Web: fstest.MapFS{},
	}))
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	r := &replica{t: t, srv: srv, pool: pool, catalog: cat, reg: reg, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	waitFor(t, 5*time.Second, "the catalog listens", cat.Listening)
	return r
}

func (r *replica) do(method, path string, body any, header ...string) (int, http.Header, []byte) {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, r.srv.URL+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	if r.csrf != "" {
		req.Header.Set("X-CSRF-Token", r.csrf)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := r.http.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func (r *replica) login() {
	r.t.Helper()
	status, _, body := r.do("POST", "/api/admin/login", map[string]string{"email": adminEmail, "password": adminPassword})
	if status != 200 {
		r.t.Fatalf("login: %d %s", status, body)
	}
	var v struct {
		CSRFToken string `json:"csrf_token"`
	}
	_ = json.Unmarshal(body, &v)
	r.csrf = v.CSRFToken
}

type product struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Stock *int64 `json:"stock"`
}

func (r *replica) create(name string, stock int64) product {
	r.t.Helper()
	status, _, body := r.do("POST", "/api/admin/products", map[string]any{"name": name, "unit_amount": 1000, "currency": "usd", "stock": stock})
	if status != 201 {
		r.t.Fatalf("create: %d %s", status, body)
	}
	var p product
	_ = json.Unmarshal(body, &p)
	return p
}

func (r *replica) list() []product {
	r.t.Helper()
	status, _, body := r.do("GET", "/api/products", nil)
	if status != 200 {
		r.t.Fatalf("list: %d %s", status, body)
	}
	var v struct {
		Products []product `json:"products"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		r.t.Fatal(err)
	}
	return v.Products
}

func (r *replica) find(id string) (product, bool) {
	for _, p := range r.list() {
		if p.ID == id {
			return p, true
		}
	}
	return product{}, false
}

// waitFor polls cond until it holds or within passes, and reports how long it took.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

func TestAdminEditVisibleOnEveryReplicaWithinASecond(t *testing.T) {
	t.Parallel()
	dbURL := testdb.URL(t)
	a, b := newReplica(t, dbURL), newReplica(t, dbURL)
	a.login()
	if got := b.list(); len(got) != 0 {
		t.Fatalf("B lists %d products in an empty shop", len(got))
	}

	p := a.create("Mug", 5)
	// A sees its own edit at once: the admin's next read rebuilds.
	if _, ok := a.find(p.ID); !ok {
		t.Fatal("A does not list the product it just created")
	}
	took := waitFor(t, visibleWithin, "B lists the new product", func() bool { _, ok := b.find(p.ID); return ok })
	t.Logf("create visible on B after %v", took)

	if status, _, body := a.do("PATCH", "/api/admin/products/"+p.ID, map[string]any{"name": "Enamel mug"}); status != 200 {
		t.Fatalf("patch: %d %s", status, body)
	}
	if got, _ := a.find(p.ID); got.Name != "Enamel mug" {
		t.Fatalf("A shows %q after its own edit", got.Name)
	}
	took = waitFor(t, visibleWithin, "B shows the new name", func() bool { got, _ := b.find(p.ID); return got.Name == "Enamel mug" })
	t.Logf("rename visible on B after %v", took)

	// A checkout's reservation is a product update too: stock must follow.
	if _, err := postgres.NewOrders(a.pool).Place(context.Background(), p.ID, 2, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, visibleWithin, "B shows the reserved stock", func() bool {
		got, _ := b.find(p.ID)
		return got.Stock != nil && *got.Stock == 3
	})
	waitFor(t, visibleWithin, "A shows the reserved stock", func() bool {
		got, _ := a.find(p.ID)
		return got.Stock != nil && *got.Stock == 3
	})

	if status, _, body := a.do("DELETE", "/api/admin/products/"+p.ID, nil); status != 204 {
		t.Fatalf("delete: %d %s", status, body)
	}
	waitFor(t, visibleWithin, "B drops the deleted product", func() bool { _, ok := b.find(p.ID); return !ok })
	if status, _, _ := b.do("GET", "/api/products/"+p.ID, nil); status != 404 {
		t.Fatalf("B answers %d for a deleted product, want 404", status)
	}
}

func TestETagAndNotModified(t *testing.T) {
	t.Parallel()
	dbURL := testdb.URL(t)
	a := newReplica(t, dbURL)
	a.login()
	p := a.create("Mug", 5)

	status, h, body := a.do("GET", "/api/products", nil)
	etag := h.Get("ETag")
	if status != 200 || etag == "" || !strings.HasPrefix(etag, `"`) || h.Get("Cache-Control") != "no-cache" ||
		h.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("first GET: %d, headers %v", status, h)
	}
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		status, h2, body2 := a.do("GET", "/api/products", nil, "If-None-Match", inm)
		if status != 304 || len(body2) != 0 || h2.Get("ETag") != etag {
			t.Fatalf("If-None-Match %s: %d, ETag %q, %d bytes", inm, status, h2.Get("ETag"), len(body2))
		}
	}
	if status, _, _ := a.do("GET", "/api/products", nil, "If-None-Match", `"stale"`); status != 200 {
		t.Fatalf("a stale ETag got %d, want 200", status)
	}

	// The cached answer is byte for byte what the handler wrote before.
	products, err := postgres.NewProducts(a.pool).List(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	_ = json.NewEncoder(&want).Encode(map[string]any{"products": products})
	if !bytes.Equal(body, want.Bytes()) {
		t.Fatalf("cached body differs from the encoded query:\n%s\n%s", body, want.Bytes())
	}

	// One product has its own ETag.
	status, h, _ = a.do("GET", "/api/products/"+p.ID, nil)
	one := h.Get("ETag")
	if status != 200 || one == "" || one == etag {
		t.Fatalf("GET one: %d ETag %q", status, one)
	}
	if status, _, _ := a.do("GET", "/api/products/"+p.ID, nil, "If-None-Match", one); status != 304 {
		t.Fatalf("GET one with its ETag: %d, want 304", status)
	}

	// A change gives a new ETag, and the old one no longer matches.
	if status, _, _ := a.do("PATCH", "/api/admin/products/"+p.ID, map[string]any{"stock": 4}); status != 200 {
		t.Fatal("patch failed")
	}
	status, h, _ = a.do("GET", "/api/products", nil, "If-None-Match", etag)
	if status != 200 || h.Get("ETag") == etag {
		t.Fatalf("after an edit: %d with ETag %q (was %q)", status, h.Get("ETag"), etag)
	}
	if status, _, _ := a.do("GET", "/api/products/"+p.ID, nil, "If-None-Match", one); status != 200 {
		t.Fatalf("GET one after an edit with the old ETag: %d, want 200", status)
	}
}

func TestGzipTwin(t *testing.T) {
	t.Parallel()
	dbURL := testdb.URL(t)
	a := newReplica(t, dbURL)
	a.login()
	for i := range 10 {
		a.create(fmt.Sprintf("Mug %d", i), 5)
	}
	status, plainH, plain := a.do("GET", "/api/products", nil, "Accept-Encoding", "identity")
	if status != 200 || plainH.Get("Content-Encoding") != "" || plainH.Get("Content-Length") != fmt.Sprint(len(plain)) {
		t.Fatalf("identity: %d %v", status, plainH)
	}
	status, h, zipped := a.do("GET", "/api/products", nil, "Accept-Encoding", "br;q=1.0, gzip;q=0.8")
	if status != 200 || h.Get("Content-Encoding") != "gzip" || h.Get("Vary") != "Accept-Encoding" ||
		h.Get("ETag") == plainH.Get("ETag") || len(zipped) >= len(plain) {
		t.Fatalf("gzip: %d %v, %d bytes for %d", status, h, len(zipped), len(plain))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, plain) {
		t.Fatal("the gzip answer does not decompress to the plain one")
	}
	if _, h, _ := a.do("GET", "/api/products", nil, "Accept-Encoding", "gzip;q=0"); h.Get("Content-Encoding") != "" {
		t.Fatal("gzip;q=0 got gzip")
	}
	for _, tag := range []string{h.Get("ETag"), plainH.Get("ETag")} {
		if status, h304, _ := a.do("GET", "/api/products", nil, "Accept-Encoding", "gzip", "If-None-Match", tag); status != 304 || h304.Get("Content-Encoding") != "" {
			t.Fatalf("If-None-Match %s: %d %v", tag, status, h304)
		}
	}
}

func TestHealsAfterListenConnectionIsKilled(t *testing.T) {
	t.Parallel()
	dbURL := testdb.URL(t)
	a, b := newReplica(t, dbURL), newReplica(t, dbURL)
	a.login()
	ctx := context.Background()

	// Kill the LISTEN connections of both replicas.
	var killed int
	err := a.pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN `+catalog.Channel+`'`).Scan(&killed)
	if err != nil || killed != 2 {
		t.Fatalf("terminated %d LISTEN connections, want 2 (err %v)", killed, err)
	}
	// Whether B has noticed yet or not, a change shows within the bound:
	// by notification once it listens again, by its short TTL until then.
	p := a.create("Lamp", 1)
	took := waitFor(t, visibleWithin, "B lists a product created after the kill", func() bool { _, ok := b.find(p.ID); return ok })
	t.Logf("visible on B after %v", took)

	waitFor(t, 5*time.Second, "B listens again", b.catalog.Listening)
	if status, _, _ := a.do("PATCH", "/api/admin/products/"+p.ID, map[string]any{"name": "Desk lamp"}); status != 200 {
		t.Fatal("patch failed")
	}
	waitFor(t, visibleWithin, "B shows an edit after reconnecting", func() bool { got, _ := b.find(p.ID); return got.Name == "Desk lamp" })
}

func TestWithoutListenerTheTTLBoundsStaleness(t *testing.T) {
	t.Parallel()
	pool, _ := testdb.New(t)
	// Never Run: no listener at all, only the fallback TTL.
	cat := catalog.New(catalog.Config{Pool: pool, FallbackTTL: 200 * time.Millisecond})
	ctx := context.Background()
	page, err := cat.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page.Body, []byte(`"products":[]`)) {
		t.Fatalf("empty shop: %s", page.Body)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO products (name, unit_amount, currency) VALUES ('Pen', 100, 'usd')`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, visibleWithin, "the new product after the TTL", func() bool {
		page, err := cat.List(ctx)
		return err == nil && bytes.Contains(page.Body, []byte(`"Pen"`))
	})
}

func TestBurstOfChangesCoalesces(t *testing.T) {
	t.Parallel()
	dbURL := testdb.URL(t)
	a := newReplica(t, dbURL)
	a.login()
	p := a.create("Ticket", 1000)
	ctx := context.Background()
	before := rebuilds(t, a.reg)
	// A flash sale: 200 reservations as fast as Postgres takes them.
	orders := postgres.NewOrders(a.pool)
	for range 200 {
		if _, err := orders.Place(ctx, p.ID, 1, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, visibleWithin, "the final stock", func() bool {
		got, _ := a.find(p.ID)
		return got.Stock != nil && *got.Stock == 800
	})
	if n := rebuilds(t, a.reg) - before; n >= 100 {
		t.Fatalf("%v rebuilds for 200 changes: notifications are not coalesced", n)
	} else {
		t.Logf("%v rebuilds for 200 changes", n)
	}
}

func rebuilds(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "stripeshop_catalog_rebuilds_total" {
			var n float64
			for _, m := range f.GetMetric() {
				n += m.GetCounter().GetValue()
			}
			return n
		}
	}
	return 0
}

func ExamplePage_ServeHTTP() {
	page := catalog.Page{Body: []byte(`{"products":[]}` + "\n"), ETag: `"abc"`}
	req := httptest.NewRequest("GET", "/api/products", nil)
	req.Header.Set("If-None-Match", `"abc"`)
	rec := httptest.NewRecorder()
	page.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("ETag"), rec.Body.Len())
	// Output: 304 "abc" 0
}

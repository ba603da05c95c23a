package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/httpapi"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shoptest"
	"github.com/stripeshop/stripeshop/internal/testdb"
)

const (
	// visibleWithin bounds the waits for a change to show on a replica.
	// The promise is a second, and the tests log how long it took; they
	// assert that the change shows, with a bound that a machine busy with
	// other work does not reach (a rebuild there can wait seconds for a
	// CPU) and that stays below the MaxAge rebuild (a minute), which
	// would show any change without notifications or TTL.
	visibleWithin = 30 * time.Second
)

// replica is one shop server with its own pool and cached catalog, as a
// separate process would have.
type replica struct {
	*shoptest.Shop
	t *testing.T
	*client
}

func newReplica(t *testing.T, dbURL string) *replica {
	t.Helper()
	s := shoptest.Start(t, shoptest.Options{StripeURL: stripeMockURL, DatabaseURL: dbURL})
	s.WaitForCatalog(t)
	return &replica{Shop: s, t: t, client: s.Client(t)}
}

func (r *replica) do(method, path string, body any, header ...string) (int, http.Header, []byte) {
	r.t.Helper()
	resp := r.client.Do(method, path, body, header...)
	return resp.Status, resp.Header, resp.Body
}

func (r *replica) login() { r.client = r.Login(r.t) }

func (r *replica) create(name string, stock int64) product {
	r.t.Helper()
	var p product
	r.MustDo("POST", "/api/admin/products", map[string]any{"name": name, "unit_amount": 1000, "currency": "usd", "stock": stock}, 201, &p)
	return p
}

func (r *replica) list() []product {
	r.t.Helper()
	var v struct {
		Products []product `json:"products"`
	}
	r.MustDo("GET", "/api/products", nil, 200, &v)
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
	took := shoptest.Eventually(t, visibleWithin, "B lists the new product", func() bool { _, ok := b.find(p.ID); return ok })
	t.Logf("create visible on B after %v", took)

	if status, _, body := a.do("PATCH", "/api/admin/products/"+p.ID, map[string]any{"name": "Enamel mug"}); status != 200 {
		t.Fatalf("patch: %d %s", status, body)
	}
	if got, _ := a.find(p.ID); got.Name != "Enamel mug" {
		t.Fatalf("A shows %q after its own edit", got.Name)
	}
	took = shoptest.Eventually(t, visibleWithin, "B shows the new name", func() bool { got, _ := b.find(p.ID); return got.Name == "Enamel mug" })
	t.Logf("rename visible on B after %v", took)

	// A checkout's reservation is a product update too: stock must follow.
	if _, err := postgres.NewOrders(a.Pool).Place(context.Background(), p.ID, 2, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	shoptest.Eventually(t, visibleWithin, "B shows the reserved stock", func() bool {
		got, _ := b.find(p.ID)
		return got.Stock != nil && *got.Stock == 3
	})
	shoptest.Eventually(t, visibleWithin, "A shows the reserved stock", func() bool {
		got, _ := a.find(p.ID)
		return got.Stock != nil && *got.Stock == 3
	})

	if status, _, body := a.do("DELETE", "/api/admin/products/"+p.ID, nil); status != 204 {
		t.Fatalf("delete: %d %s", status, body)
	}
	shoptest.Eventually(t, visibleWithin, "B drops the deleted product", func() bool { _, ok := b.find(p.ID); return !ok })
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
	products, err := postgres.NewProducts(a.Pool).List(context.Background(), false)
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
	err := a.Pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN `+httpapi.CatalogChannel+`'`).Scan(&killed)
	if err != nil || killed != 2 {
		t.Fatalf("terminated %d LISTEN connections, want 2 (err %v)", killed, err)
	}
	// Whether B has noticed yet or not, a change shows within the bound:
	// by notification once it listens again, by its short TTL until then.
	p := a.create("Lamp", 1)
	took := shoptest.Eventually(t, visibleWithin, "B lists a product created after the kill", func() bool { _, ok := b.find(p.ID); return ok })
	t.Logf("visible on B after %v", took)

	shoptest.Eventually(t, visibleWithin, "B listens again", b.Catalog.Listening)
	if status, _, _ := a.do("PATCH", "/api/admin/products/"+p.ID, map[string]any{"name": "Desk lamp"}); status != 200 {
		t.Fatal("patch failed")
	}
	shoptest.Eventually(t, visibleWithin, "B shows an edit after reconnecting", func() bool { got, _ := b.find(p.ID); return got.Name == "Desk lamp" })
}

func TestBurstOfChangesCoalesces(t *testing.T) {
	t.Parallel()
	dbURL := testdb.URL(t)
	a := newReplica(t, dbURL)
	a.login()
	p := a.create("Ticket", 1000)
	ctx := context.Background()
	start := time.Now()
	before := a.Counter("stripeshop_catalog_rebuilds_total", nil)
	// A flash sale: 200 reservations as fast as Postgres takes them.
	orders := postgres.NewOrders(a.Pool)
	for range 200 {
		if _, err := orders.Place(ctx, p.ID, 1, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	shoptest.Eventually(t, visibleWithin, "the final stock", func() bool {
		got, _ := a.find(p.ID)
		return got.Stock != nil && *got.Stock == 800
	})
	// Coalesced: notifications start a rebuild at most once per
	// MinRebuildInterval, plus one running as the burst began and one for
	// a read. How many that is depends on how fast the machine placed the
	// orders; the spacing does not.
	n, took := a.Counter("stripeshop_catalog_rebuilds_total", nil)-before, time.Since(start)
	if most := float64(took/httpapi.DefaultMinRebuildInterval) + 3; n > most {
		t.Fatalf("%v rebuilds for 200 changes in %s: more than one per %s (at most %v)", n, took, httpapi.DefaultMinRebuildInterval, most)
	}
	t.Logf("%v rebuilds for 200 changes in %s", n, took.Round(time.Millisecond))
}

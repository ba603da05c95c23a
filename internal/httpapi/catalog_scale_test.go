package httpapi

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stripeshop/stripeshop/internal/testdb"
)

// catalogBudget is the most the gzipped public catalog of 1,000 products
// may weigh: the storefront downloads it whole and searches, sorts and
// pages it in the browser (web/src/catalog.ts), so this is what a first
// visit costs. Later visits revalidate it (304).
const catalogBudget = 256 << 10

// scaleCatalog inserts n products with names and descriptions that vary as
// a real shop's do (made of random syllables: they compress like words, not
// like the benchmark's repeated sentence), by COPY, as one statement.
func scaleCatalog(t *testing.T, ctx context.Context, conn interface {
	CopyFrom(context.Context, pgx.Identifier, []string, pgx.CopyFromSource) (int64, error)
}, n int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	syllables := strings.Fields("ka lo mi ne ru sa ti vo ber lin mar tos cel dun fra gel hor pim qua ret sul tam ven wix yor zan")
	word := func() string {
		var b strings.Builder
		for range 1 + rng.IntN(3) {
			b.WriteString(syllables[rng.IntN(len(syllables))])
		}
		return b.String()
	}
	words := func(k int) string {
		out := make([]string, k)
		for i := range out {
			out[i] = word()
		}
		return strings.Join(out, " ")
	}
	rows := make([][]any, n)
	for i := range rows {
		var stock any
		if i%3 != 0 {
			stock = int64(rng.IntN(50))
		}
		rows[i] = []any{
			fmt.Sprintf("%s %s %d", words(2), word(), i+1),
			words(20+rng.IntN(30)) + ".",
			int64(100 + rng.IntN(20000)), "usd",
			fmt.Sprintf("https://images.example.com/catalog/%d-%s.jpg", i+1, word()),
			stock,
		}
	}
	_, err := conn.CopyFrom(ctx, pgx.Identifier{"products"},
		[]string{"name", "description", "unit_amount", "currency", "image_url", "stock"}, pgx.CopyFromRows(rows))
	if err != nil {
		t.Fatal(err)
	}
}

// TestThousandProductsAreServedFromCache: once the cache has caught up with
// a catalog of 1,000 products, every storefront visit is answered from
// memory (no rebuild, no query), the same bytes each time, and revalidations
// are 304s; and the answer stays within the download budget.
func TestThousandProductsAreServedFromCache(t *testing.T) {
	t.Parallel()
	pool, _ := testdb.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg := prometheus.NewRegistry()
	// No periodic rebuild during the test: only a change may cause one.
	cat := NewCatalogCache(CacheConfig{Pool: pool, Registry: reg, MaxAge: time.Hour})
	done := make(chan struct{})
	go func() { cat.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	eventually(t, "the catalog cache listens", cat.Listening)

	scaleCatalog(t, ctx, pool, 1000)
	// Every one of the 1,000 notifications is in, and a snapshot covers them.
	eventually(t, "the cache has all 1,000 products", func() bool {
		s := cat.snap.Load()
		return s != nil && len(s.byID) == 1000 && s.gen == cat.seen.Load()
	})

	h := handleListProducts(cat)
	get := func(header ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/api/products", nil)
		r.Header.Set("Accept-Encoding", "gzip, deflate, br")
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	rebuilds := func() (n float64) {
		families, _ := reg.Gather()
		for _, f := range families {
			if f.GetName() == "stripeshop_catalog_rebuilds_total" {
				for _, m := range f.GetMetric() {
					n += m.GetCounter().GetValue()
				}
			}
		}
		return n
	}
	before := rebuilds()
	first := get()
	if first.Code != 200 || first.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("GET /api/products: %d %v", first.Code, first.Header())
	}
	etag := first.Header().Get("ETag")
	for range 50 {
		w := get()
		if w.Code != 200 || w.Header().Get("ETag") != etag || w.Body.Len() != first.Body.Len() {
			t.Fatalf("a later visit: %d, ETag %q (was %q), %d bytes (was %d)", w.Code, w.Header().Get("ETag"), etag, w.Body.Len(), first.Body.Len())
		}
		if w := get("If-None-Match", etag); w.Code != http.StatusNotModified {
			t.Fatalf("a revalidation: %d, want 304", w.Code)
		}
	}
	if n := rebuilds() - before; n != 0 {
		t.Fatalf("101 reads of an unchanged catalog rebuilt it %v times; they must be served from the cache", n)
	}
	s := cat.snap.Load()
	t.Logf("1,000 products: %d KB of JSON, %d KB gzipped", len(s.list.Body)>>10, len(s.list.Gzip)>>10)
	if len(s.list.Gzip) > catalogBudget {
		t.Fatalf("the gzipped catalog of 1,000 products is %d KB, over the %d KB budget", len(s.list.Gzip)>>10, catalogBudget>>10)
	}
}

// eventually polls cond until it holds, with a bound that only a condition
// that never comes reaches.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within a minute", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

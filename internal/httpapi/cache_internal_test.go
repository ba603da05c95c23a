package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/stripeshop/stripeshop/internal/testdb"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/shop"
)

// benchProducts is a catalog like shopbench's: n products with a
// two-sentence description, an image URL and stock.
func benchProducts(n int) []shop.Product {
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	out := make([]shop.Product, n)
	for i := range out {
		stock := int64(1000 + i)
		out[i] = shop.Product{
			ID:   fmt.Sprintf("6f1c2a9e-3b4d-4e5f-8a7b-%012d", i),
			Name: fmt.Sprintf("Shopbench product %d", i+1),
			Description: fmt.Sprintf("Product %d of the benchmark catalog. ", i+1) +
				strings.Repeat("Sturdy, simple and made to last. ", 4),
			UnitAmount: 500 + int64(i)*25, Currency: "usd",
			ImageURL: fmt.Sprintf("https://images.example.com/shopbench/%d.jpg", i+1),
			Stock:    &stock, Active: true, CreatedAt: at, UpdatedAt: at,
		}
	}
	return out
}

// BenchmarkEncodeProductList is what the handler did on every request
// before the cache (after the query): encode 50 products.
func BenchmarkEncodeProductList(b *testing.B) {
	products := benchProducts(50)
	b.ReportAllocs()
	for b.Loop() {
		if err := writeJSON(io.Discard, productList(products)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeProduct is one product's JSON.
func BenchmarkEncodeProduct(b *testing.B) {
	p := benchProducts(1)[0]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRebuild is one rebuild after a change, the query aside: the
// list and every product encoded, hashed and gzipped.
func BenchmarkRebuild(b *testing.B) {
	products := benchProducts(50)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeSnapshot(products); err != nil {
			b.Fatal(err)
		}
	}
}

// discard is a ResponseWriter that keeps nothing, so the benchmark
// measures the handler, not a recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkServeCachedList is what a request costs the catalog now, per
// representation and for a revalidation.
func BenchmarkServeCachedList(b *testing.B) {
	s, err := encodeSnapshot(benchProducts(50))
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct{ name, header, value string }{
		{"identity", "Accept-Encoding", "identity"},
		{"gzip", "Accept-Encoding", "gzip, deflate, br"},
		{"304", "If-None-Match", s.list.GzipETag},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/api/products", nil)
			r.Header.Set("Accept-Encoding", "gzip, deflate, br")
			r.Header.Set(tc.header, tc.value)
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				s.list.ServeHTTP(w, r)
			}
		})
	}
}

func TestWithoutListenerTheTTLBoundsStaleness(t *testing.T) {
	t.Parallel()
	pool, _ := testdb.New(t)
	// Never Run: no listener at all, only the fallback TTL.
	cat := NewCatalogCache(CacheConfig{Pool: pool, FallbackTTL: 200 * time.Millisecond})
	ctx := context.Background()
	pg, err := cat.list(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(pg.Body, []byte(`"products":[]`)) {
		t.Fatalf("empty shop: %s", pg.Body)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO products (name, unit_amount, currency) VALUES ('Pen', 100, 'usd')`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for {
		pg, err := cat.list(ctx)
		if err == nil && bytes.Contains(pg.Body, []byte(`"Pen"`)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the new product is not listed a second after the TTL")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Under a stream of changes a catalog is rebuilt every MinRebuildInterval,
// or, when encoding it takes more than a tenth of that, ten times that time
// apart (a large catalog's rebuilds stay within a tenth of a core), and at
// least once a second.
func TestRebuildGapGrowsWithTheRebuildsTime(t *testing.T) {
	for _, c := range []struct{ took, want time.Duration }{
		{time.Millisecond, 100 * time.Millisecond},
		{10 * time.Millisecond, 100 * time.Millisecond},
		{22 * time.Millisecond, 220 * time.Millisecond},
		{500 * time.Millisecond, time.Second}, // never more than a second, however slow
		{time.Minute, time.Second},
	} {
		if got := rebuildGap(100*time.Millisecond, c.took); got != c.want {
			t.Errorf("rebuild of %v: next no sooner than %v after, want %v", c.took, got, c.want)
		}
	}
}

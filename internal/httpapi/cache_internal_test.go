package httpapi

import (
	"bytes"
	"compress/gzip"
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

// BenchmarkRebuildAfterSale is the rebuild a sale causes in shopbench's
// catalog: 1,000 products, one of which has a new stock since the snapshot
// being replaced. "every page" has no snapshot to keep pages from, so it
// encodes, hashes and gzips every product's page again, as every rebuild
// did before; "changed pages" is the rebuild now.
func BenchmarkRebuildAfterSale(b *testing.B) {
	for _, keep := range []bool{false, true} {
		name := map[bool]string{false: "every page", true: "changed pages"}[keep]
		b.Run(name, func(b *testing.B) {
			products := benchProducts(1000)
			zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestCompression)
			prev, err := encodeSnapshotWith(products, zw, nil)
			if err != nil {
				b.Fatal(err)
			}
			if !keep {
				prev = nil
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				stock := products[i%len(products)].Stock
				*stock++ // the sale; undone after, so that each rebuild differs from prev by one product
				if _, err := encodeSnapshotWith(products, zw, prev); err != nil {
					b.Fatal(err)
				}
				*stock--
			}
		})
	}
}

// A rebuild keeps the pages of the products that did not change and makes
// new ones for those that did: every answer is byte for byte, ETag
// included, the one a rebuild from nothing gives, and the list, spliced
// from the products' answers, is what the encoder writes for the list.
func TestRebuildKeepsOnlyUnchangedPages(t *testing.T) {
	t.Parallel()
	products := benchProducts(30)
	for i := range products[:5] { // large enough to be gzipped
		products[i].Description = strings.Repeat("A long description. ", 80)
	}
	products[7].Name = "Cups <b>&</b> saucers\u2028\"boxed\"" // what the encoder escapes
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestCompression)
	prev, err := encodeSnapshotWith(products, zw, nil)
	if err != nil {
		t.Fatal(err)
	}
	if prev.byID[products[0].ID].Gzip == nil {
		t.Fatal("the test wants a gzipped page among the products")
	}
	changed := map[string]bool{products[0].ID: true, products[17].ID: true}
	*products[0].Stock -= 3
	products[17].Name = "Renamed"
	next, err := encodeSnapshotWith(products, zw, prev)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := encodeSnapshot(products)
	if err != nil {
		t.Fatal(err)
	}
	if len(next.byID) != len(products) {
		t.Fatalf("%d pages for %d products", len(next.byID), len(products))
	}
	for _, p := range products {
		got, want, old := next.byID[p.ID], fresh.byID[p.ID], prev.byID[p.ID]
		if !bytes.Equal(got.Body, want.Body) || got.ETag != want.ETag || !bytes.Equal(got.Gzip, want.Gzip) || got.GzipETag != want.GzipETag {
			t.Errorf("%s: the page differs from a rebuild from nothing", p.Name)
		}
		kept := &got.Body[0] == &old.Body[0]
		if kept == changed[p.ID] {
			t.Errorf("%s: page kept %v, product changed %v", p.Name, kept, changed[p.ID])
		}
	}
	if !bytes.Contains(next.byID[products[17].ID].Body, []byte(`"Renamed"`)) {
		t.Error("the renamed product's page has the old name")
	}
	var list bytes.Buffer
	if err := writeJSON(&list, productList(products)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(next.list.Body, list.Bytes()) || !bytes.Equal(fresh.list.Body, list.Bytes()) {
		t.Errorf("the list is not the products' JSON:\n%s\nwant\n%s", next.list.Body, list.Bytes())
	}
	for _, few := range [][]shop.Product{nil, products[:0], products[:1]} { // no list, an empty shop's, one product's
		s, err := encodeSnapshot(few)
		if err != nil {
			t.Fatal(err)
		}
		list.Reset()
		_ = writeJSON(&list, productList(few))
		if !bytes.Equal(s.list.Body, list.Bytes()) {
			t.Errorf("%d products: list %s, want %s", len(few), s.list.Body, list.Bytes())
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

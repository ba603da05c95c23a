package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// CatalogChannel is the notification channel of migration 0002.
const CatalogChannel = "products_changed"

// Defaults of CacheConfig.
const (
	DefaultMinRebuildInterval = 100 * time.Millisecond
	DefaultFallbackTTL        = 500 * time.Millisecond
	DefaultMaxAge             = time.Minute
)

// CacheConfig configures a CatalogCache.
type CacheConfig struct {
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// AppURL is the shop's public base URL: a product with pictures
	// answers its main picture's largest variant there as image_url.
	AppURL string
	// Registry receives the catalog's metrics; nil registers none.
	Registry prometheus.Registerer
	// MinRebuildInterval spaces the rebuilds that notifications trigger,
	// so a burst of changes costs one catalog query per interval; a
	// catalog whose rebuild takes longer than a tenth of it is rebuilt
	// that much less often (rebuildShare).
	MinRebuildInterval time.Duration
	// FallbackTTL is how old the catalog may be while it is not listening.
	FallbackTTL time.Duration
	// MaxAge rebuilds the catalog this often even when nothing was
	// announced: insurance against a change made with triggers disabled.
	MaxAge time.Duration
	// ReconnectBackoff is the first wait before connecting the listener
	// again; each failure doubles it up to MaxReconnectBackoff.
	ReconnectBackoff    time.Duration
	MaxReconnectBackoff time.Duration
}

// CatalogCache serves the public catalog (GET /api/products and
// /api/products/{id}) from memory: the JSON of every answer is encoded once,
// with its ETag, and rebuilt when a product changes. Changes reach every
// replica through Postgres LISTEN/NOTIFY (migration 0002 notifies on every
// insert, update and delete of products, stock reservations included).
//
// Staleness is bounded: a notification triggers a rebuild at once, or, under
// a stream of them (a flash sale reserving stock on every request), at most
// once per MinRebuildInterval (or ten times the last rebuild's encoding
// time, when that is longer, up to a second: see rebuildShare). While the
// LISTEN connection is down the catalog is rebuilt every FallbackTTL/2 and
// a read never serves one older than FallbackTTL, so no replica shows old
// data for long whatever happens to its connection. Edits made through this replica (Invalidate) are seen
// by its very next read.
//
// Its zero value is not usable; make one with NewCatalogCache and run its
// listener with Run.
type CatalogCache struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	cfg  CacheConfig

	snap      atomic.Pointer[snapshot]
	listening atomic.Bool
	// seen counts the changes announced or made here; a snapshot records
	// the count it covers. mustSync is the count a read must see: it moves
	// only for changes made through this replica.
	seen     atomic.Uint64
	mustSync atomic.Uint64
	wake     chan struct{}
	build    sync.Mutex // one rebuild at a time
	// zw compresses the pages of each rebuild (under build): a gzip
	// writer at BestCompression is ~1 MB, made once rather than per rebuild.
	zw *gzip.Writer

	metrics cacheMetrics
}

type cacheMetrics struct {
	rebuilds      *prometheus.CounterVec
	notifications prometheus.Counter
	listening     prometheus.Gauge
}

type snapshot struct {
	gen     uint64
	builtAt time.Time
	took    time.Duration // the time the rebuild spent encoding
	list    page
	byID    map[string]page
}

// NewCatalogCache returns the cache over cfg.Pool; nothing is read until it is used.
func NewCatalogCache(cfg CacheConfig) *CatalogCache {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MinRebuildInterval <= 0 {
		cfg.MinRebuildInterval = DefaultMinRebuildInterval
	}
	if cfg.FallbackTTL <= 0 {
		cfg.FallbackTTL = DefaultFallbackTTL
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.ReconnectBackoff <= 0 {
		cfg.ReconnectBackoff = 100 * time.Millisecond
	}
	if cfg.MaxReconnectBackoff <= 0 {
		cfg.MaxReconnectBackoff = 5 * time.Second
	}
	c := &CatalogCache{pool: cfg.Pool, log: cfg.Logger, cfg: cfg, wake: make(chan struct{}, 1)}
	c.metrics = cacheMetrics{
		rebuilds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stripeshop_catalog_rebuilds_total",
			Help: "Rebuilds of the cached public catalog, by outcome (ok, error).",
		}, []string{"outcome"}),
		notifications: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stripeshop_catalog_notifications_total",
			Help: "Product change notifications received on the LISTEN connection.",
		}),
		listening: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "stripeshop_catalog_listening",
			Help: "1 while the catalog's LISTEN connection is up; 0 while it falls back to a short TTL.",
		}),
	}
	if cfg.Registry != nil {
		cfg.Registry.MustRegister(c.metrics.rebuilds, c.metrics.notifications, c.metrics.listening)
	}
	return c
}

// list returns the public product list, {"products": [...]}.
func (c *CatalogCache) list(ctx context.Context) (page, error) {
	s, err := c.current(ctx)
	if err != nil {
		return page{}, err
	}
	return s.list, nil
}

// product returns one active product; not_found when it is unknown or
// inactive. id must be lower-case, as the store returns ids.
func (c *CatalogCache) product(ctx context.Context, id string) (page, error) {
	s, err := c.current(ctx)
	if err != nil {
		return page{}, err
	}
	p, ok := s.byID[id]
	if !ok {
		return page{}, shop.Errorf(shop.ErrNotFound, "product not found")
	}
	return p, nil
}

// Invalidate tells the catalog that this replica changed a product: its
// next read rebuilds first, so an admin sees their own edit at once. Other
// replicas learn of it by notification. A nil Catalog ignores the call.
func (c *CatalogCache) Invalidate() {
	if c == nil {
		return
	}
	c.mustSync.Store(c.seen.Add(1))
	c.poke()
}

// Listening reports whether the LISTEN connection is up.
func (c *CatalogCache) Listening() bool { return c.listening.Load() }

func (c *CatalogCache) changed() {
	c.seen.Add(1)
	c.poke()
}

func (c *CatalogCache) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// current returns a snapshot fresh enough to serve, rebuilding it first
// when it is not.
func (c *CatalogCache) current(ctx context.Context) (*snapshot, error) {
	if s := c.snap.Load(); c.usable(s) {
		return s, nil
	}
	return c.rebuild(ctx, true)
}

// usable reports whether s may be served: it exists, covers every change
// made through this replica, and is young enough when no notification
// would tell us it is not.
func (c *CatalogCache) usable(s *snapshot) bool {
	if s == nil || s.gen < c.mustSync.Load() {
		return false
	}
	return c.listening.Load() || time.Since(s.builtAt) <= c.cfg.FallbackTTL
}

// rebuild reads the catalog and swaps in a new snapshot. When onlyIfStale,
// a caller that waited for another rebuild takes that one's result.
func (c *CatalogCache) rebuild(ctx context.Context, onlyIfStale bool) (*snapshot, error) {
	c.build.Lock()
	defer c.build.Unlock()
	if s := c.snap.Load(); onlyIfStale && c.usable(s) {
		return s, nil
	}
	// Read the count before the query: a change announced while it runs
	// leaves seen above the snapshot's gen, and the next rebuild takes it.
	gen := c.seen.Load()
	start := time.Now()
	products, err := postgres.NewProducts(c.pool).List(ctx, false)
	if err != nil {
		c.metrics.rebuilds.WithLabelValues("error").Inc()
		return nil, err
	}
	encodeStart := time.Now() // the rebuild's own work; the query's time may be a wait for the pool
	publicImageURLs(products, c.cfg.AppURL)
	if c.zw == nil {
		c.zw, _ = gzip.NewWriterLevel(io.Discard, gzip.BestCompression)
	}
	s, err := encodeSnapshotWith(products, c.zw, c.snap.Load())
	if err != nil {
		c.metrics.rebuilds.WithLabelValues("error").Inc()
		return nil, err
	}
	s.gen, s.builtAt, s.took = gen, start, time.Since(encodeStart)
	c.snap.Store(s)
	c.metrics.rebuilds.WithLabelValues("ok").Inc()
	return s, nil
}

// publicImageURLs sets the image_url of each product with pictures to its
// main picture's largest variant, so clients that know only image_url show
// the uploaded picture.
func publicImageURLs(products []shop.Product, appURL string) {
	for i, p := range products {
		if len(p.Images) > 0 {
			products[i].ImageURL = strings.TrimRight(appURL, "/") + p.Images[0].LargestPath()
		}
	}
}

// encodeSnapshot encodes the answers with writeJSON, as every handler does,
// so a cached answer is byte for byte the one a handler would write.
func encodeSnapshot(products []shop.Product) (*snapshot, error) {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestCompression)
	return encodeSnapshotWith(products, zw, nil)
}

// encodeSnapshotWith is encodeSnapshot with a gzip writer to reuse and the
// snapshot it replaces, if any. A sale changes the stock of a few products
// of the catalog, and a flash sale rebuilds it several times a second:
//
//   - a product whose answer is byte for byte the one in prev keeps prev's
//     page, its ETag and gzip included: the others cost one encoding into
//     a scratch buffer and a comparison, not a copy, a SHA-256 and a gzip;
//   - the list is spliced from the products' answers into one buffer of
//     its size, not encoded again into a series of doublings (that garbage
//     set the server's peak memory in a flash sale).
func encodeSnapshotWith(products []shop.Product, zw *gzip.Writer, prev *snapshot) (*snapshot, error) {
	s := &snapshot{byID: make(map[string]page, len(products))}
	bodies := make([][]byte, len(products))
	var scratch bytes.Buffer
	for i, p := range products {
		scratch.Reset()
		if err := writeJSON(&scratch, p); err != nil {
			return nil, fmt.Errorf("encode catalog: %w", err)
		}
		pg, ok := prev.page(p.ID)
		if !ok || !bytes.Equal(pg.Body, scratch.Bytes()) {
			pg = pageOf(bytes.Clone(scratch.Bytes()), zw)
		}
		s.byID[p.ID], bodies[i] = pg, pg.Body
	}
	if products == nil { // null, not []: let the encoder say it
		list, err := encodePage(productList(products), zw)
		s.list = list
		return s, err
	}
	s.list = pageOf(spliceList(bodies), zw)
	return s, nil
}

// spliceList is the JSON of productList from each product's own JSON (as
// writeJSON wrote it, with its newline): an array's elements are encoded
// as each is alone.
func spliceList(bodies [][]byte) []byte {
	const head, tail = `{"products":[`, "]}\n"
	n := len(head) + len(tail)
	for _, b := range bodies {
		n += len(b) // its newline makes room for the comma
	}
	out := make([]byte, 0, n)
	out = append(out, head...)
	for i, b := range bodies {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, bytes.TrimSuffix(b, []byte("\n"))...)
	}
	return append(out, tail...)
}

// page is the product's page in s, if s has one.
func (s *snapshot) page(id string) (page, bool) {
	if s == nil {
		return page{}, false
	}
	pg, ok := s.byID[id]
	return pg, ok
}

// encodePage is the page of v's JSON.
func encodePage(v any, zw *gzip.Writer) (page, error) {
	var b bytes.Buffer
	if err := writeJSON(&b, v); err != nil {
		return page{}, fmt.Errorf("encode catalog: %w", err)
	}
	return pageOf(b.Bytes(), zw), nil
}

// pageOf is the page of an encoded body: its strong ETag is a hash of it.
func pageOf(body []byte, zw *gzip.Writer) page {
	sum := sha256.Sum256(body)
	return newPage(body, `"`+base64.RawURLEncoding.EncodeToString(sum[:18])+`"`, zw)
}

// Run keeps the catalog up to date until ctx ends: it listens for product
// changes on a dedicated connection (reconnecting with backoff when it
// drops) and rebuilds the snapshot when they come.
func (c *CatalogCache) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.refresh(ctx)
	}()
	c.listen(ctx)
	wg.Wait()
}

// rebuildShare bounds the time the catalog's rebuilds spend encoding under
// a stream of changes to this share of one core: a large catalog (1,000
// products with pictures took ~20 ms to encode and compress) is rebuilt
// less often than every MinRebuildInterval while a sale changes its stock
// on every order, and never less often than every maxRebuildGap. Measured
// in docs/benchmarks.md §10.
const (
	rebuildShare  = 10
	maxRebuildGap = time.Second
)

// rebuildGap is how long after the start of a rebuild whose encoding took
// took the next one triggered by a change may start.
func rebuildGap(minInterval, took time.Duration) time.Duration {
	return max(minInterval, min(rebuildShare*took, maxRebuildGap))
}

// refresh rebuilds the snapshot when a change was announced (no sooner than
// rebuildGap after the last rebuild), every FallbackTTL/2 while the
// listener is down, and every MaxAge regardless.
func (c *CatalogCache) refresh(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		var due time.Duration
		s := c.snap.Load()
		switch {
		case s == nil:
		case c.seen.Load() > s.gen:
			due = time.Until(s.builtAt.Add(rebuildGap(c.cfg.MinRebuildInterval, s.took)))
		case !c.listening.Load():
			due = time.Until(s.builtAt.Add(c.cfg.FallbackTTL / 2))
		default:
			due = time.Until(s.builtAt.Add(c.cfg.MaxAge))
		}
		if due <= 0 {
			if _, err := c.rebuild(ctx, false); err != nil {
				if ctx.Err() != nil {
					return
				}
				c.log.Warn("catalog rebuild failed; retrying", "err", err)
				due = c.cfg.FallbackTTL
			} else {
				continue
			}
		}
		timer.Reset(due)
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		case <-timer.C:
		}
	}
}

// listen holds the LISTEN connection, reconnecting with backoff: the wait
// starts over after a connection that worked and doubles after each that
// did not.
func (c *CatalogCache) listen(ctx context.Context) {
	backoff := c.cfg.ReconnectBackoff
	for ctx.Err() == nil {
		connected, err := c.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if connected {
			backoff = c.cfg.ReconnectBackoff
		}
		c.log.Warn("catalog LISTEN connection lost; serving with a short TTL until it is back",
			"err", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		if !connected {
			backoff = min(2*backoff, c.cfg.MaxReconnectBackoff)
		}
	}
}

// listenOnce connects, listens and waits for notifications until the
// connection fails; connected reports whether it got as far as listening.
func (c *CatalogCache) listenOnce(ctx context.Context) (connected bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, c.pool.Config().ConnConfig.Copy())
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+CatalogChannel); err != nil {
		return false, err
	}
	c.setListening(true)
	defer c.setListening(false)
	c.log.Info("catalog listening for product changes", "channel", CatalogChannel)
	// Whatever changed while nobody listened is in the database: rebuild.
	c.changed()
	for {
		// Wake up now and then to check that the connection still answers:
		// a silently dropped one would otherwise leave us "listening".
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			c.metrics.notifications.Inc()
			c.changed()
		case ctx.Err() != nil:
			return true, ctx.Err()
		case wctx.Err() != nil:
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return true, err
			}
		default:
			return true, err
		}
	}
}

func (c *CatalogCache) setListening(on bool) {
	c.listening.Store(on)
	if on {
		c.metrics.listening.Set(1)
	} else {
		c.metrics.listening.Set(0)
	}
	c.poke()
}

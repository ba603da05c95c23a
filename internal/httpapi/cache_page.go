package httpapi

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
)

// page is one pre-encoded answer, with its gzip-compressed twin for the
// clients that accept it (every browser): the JSON of a catalog shrinks
// about tenfold, and both sides of the connection do that much less work.
type page struct {
	Body     []byte
	ETag     string
	Gzip     []byte
	GzipETag string
	// plain and gz are the values of each representation's headers, made
	// with the page: a catalog request then sets its headers without
	// allocating or canonicalising anything (see ServeHTTP).
	plain, gz *pageHeaders
}

// pageHeaders holds one representation's ETag, Content-Length and
// Cache-Control values. ServeHTTP hands net/http one-element slices of
// vals, capped at their length: net/http only reads them, and an Add by
// anyone else would copy rather than write into vals.
type pageHeaders struct {
	vals [3]string
}

func (ph *pageHeaders) etag() []string         { return ph.vals[0:1:1] }
func (ph *pageHeaders) length() []string       { return ph.vals[1:2:2] }
func (ph *pageHeaders) cacheControl() []string { return ph.vals[2:3:3] }

// Header values every page shares (each a slice of one, capacity one).
var (
	varyAcceptEncoding = []string{"Accept-Encoding"}
	gzipEncoding       = []string{"gzip"}
	jsonContentType    = []string{"application/json; charset=utf-8"}
)

// defaultCacheControl lets clients keep a copy but has them revalidate it:
// stock changes with every sale.
const defaultCacheControl = "no-cache"

func newPageHeaders(etag string, body []byte, cacheControl string) *pageHeaders {
	return &pageHeaders{vals: [3]string{etag, strconv.Itoa(len(body)), cacheControl}}
}

// withCacheControl is the page sent with Cache-Control cc instead of
// no-cache.
func (p page) withCacheControl(cc string) page {
	p.plain = newPageHeaders(p.ETag, p.Body, cc)
	if p.Gzip != nil {
		p.gz = newPageHeaders(p.GzipETag, p.Gzip, cc)
	}
	return p
}

// minGzip is the size under which compressing is not worth a header.
const minGzip = 1024

// newPage compresses body once, at rebuild time, with zw (reused across
// the pages of a snapshot: a gzip writer is large).
func newPage(body []byte, etag string, zw *gzip.Writer) page {
	p := page{Body: body, ETag: etag}
	if len(body) >= minGzip {
		var z bytes.Buffer
		zw.Reset(&z)
		_, _ = zw.Write(body)
		if zw.Close() == nil && z.Len() < len(body) {
			// A strong ETag names one representation: the gzip one has its own.
			p.Gzip, p.GzipETag = z.Bytes(), strings.TrimSuffix(etag, `"`)+`-gz"`
		}
	}
	return p.withCacheControl(defaultCacheControl)
}

// ServeHTTP writes the page (made by newPage), compressed when the client accepts gzip, or
// 304 Not Modified when the request's If-None-Match names its ETag.
// Unless the page says otherwise (withCacheControl), clients may keep a
// copy but must revalidate it (no-cache).
//
// The headers are assigned as the page's own values (pageHeaders): the
// keys are canonical already, and a catalog request, the shop's most
// frequent, allocates nothing for them.
func (p page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	body, hv := p.Body, p.plain
	if p.Gzip != nil {
		if len(h["Vary"]) == 0 {
			h["Vary"] = varyAcceptEncoding
		} else {
			h.Add("Vary", "Accept-Encoding")
		}
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, hv = p.Gzip, p.gz
			h["Content-Encoding"] = gzipEncoding
		}
	}
	h["Etag"] = hv.etag()
	h["Cache-Control"] = hv.cacheControl()
	if inm := r.Header.Get("If-None-Match"); inm != "" && (etagMatch(inm, p.ETag) || (p.Gzip != nil && etagMatch(inm, p.GzipETag))) {
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = jsonContentType
	// With a length, net/http sends the body as is, not in chunks.
	h["Content-Length"] = hv.length()
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// etagMatch applies If-None-Match's weak comparison (RFC 9110 13.1.2): "*"
// or any listed tag equal to etag once a W/ prefix is ignored.
func etagMatch(header, etag string) bool {
	for part := range strings.SplitSeq(header, ",") {
		tag := strings.TrimSpace(part)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: named
// (or *) with a q-value above zero.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		if v, ok := strings.CutPrefix(q, "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f == 0 {
				continue
			}
		}
		return true
	}
	return false
}

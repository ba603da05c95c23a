package httpapi

import (
	"bytes"
	"cmp"
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
	// CacheControl is sent as Cache-Control; empty means no-cache.
	CacheControl string
}

// minGzip is the size under which compressing is not worth a header.
const minGzip = 1024

// newPage compresses body once, at rebuild time, with zw (reused across
// the pages of a snapshot: a gzip writer is large).
func newPage(body []byte, etag string, zw *gzip.Writer) page {
	p := page{Body: body, ETag: etag}
	if len(body) < minGzip {
		return p
	}
	var z bytes.Buffer
	zw.Reset(&z)
	_, _ = zw.Write(body)
	if zw.Close() == nil && z.Len() < len(body) {
		// A strong ETag names one representation: the gzip one has its own.
		p.Gzip, p.GzipETag = z.Bytes(), strings.TrimSuffix(etag, `"`)+`-gz"`
	}
	return p
}

// ServeHTTP writes the page, compressed when the client accepts gzip, or
// 304 Not Modified when the request's If-None-Match names its ETag.
// Unless the page says otherwise, clients may keep a copy but must
// revalidate it (no-cache): stock changes with every sale.
func (p page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	body, etag := p.Body, p.ETag
	if p.Gzip != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, etag = p.Gzip, p.GzipETag
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	h.Set("Cache-Control", cmp.Or(p.CacheControl, "no-cache"))
	if inm := r.Header.Get("If-None-Match"); inm != "" && (etagMatch(inm, p.ETag) || (p.Gzip != nil && etagMatch(inm, p.GzipETag))) {
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	// With a length, net/http sends the body as is, not in chunks.
	h.Set("Content-Length", strconv.Itoa(len(body)))
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

package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stripeshop/stripeshop/internal/clientip"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// contentSecurityPolicy lets the React app run (its own scripts and styles,
// product images from any https host) and nothing else; no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' https: data:; connect-src 'self'; font-src 'self'; object-src 'none'; " +
	"base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// securityValues are the security headers' values, made once: each
// request's header map shares them (net/http only reads them, and an Add
// would copy a slice whose capacity is its length).
var securityValues = []struct {
	key   string
	value []string
}{
	{"Content-Security-Policy", []string{contentSecurityPolicy}},
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"Referrer-Policy", []string{"strict-origin-when-cross-origin"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, v := range securityValues {
			h[v.key] = v.value[:1:1]
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody caps every request body; routes that read JSON cap it lower,
// and an image upload caps its own higher (handleUploadImage).
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isUpload(r) {
			if r.ContentLength > maxUploadBody {
				writeError(w, r, errUploadTooLarge())
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > maxWebhookBody {
			writeError(w, r, shop.Errorf(errTooLarge, "the body is larger than %d bytes", maxWebhookBody))
			return
		}
		if r.Body != http.NoBody { // a GET has none: nothing to cap
			r.Body = http.MaxBytesReader(w, r.Body, maxWebhookBody)
		}
		next.ServeHTTP(w, r)
	})
}

// clientIPs decides which address a request comes from: the peer's, unless
// the peer is a trusted proxy, in which case the right-most untrusted
// address of X-Forwarded-For.
type clientIPs struct{ trusted []*net.IPNet }

func (c clientIPs) isTrusted(ip net.IP) bool {
	for _, n := range c.trusted {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// peer is the address the connection comes from, and whether it is a
// trusted proxy.
func (c clientIPs) peer(r *http.Request) (host string, trusted bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	return host, ip != nil && c.isTrusted(ip)
}

func (c clientIPs) of(r *http.Request) string {
	host, trusted := c.peer(r)
	if !trusted {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := net.ParseIP(strings.TrimSpace(hops[i]))
		if hop == nil {
			break
		}
		if !c.isTrusted(hop) {
			return hop.String()
		}
	}
	return host
}

// requestID names each request for the logs: the X-Request-Id a trusted
// proxy sends (nginx's, so its log and ours join), else one made here. A
// client's own X-Request-Id is not believed: it could pass itself off as
// another request in the logs, or fill them with whatever it likes.
func requestID(ips clientIPs) func(http.Handler) http.Handler {
	var prefix [6]byte
	_, _ = rand.Read(prefix[:])
	hexPrefix := hex.EncodeToString(prefix[:]) + "-"
	var seq atomic.Uint64
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get(middleware.RequestIDHeader)
			if _, trusted := ips.peer(r); !trusted || !plausibleRequestID(id) {
				id = hexPrefix + strconv.FormatUint(seq.Add(1), 10)
			}
			// One context value for what observe adds too: each
			// WithContext copies the request.
			info := &requestInfo{id: id}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
		})
	}
}

// requestInfo is what the middleware learns of a request for the
// handlers: its id, its client's address, and its logger, made the first
// time a handler asks (most never log).
type requestInfo struct {
	id   string
	ip   string
	base *slog.Logger
	once sync.Once
	log  *slog.Logger
}

type requestInfoKey struct{}

func infoOf(r *http.Request) *requestInfo {
	info, _ := r.Context().Value(requestInfoKey{}).(*requestInfo)
	return info
}

// logger is the request's logger, carrying its request id.
func (i *requestInfo) logger() *slog.Logger {
	i.once.Do(func() { i.log = i.base.With("request_id", i.id) })
	return i.log
}

// plausibleRequestID accepts what proxies send (hex, UUIDs, base64) and
// nothing that could break a log line.
func plausibleRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range []byte(id) {
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// requireJSON refuses a body that does not say it is JSON. A browser sends
// a text/plain, form or multipart POST from any web page without asking
// (no CORS preflight), so a public route that took such bodies would let
// any page make its visitors' browsers reserve stock; application/json
// from another origin needs a preflight, which the server does not grant.
func requireJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" || !utf8Charset(params["charset"]) {
			writeError(w, r, shop.Errorf(errUnsupportedMediaType, "the body must be JSON, sent as Content-Type: application/json"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func utf8Charset(cs string) bool {
	return cs == "" || strings.EqualFold(cs, "utf-8") || strings.EqualFold(cs, "utf8")
}

// noStore keeps every answer it wraps, errors included, out of caches:
// admin answers carry orders, customers' e-mails and CSRF tokens.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// onlyFrom answers 404, as for a route that does not exist, to a client
// that is neither on loopback nor in allowed. The client is the one
// observe resolved: behind a trusted proxy, the address it forwards.
func onlyFrom(allowed []*net.IPNet) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ip := net.ParseIP(clientIP(r))
			if ip == nil || !ip.IsLoopback() && !slices.ContainsFunc(allowed, func(n *net.IPNet) bool { return n.Contains(ip) }) {
				writeError(w, r, shop.Errorf(shop.ErrNotFound, "no such route"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func clientIP(r *http.Request) string {
	if info := infoOf(r); info != nil {
		return info.ip
	}
	return ""
}

// observe gives each request a logger carrying its request id and client
// address, then logs and measures it by route pattern. Query strings are not
// logged: they may carry a checkout session id.
func observe(base *slog.Logger, ips clientIPs, latency *prometheus.HistogramVec) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			info := infoOf(r)
			if info == nil { // not behind requestID
				info = &requestInfo{}
				r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
			}
			ip := ips.of(r)
			info.ip, info.base = ip, base
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			route := "unmatched"
			if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
				route = rc.RoutePattern()
			}
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			latency.WithLabelValues(methodLabel(r.Method), route, strconv.Itoa(status)).Observe(elapsed.Seconds())
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			} else if route == "/healthz" || route == "/readyz" || route == "/metrics" {
				level = slog.LevelDebug
			}
			// The line the request's logger would write (its id first),
			// made as a record of typed attributes: no caller lookup, no
			// boxing of each value.
			if h := base.Handler(); h.Enabled(r.Context(), level) {
				rec := slog.NewRecord(time.Now(), level, "http request", 0)
				rec.AddAttrs(slog.String("request_id", info.id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
					slog.String("route", route), slog.Int("status", status), slog.Int("bytes", ww.BytesWritten()),
					slog.Int64("duration_ms", elapsed.Milliseconds()), slog.String("client", ip))
				_ = h.Handle(r.Context(), rec)
			}
		})
	}
}

// limitPerClient allows perMinute requests a minute from each client (as
// clientIPs and clientip.Key decide it) to the routes it wraps; 0 turns it off.
func limitPerClient(name string, perMinute int) func(http.Handler) http.Handler {
	if perMinute <= 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	return httprate.LimitBy(perMinute, time.Minute,
		func(r *http.Request) (string, error) { return name + ":" + clientip.Key(clientIP(r)), nil },
		httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
			// httprate has set Retry-After already.
			writeError(w, r, shop.Errorf(shop.ErrRateLimited, "too many requests; try again in a minute"))
		}))
}

// methodLabel keeps the metric's label set fixed: any token is a valid
// HTTP method, and each new label value would be a series kept forever.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// recoverJSON turns a panic into the contract's 500 and logs the stack.
func recoverJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger(r).Error("panic", "panic", v, "stack", string(debug.Stack()))
				writeError(w, r, shop.Errorf(shop.ErrInternal, "something went wrong on our side; it has been logged"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

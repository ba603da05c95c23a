package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/cors"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stripeshop/stripeshop/internal/shop"
)

// routes is the whole URL space of the shop, in one place.
func routes(d Deps) *chi.Mux {
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "stripeshop_http_request_duration_seconds",
		Help:    "HTTP request latency by method, route and status.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"method", "route", "status"})
	d.Registry.MustRegister(latency)
	_ = d.Registry.Register(collectors.NewGoCollector())
	_ = d.Registry.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	r := chi.NewRouter()
	ips := clientIPs{d.TrustedProxies}
	r.Use(requestID(ips), observe(d.Logger, ips, latency), recoverJSON, securityHeaders, limitBody)
	if len(d.CORSOrigins) > 0 {
		r.Use(cors.Handler(cors.Options{
			AllowedOrigins:   d.CORSOrigins,
			AllowedMethods:   []string{"GET", "POST", "PATCH", "DELETE", "OPTIONS"},
			AllowedHeaders:   []string{"Content-Type", "X-CSRF-Token"},
			AllowCredentials: true,
			MaxAge:           600,
		}))
	}

	r.Get("/healthz", handleHealthz())
	r.Get("/readyz", handleReadyz(d.Pool))
	// Sales and refund counts are not for the public: loopback (a scraper on
	// the host, or through a trusted proxy from the host) and METRICS_ALLOW only.
	r.With(onlyFrom(d.MetricsAllow)).Method(http.MethodGet, "/metrics", promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{}))
	r.Method(http.MethodPost, "/webhook/stripe", handleWebhook(d.Checkout))
	media := newMediaCache(mediaCacheBytes)
	r.Method(http.MethodGet, "/media/{key}/{name}", handleMedia(d.Pool, media))
	r.Method(http.MethodHead, "/media/{key}/{name}", handleMedia(d.Pool, media))
	if d.Profiling {
		r.Mount("/debug", middleware.Profiler())
	}

	r.Route("/api", func(r chi.Router) {
		r.Get("/openapi.json", handleOpenAPI())
		r.Method(http.MethodGet, "/shop", handleShop(d.Shop))
		r.Method(http.MethodGet, "/products", handleListProducts(d.Catalog))
		r.Method(http.MethodGet, "/products/{id}", handleGetProduct(d.Catalog))
		// These reach Stripe (and reserve stock) for anyone: JSON only (no
		// simple cross-site requests), limited per client.
		r.With(requireJSON, limitPerClient("checkout", d.CheckoutRateLimit)).Group(func(r chi.Router) {
			r.Method(http.MethodPost, "/checkout", handleStartCheckout(d.Checkout))
			r.With(invalidatesCatalog(d.Catalog)).Method(http.MethodPost, "/checkout/cancel", handleCancelCheckout(d.Checkout))
		})
		r.With(limitPerClient("status", 4*d.CheckoutRateLimit)).
			Method(http.MethodGet, "/checkout/status", handleCheckoutStatus(d.Checkout))

		r.Route("/admin", func(r chi.Router) {
			r.Use(noStore)
			// The session store is Postgres: when it fails, answer as for any
			// database failure (JSON 503), not with scs's plain-text 500.
			d.Auth.Sessions().ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
				logger(r).Warn("session store failed", "err", err)
				writeError(w, r, shop.Errorf(shop.ErrUnavailable, "the database is unavailable; try again"))
			}
			r.Use(d.Auth.Sessions().LoadAndSave)
			r.Method(http.MethodPost, "/login", handleLogin(d.Auth))
			r.Group(func(r chi.Router) {
				r.Use(requireAdmin(d.Auth), requireCSRF(d.Auth))
				r.Method(http.MethodGet, "/me", handleMe(d.Auth))
				r.Method(http.MethodPost, "/logout", handleLogout(d.Auth))
				r.Method(http.MethodPost, "/logout-everywhere", handleSignOutEverywhere(d.Auth))
				r.Method(http.MethodPost, "/password", handleChangePassword(d.Auth))
				r.Method(http.MethodGet, "/products", handleAdminListProducts(d.Pool))
				r.Method(http.MethodPost, "/products", handleCreateProduct(d.Pool, d.Catalog))
				r.Method(http.MethodGet, "/products/{id}", handleAdminGetProduct(d.Pool))
				r.Method(http.MethodPatch, "/products/{id}", handleUpdateProduct(d.Pool, d.Catalog))
				r.Method(http.MethodDelete, "/products/{id}", handleDeleteProduct(d.Pool, d.Catalog))
				r.Method(http.MethodGet, "/products/{id}/images", handleListImages(d.Pool))
				r.Method(http.MethodPost, "/products/{id}/images", handleUploadImage(d.Pool, d.Catalog))
				r.Method(http.MethodPost, "/products/{id}/images/reorder", handleReorderImages(d.Pool, d.Catalog))
				r.Method(http.MethodPatch, "/products/{id}/images/{image_id}", handleUpdateImage(d.Pool, d.Catalog))
				r.Method(http.MethodDelete, "/products/{id}/images/{image_id}", handleDeleteImage(d.Pool, d.Catalog, media))
				r.Method(http.MethodGet, "/orders", handleListOrders(d.Pool))
				r.Method(http.MethodGet, "/orders/export.csv", handleExportOrders(d.Pool))
				r.Method(http.MethodGet, "/orders/{id}", handleGetOrder(d.Checkout, d.Pool))
				r.Method(http.MethodPost, "/orders/{id}/emails/{email_id}/resend", handleResendEmail(d.Jobs))
				r.Method(http.MethodGet, "/jobs", handleListJobs(d.Jobs, d.Pool))
				r.Method(http.MethodPost, "/orders/{id}/refund", handleRefund(d.Checkout))
				r.Method(http.MethodGet, "/events", handleListEvents(d.Pool))
				r.Method(http.MethodPost, "/events/{id}/reprocess", handleReprocess(d.Checkout))
				r.Method(http.MethodGet, "/stats", handleStats(d.Pool, d.Now))
				r.Method(http.MethodGet, "/shipping-rates", handleListShippingRates(d.Pool))
				r.Method(http.MethodPost, "/shipping-rates", handleCreateShippingRate(d.Pool))
				r.Method(http.MethodPatch, "/shipping-rates/{id}", handleUpdateShippingRate(d.Pool))
			})
		})
		r.NotFound(func(w http.ResponseWriter, r *http.Request) {
			writeError(w, r, shop.Errorf(shop.ErrNotFound, "no such API route"))
		})
		r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
			writeError(w, r, shop.Errorf(errMethodNotAllowed, "%s is not allowed on this route", r.Method))
		})
	})

	r.NotFound(handleSPA(d.Web).ServeHTTP)
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, shop.Errorf(errMethodNotAllowed, "%s is not allowed on this route", r.Method))
	})
	return r
}

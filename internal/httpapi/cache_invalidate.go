package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5/middleware"
)

// invalidatesCatalog tells this replica's catalog that a successful request
// changed stock, so that its next read rebuilds first: a customer who
// cancels their order sees its units back on the very next page, not after
// the notification's rebuild (other replicas learn of it by notification,
// as for every change). Only for rare requests: a checkout, which a flash
// sale sends by the thousand, is left to the notifications, whose rebuilds
// are coalesced.
func invalidatesCatalog(cat *CatalogCache) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			if s := ww.Status(); s >= 200 && s < 300 {
				cat.Invalidate()
			}
		})
	}
}

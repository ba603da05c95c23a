package httpapi

import (
	"context"
	_ "embed"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stripeshop/stripeshop/internal/postgres"
)

func handleHealthz() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_ = encode(w, http.StatusOK, map[string]string{"status": "ok"})
	}
}

// handleReadyz answers 200 only when the database answers and carries the
// schema this binary expects.
func handleReadyz(pool *pgxpool.Pool) http.HandlerFunc {
	latest, latestErr := postgres.Latest()
	riverLatest := postgres.RiverLatest()
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		version, dirty, err := postgres.SchemaVersion(ctx, pool)
		switch {
		case err != nil:
			logger(r).Warn("not ready: database", "err", err)
			_ = encode(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "database unreachable or not migrated"})
		case latestErr != nil || dirty || version != latest:
			logger(r).Warn("not ready: database schema", "version", version, "dirty", dirty, "want", latest, "err", latestErr)
			_ = encode(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "database schema is not at this binary's version"})
		default:
			// The job queue's tables: River's migrator, in the same start-up step.
			rv, err := postgres.RiverSchemaVersion(ctx, pool)
			if err != nil || rv < riverLatest {
				logger(r).Warn("not ready: job queue schema", "version", rv, "want", riverLatest, "err", err)
				_ = encode(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "the job queue's schema is not at this binary's version"})
				return
			}
			_ = encode(w, http.StatusOK, map[string]string{"status": "ready"})
		}
	}
}

//go:embed openapi.json
var openapiDoc []byte

func handleOpenAPI() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapiDoc)
	}
}

package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stripeshop/stripeshop/internal/auth"
	"github.com/stripeshop/stripeshop/internal/checkout"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

func requireAdmin(a *auth.Service) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := a.Current(r.Context()); err != nil {
				writeError(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// requireCSRF refuses a state-changing request whose X-CSRF-Token header is
// not the session's token.
func requireCSRF(a *auth.Service) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
			default:
				if !a.CheckCSRF(r.Context(), r.Header.Get("X-CSRF-Token")) {
					writeError(w, r, shop.Errorf(shop.ErrForbidden, "missing or wrong X-CSRF-Token"))
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

type loginBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func handleLogin(a *auth.Service) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		body, err := decode[loginBody](w, r, maxJSONBody)
		if err != nil {
			return err
		}
		fields := map[string]string{}
		if body.Email == "" {
			fields["email"] = "is required"
		}
		if len(body.Email) > 254 {
			fields["email"] = "must be at most 254 characters"
		}
		if body.Password == "" {
			fields["password"] = "is required"
		} else if len(body.Password) > 1024 {
			fields["password"] = "must be at most 1024 characters"
		}
		if len(fields) > 0 {
			return shop.Invalid(fields)
		}
		id, err := a.Login(r.Context(), body.Email, body.Password, clientIP(r))
		if err != nil {
			if auth.IsRateLimited(err) {
				logger(r).Warn("login rate limited", "client", clientIP(r))
			} else if shop.ErrorCode(err) == shop.ErrUnauthorized {
				logger(r).Warn("login failed", "client", clientIP(r))
			}
			return err
		}
		logger(r).Info("admin signed in", "client", clientIP(r))
		return encode(w, http.StatusOK, id)
	})
}

func handleMe(a *auth.Service) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		id, err := a.Current(r.Context())
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, id)
	})
}

type passwordBody struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func handleChangePassword(a *auth.Service) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		body, err := decode[passwordBody](w, r, maxJSONBody)
		if err != nil {
			return err
		}
		if len(body.CurrentPassword) > 1024 {
			return shop.Invalid(map[string]string{"current_password": "must be at most 1024 characters"})
		}
		if err := a.ChangePassword(r.Context(), body.CurrentPassword, body.NewPassword, clientIP(r)); err != nil {
			if auth.IsRateLimited(err) {
				logger(r).Warn("password change rate limited", "client", clientIP(r))
			}
			return err
		}
		logger(r).Info("admin changed password; their other sessions ended", "client", clientIP(r))
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

func handleSignOutEverywhere(a *auth.Service) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		if err := a.SignOutEverywhere(r.Context()); err != nil {
			return err
		}
		logger(r).Info("admin signed out everywhere", "client", clientIP(r))
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

func handleLogout(a *auth.Service) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		if err := a.Logout(r.Context()); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// adminOrder is an order with its webhook events.
type adminOrder struct {
	shop.Order
	Events []shop.Event `json:"events"`
	orderMail
}

func handleListOrders(pool *pgxpool.Pool) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		status := shop.Status(q.Get("status"))
		if status != "" && !status.Valid() {
			return shop.Invalid(map[string]string{"status": "must be one of pending, processing, paid, failed, expired, refunded"})
		}
		limit, err := queryInt(r, "limit", 20, 1, 100)
		if err != nil {
			return err
		}
		number, err := orderNumber(q.Get("number"))
		if err != nil {
			return err
		}
		productID := q.Get("product_id")
		if productID != "" {
			var ok bool
			if productID, ok = shop.ParseID(productID); !ok {
				return shop.Invalid(map[string]string{"product_id": "must be a product id"})
			}
		}
		search := strings.TrimSpace(q.Get("q"))
		if len(search) > 254 || strings.ContainsRune(search, 0) {
			return shop.Invalid(map[string]string{"q": "must be at most 254 characters, an e-mail or part of one, or an order number"})
		}
		orders, next, err := postgres.NewOrders(pool).List(r.Context(), postgres.ListFilter{Status: status, Number: number,
			ProductID: productID, Query: search, Limit: limit, Cursor: q.Get("cursor")})
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, map[string]any{"orders": orders, "next_cursor": nullable(next)})
	})
}

// orderNumber reads the number filter of the order list: "" for none, else
// the order's number as people write it, with or without its "#".
func orderNumber(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, ok := shop.ParseOrderNumber(s)
	if !ok {
		return 0, shop.Invalid(map[string]string{"number": "must be an order number, like 1001"})
	}
	return n, nil
}

func handleGetOrder(svc *checkout.Service, pool *pgxpool.Pool) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		o, events, err := svc.Order(r.Context(), chi.URLParam(r, "id"))
		if err != nil {
			return err
		}
		m, err := loadOrderMail(r, pool, o.ID)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, adminOrder{o, events, m})
	})
}

func handleRefund(svc *checkout.Service) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		// The body is optional: none (or an empty one) refunds without restocking.
		opts, err := decodeOptional[shop.RefundRequest](w, r, 16<<10)
		if err != nil {
			return err
		}
		o, err := svc.Refund(r.Context(), chi.URLParam(r, "id"), opts)
		if err != nil {
			return err
		}
		logger(r).Info("order refunded by admin", "order_id", o.ID, "restock", opts.Restock, "amount_refunded", o.AmountRefunded)
		return encode(w, http.StatusOK, o)
	})
}

func handleListEvents(pool *pgxpool.Pool) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		limit, err := queryInt(r, "limit", 50, 1, 200)
		if err != nil {
			return err
		}
		events, next, err := postgres.NewEvents(pool).List(r.Context(), limit, r.URL.Query().Get("cursor"))
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, map[string]any{"events": events, "next_cursor": nullable(next)})
	})
}

func handleReprocess(svc *checkout.Service) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		id := chi.URLParam(r, "id")
		if len(id) > 255 {
			return shop.Errorf(shop.ErrNotFound, "event not found")
		}
		ev, err := svc.Reprocess(r.Context(), id)
		if shop.ErrorCode(err) == shop.ErrNotFound {
			return shop.Errorf(shop.ErrNotFound, "event not found")
		}
		if err != nil {
			return err
		}
		logger(r).Info("event reprocessed by admin", "event_id", id)
		return encode(w, http.StatusOK, ev)
	})
}

func handleStats(pool *pgxpool.Pool, now func() time.Time) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		days, err := queryInt(r, "days", 30, 1, 366)
		if err != nil {
			return err
		}
		stats, byStatus, err := postgres.NewOrders(pool).Stats(r.Context(), days, now())
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, map[string]any{"days": stats, "by_status": byStatus})
	})
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

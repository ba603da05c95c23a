package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/stripeshop/stripeshop/internal/checkout"
	"github.com/stripeshop/stripeshop/internal/clientip"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// checkoutBody is a cart ({"items": [...]}) or, as before carts, one
// product ({"product_id", "quantity"}).
type checkoutBody struct {
	Items     []checkoutItem `json:"items"`
	ProductID string         `json:"product_id"`
	Quantity  *int64         `json:"quantity"`
}

type checkoutItem struct {
	ProductID string `json:"product_id"`
	Quantity  *int64 `json:"quantity"`
}

// items is the cart the body asks for; a missing quantity is 1.
func (b checkoutBody) items() ([]shop.Item, error) {
	qty := func(q *int64) int64 {
		if q == nil {
			return 1
		}
		return *q
	}
	switch {
	case b.Items != nil && (b.ProductID != "" || b.Quantity != nil):
		return nil, shop.Invalid(map[string]string{"items": "give items or product_id, not both"})
	case b.Items != nil:
		out := make([]shop.Item, len(b.Items))
		for i, it := range b.Items {
			if it.ProductID == "" {
				return nil, shop.Invalid(map[string]string{fmt.Sprintf("items[%d].product_id", i): "is required"})
			}
			out[i] = shop.Item{ProductID: it.ProductID, Quantity: qty(it.Quantity)}
		}
		return out, nil
	case b.ProductID == "":
		return nil, shop.Invalid(map[string]string{"product_id": "is required"})
	}
	return []shop.Item{{ProductID: b.ProductID, Quantity: qty(b.Quantity)}}, nil
}

func handleStartCheckout(svc *checkout.Service) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		body, err := decode[checkoutBody](w, r, maxJSONBody)
		if err != nil {
			return err
		}
		items, err := body.items()
		if err != nil {
			return err
		}
		started, err := svc.Start(r.Context(), items, clientip.Key(clientIP(r)))
		if err != nil {
			return err
		}
		logger(r).Info("checkout started", "order_id", started.OrderID)
		return encode(w, http.StatusCreated, started)
	})
}

func handleCheckoutStatus(svc *checkout.Service) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		id := r.URL.Query().Get("session_id")
		switch {
		case id == "":
			return shop.Invalid(map[string]string{"session_id": "is required"})
		case len(id) > 255 || !strings.HasPrefix(id, "cs_"):
			return shop.Invalid(map[string]string{"session_id": "must be a Checkout Session id (cs_…)"})
		}
		o, err := svc.Fulfil(r.Context(), id)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		return encode(w, http.StatusOK, o.Public())
	})
}

type cancelBody struct {
	OrderID string `json:"order_id"`
}

// cancelled is all the cancel page needs to say what became of the order.
// Whoever has the cancel link holds the order id, so nothing more is told:
// not the customer's e-mail, not the session id that reads the order.
type cancelled struct {
	OrderID     string      `json:"order_id"`
	Status      shop.Status `json:"status"`
	ProductID   string      `json:"product_id"`
	ProductName string      `json:"product_name"`
}

// handleCancelCheckout is called by the cancel page: the customer came back
// from Stripe without paying, so the reservation is given up now.
func handleCancelCheckout(svc *checkout.Service) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		body, err := decode[cancelBody](w, r, maxJSONBody)
		if err != nil {
			return err
		}
		if body.OrderID == "" {
			return shop.Invalid(map[string]string{"order_id": "is required"})
		}
		o, err := svc.Cancel(r.Context(), body.OrderID)
		if err != nil {
			return err
		}
		// The order id is the key to this route: kept out of info logs.
		logger(r).Debug("checkout cancelled by the customer", "order_id", o.ID, "status", o.Status)
		return encode(w, http.StatusOK, cancelled{OrderID: o.ID, Status: o.Status, ProductID: o.ProductID, ProductName: o.ProductName})
	})
}

// handleWebhook hands the raw body to the workflow, which verifies its
// signature before anything else. It answers 2xx only once the event is
// committed, so Stripe retries whatever we could not record.
func handleWebhook(svc *checkout.Service) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return shop.Errorf(errTooLarge, "the body is larger than %d bytes", mbe.Limit)
			}
			return shop.Errorf(shop.ErrInvalid, "could not read the body")
		}
		d, err := svc.HandleWebhook(r.Context(), body, r.Header.Get("Stripe-Signature"))
		if err != nil {
			logger(r).Warn("webhook refused", "event_id", d.EventID, "err", err)
			return err
		}
		logger(r).Debug("webhook event", "event_id", d.EventID, "type", d.Type, "outcome", d.Outcome) // the access log and the transition say the rest
		return encode(w, http.StatusOK, map[string]any{"received": true, "outcome": d.Outcome})
	})
}

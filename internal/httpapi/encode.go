package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/stripeshop/stripeshop/internal/shop"
)

// Body limits.
const (
	maxJSONBody    = 64 << 10 // admin and public JSON requests
	maxWebhookBody = 1 << 20  // Stripe's events are far smaller
)

// handler is an http handler that returns its error, so no path forgets to
// answer: ServeHTTP writes the error in the contract's shape.
type handler func(w http.ResponseWriter, r *http.Request) error

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h(w, r); err != nil {
		writeError(w, r, err)
	}
}

func encode(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	return writeJSON(w, v)
}

// writeJSON is the one JSON encoding of every answer, the cached catalog's
// included: HTML-safe, with a trailing newline.
func writeJSON(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }

// productList is the body of every list of products.
func productList(products []shop.Product) any { return map[string]any{"products": products} }

// decode reads one JSON value of at most limit bytes into a T. Unknown
// fields, wrong types and trailing data are
// invalid; an oversized body is too_large. The Content-Type is checked by
// requireJSON on the public routes only: admin mutations are guarded by
// the CSRF token, and clients such as curl -d send a form type with JSON.
func decode[T any](w http.ResponseWriter, r *http.Request, limit int64) (T, error) {
	return decodeBody[T](w, r, limit, false)
}

// decodeOptional is decode for a body that may be left out: none, or only
// white space, is T's zero value.
func decodeOptional[T any](w http.ResponseWriter, r *http.Request, limit int64) (T, error) {
	return decodeBody[T](w, r, limit, true)
}

func decodeBody[T any](w http.ResponseWriter, r *http.Request, limit int64, optional bool) (T, error) {
	var v T
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		if optional && errors.Is(err, io.EOF) {
			return v, nil
		}
		return v, jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return v, jsonError(err)
		}
		return v, shop.Errorf(shop.ErrInvalid, "the body must hold exactly one JSON value")
	}
	return v, nil
}

func jsonError(err error) error {
	var (
		mbe    *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return shop.Errorf(errTooLarge, "the body is larger than %d bytes", mbe.Limit)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return shop.Errorf(shop.ErrInvalid, "the body must be a JSON object")
		}
		if typ.Type == reflect.TypeFor[optionalInt]() {
			return shop.Invalid(map[string]string{field: "must be an integer or null"})
		}
		return shop.Invalid(map[string]string{field: "must be " + describe(typ.Type.String())})
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return shop.Errorf(shop.ErrInvalid, "malformed JSON")
	case errors.Is(err, io.EOF):
		return shop.Errorf(shop.ErrInvalid, "the body is empty; a JSON object is required")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return shop.Invalid(map[string]string{name: "is not a known field"})
	}
	return shop.Errorf(shop.ErrInvalid, "malformed JSON")
}

func describe(goType string) string {
	switch {
	case strings.Contains(goType, "int"):
		return "an integer"
	case strings.Contains(goType, "string"):
		return "a string"
	case strings.Contains(goType, "bool"):
		return "true or false"
	}
	return "of another type"
}

// Error codes that only HTTP gives rise to, beside the domain's in shop.
const (
	errMethodNotAllowed     = "method_not_allowed"
	errTooLarge             = "too_large"
	errUnsupportedMediaType = "unsupported_media_type"
)

// statusOf is the one map from error code to HTTP status.
var statusOf = map[string]int{
	shop.ErrInvalid:         http.StatusBadRequest,
	shop.ErrUnauthorized:    http.StatusUnauthorized,
	shop.ErrForbidden:       http.StatusForbidden,
	shop.ErrNotFound:        http.StatusNotFound,
	errMethodNotAllowed:     http.StatusMethodNotAllowed,
	shop.ErrConflict:        http.StatusConflict,
	errTooLarge:             http.StatusRequestEntityTooLarge,
	errUnsupportedMediaType: http.StatusUnsupportedMediaType,
	shop.ErrRateLimited:     http.StatusTooManyRequests,
	shop.ErrPaymentProvider: http.StatusBadGateway,
	shop.ErrUnavailable:     http.StatusServiceUnavailable,
	shop.ErrInternal:        http.StatusInternalServerError,
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	// Lines names the lines of a cart that cannot be had (checkout).
	Lines []shop.Shortage `json:"lines,omitempty"`
}

// writeError answers err in the contract's shape. Errors that are not
// *shop.Error are logged with the request id and answered generically: no
// SQL, no stack, no detail reaches the client.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var se *shop.Error
	if !errors.As(err, &se) {
		logger(r).Error("internal error", "err", err)
		se = &shop.Error{Code: shop.ErrInternal, Message: "something went wrong on our side; it has been logged"}
	} else if se.Code == shop.ErrUnavailable || se.Code == shop.ErrInternal {
		logger(r).Error("request failed", "code", se.Code, "err", err)
	}
	status, ok := statusOf[se.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if se.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(se.RetryAfter))
	}
	if se.Code == shop.ErrUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	_ = encode(w, status, errorBody{errorDetail{Code: se.Code, Message: se.Message, Fields: se.Fields, Lines: se.Lines}})
}

// optionalInt tells an absent field from null.
type optionalInt struct {
	Set   bool
	Value *int64
}

func (o *optionalInt) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = nil
		return nil
	}
	var v int64
	if err := json.Unmarshal(b, &v); err != nil {
		// The decoder fills in the field's name (jsonError words it).
		return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[optionalInt]()}
	}
	o.Value = &v
	return nil
}

func logger(r *http.Request) *slog.Logger {
	if info := infoOf(r); info != nil && info.base != nil {
		return info.logger()
	}
	return slog.Default()
}

// queryInt reads an integer query parameter within bounds.
func queryInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, shop.Invalid(map[string]string{name: fmt.Sprintf("must be an integer from %d to %d", lo, hi)})
	}
	return n, nil
}

// Package shop holds the domain of stripeshop: products, orders and their
// statuses, validation and the typed errors every layer speaks.
package shop

import (
	"errors"
	"fmt"
)

// Error codes of the domain. httpapi maps each to one HTTP status and adds
// the few only HTTP gives rise to.
const (
	ErrInvalid         = "invalid"
	ErrUnauthorized    = "unauthorized"
	ErrForbidden       = "forbidden"
	ErrNotFound        = "not_found"
	ErrConflict        = "conflict"
	ErrRateLimited     = "rate_limited"
	ErrPaymentProvider = "payment_provider"
	ErrUnavailable     = "unavailable"
	ErrInternal        = "internal"
)

// Error is an error a client may see: a code, a message safe to show and,
// for validation, the fields at fault.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
	// RetryAfter, in seconds, accompanies ErrRateLimited.
	RetryAfter int
	// Lines names the lines of a cart that cannot be had (ErrConflict,
	// ErrNotFound of a checkout).
	Lines []Shortage
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a validation error naming the fields at fault.
func Invalid(fields map[string]string) *Error {
	msg := "invalid input"
	for _, k := range sortedKeys(fields) {
		msg = k + " " + fields[k]
		break
	}
	return &Error{Code: ErrInvalid, Message: msg, Fields: fields}
}

// ErrorCode returns the code of err, or ErrInternal when err is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ErrInternal
}

// Package postgres keeps every fact of the shop in PostgreSQL: the pool,
// migrations and one store per table, with plain SQL next to its Scan.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stripeshop/stripeshop/internal/shop"
)

// DBTX is what both *pgxpool.Pool and pgx.Tx offer, so a store runs inside
// or outside a transaction.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Open connects a pool and checks that the database answers.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	cfg.MaxConnIdleTime = time.Minute
	cfg.HealthCheckPeriod = 15 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return pool, nil
}

// collect scans every row of a query with scan, closing the rows; an
// empty result is an empty slice, not nil.
func collect[T any](rows pgx.Rows, err error, scan func(pgx.Row) (T, error)) ([]T, error) {
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, translate(rows.Err())
}

// translate turns driver errors into shop errors: no rows → not_found,
// unique violation → conflict, an unreachable database → unavailable.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var se *shop.Error
	if errors.As(err, &se) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return shop.Errorf(shop.ErrNotFound, "not found")
	}
	// A refused connection may carry the server's reason as a PgError
	// (55000: the database does not accept connections); it is still an
	// unreachable database.
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return &wrapped{shop.Errorf(shop.ErrUnavailable, "the database is unavailable; try again"), err}
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505":
			return &wrapped{shop.Errorf(shop.ErrConflict, "already exists"), err}
		case pgErr.Code == "23503": // a row still referenced, or one that went away meanwhile
			return &wrapped{shop.Errorf(shop.ErrConflict, "it changed meanwhile; try again"), err}
		case pgErr.Code == "22P02": // invalid text representation, e.g. a malformed uuid
			return &wrapped{shop.Errorf(shop.ErrNotFound, "not found"), err}
		case pgErr.Code == "22021": // a NUL or invalid UTF-8 in text a client sent
			return &wrapped{shop.Errorf(shop.ErrInvalid, "the input contains a character that cannot be stored (NUL)"), err}
		case pgErr.Code[:2] == "08" || pgErr.Code[:2] == "57" || pgErr.Code[:2] == "53":
			return &wrapped{shop.Errorf(shop.ErrUnavailable, "the database is unavailable; try again"), err}
		}
		return err
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) || isConnError(err) {
		return &wrapped{shop.Errorf(shop.ErrUnavailable, "the database is unavailable; try again"), err}
	}
	return err
}

func isConnError(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	// A pool that cannot reach the server, a reset or a closed connection.
	// A connection closed by the network in the middle of a message reads
	// as (unexpected) EOF, which is no net.Error.
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, pgconn.ErrConnClosed)
}

// wrapped keeps the driver's error for the log while the client sees the shop error.
type wrapped struct {
	shopErr *shop.Error
	cause   error
}

func (w *wrapped) Unwrap() []error { return []error{w.shopErr, w.cause} }
func (w *wrapped) Error() string   { return w.shopErr.Error() + ": " + w.cause.Error() }

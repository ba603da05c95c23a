package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// riverMigrateLock serialises River's migrations across replicas starting
// together (golang-migrate's own lock is released by then).
const riverMigrateLock = 0x5757_0011

// migrateRiver brings River's tables to the version of the River this
// binary is built with. Its migrations cannot share one transaction (one
// adds an enum value another uses), so replicas starting together take
// turns under a session advisory lock held on a connection of its own.
func migrateRiver(ctx context.Context, pool *pgxpool.Pool) error {
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return fmt.Errorf("prepare River's migrations: %w", err)
	}
	unlock, err := Lock(ctx, pool, riverMigrateLock)
	if err != nil {
		return fmt.Errorf("lock River's migrations: %w", err)
	}
	defer unlock()
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("apply River's migrations: %w", err)
	}
	return nil
}

// Lock waits for the session-level advisory lock key on a connection of
// its own; unlock releases it with the connection.
func Lock(ctx context.Context, pool *pgxpool.Pool, key int64) (unlock func(), err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, translate(err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		conn.Release()
		return nil, translate(err)
	}
	return func() {
		// Closing the connection ends the session and its lock, whatever
		// state the unlock would have left it in.
		_ = conn.Hijack().Close(context.WithoutCancel(ctx))
	}, nil
}

// RiverLatest is the newest River schema version this binary carries.
func RiverLatest() int {
	migrator, err := rivermigrate.New(riverpgxv5.New(nil), nil)
	if err != nil {
		return 0
	}
	all := migrator.AllVersions()
	if len(all) == 0 {
		return 0
	}
	return all[len(all)-1].Version
}

// RiverSchemaVersion reads the River schema version a database is at;
// cheap enough for a readiness probe.
func RiverSchemaVersion(ctx context.Context, db DBTX) (int, error) {
	var v int
	err := db.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM river_migration`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read River's schema version: %w", translate(err))
	}
	return v, nil
}

// Pgx returns the transaction as a pgx.Tx, for a library that writes in
// the caller's transaction (River's InsertTx). Its statements go after
// whatever is pending, so they see the transaction's earlier writes; it
// cannot commit, roll back or nest: the workflow's InTx owns the
// transaction's end.
func (t *Tx) Pgx() pgx.Tx { return pgxTx{t} }

type pgxTx struct{ t *Tx }

var errNotOwned = fmt.Errorf("postgres: the workflow's transaction is ended by its InTx")

func (p pgxTx) Begin(context.Context) (pgx.Tx, error) { return nil, errNotOwned }
func (p pgxTx) Commit(context.Context) error          { return errNotOwned }
func (p pgxTx) Rollback(context.Context) error        { return errNotOwned }
func (p pgxTx) LargeObjects() pgx.LargeObjects        { return pgx.LargeObjects{} }
func (p pgxTx) Conn() *pgx.Conn                       { return p.t.conn.Conn() }

func (p pgxTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return p.t.Exec(ctx, sql, args...)
}

func (p pgxTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return p.t.Query(ctx, sql, args...)
}

func (p pgxTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return p.t.QueryRow(ctx, sql, args...)
}

func (p pgxTx) flush(ctx context.Context) error {
	if b := p.t.take(); len(b.QueuedQueries) > 0 || p.t.err != nil {
		return p.t.send(ctx, b)
	}
	return nil
}

func (p pgxTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if err := p.flush(ctx); err != nil {
		return errBatch{err}
	}
	return p.t.conn.SendBatch(ctx, b)
}

func (p pgxTx) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	if err := p.flush(ctx); err != nil {
		return 0, err
	}
	return p.t.conn.CopyFrom(ctx, table, cols, src)
}

func (p pgxTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if err := p.flush(ctx); err != nil {
		return nil, err
	}
	return p.t.conn.Conn().Prepare(ctx, name, sql)
}

// errBatch is the results of a batch that was never sent.
type errBatch struct{ err error }

func (e errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, e.err }
func (e errBatch) Query() (pgx.Rows, error)         { return nil, e.err }
func (e errBatch) QueryRow() pgx.Row                { return errRow{e.err} }
func (e errBatch) Close() error                     { return e.err }
func (e errBatch) Tx() pgx.Tx                       { return nil }

type errRow struct{ err error }

func (e errRow) Scan(...any) error { return e.err }

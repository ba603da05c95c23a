package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Tx is a transaction that spends as few round trips to Postgres as its
// statements allow: its BEGIN travels with its first statement, and a
// statement whose only result is success or failure (Later) travels with
// the next one, or with the COMMIT. Postgres runs a pipeline's statements
// in order and skips the rest after an error, so the transaction means
// exactly what it would statement by statement; only the moment an error is
// reported moves, to the call that sends it.
//
// A Tx is for one goroutine. The pgx.Row that QueryRow returns must be
// scanned before the next statement: the statement is sent by Scan.
type Tx struct {
	conn    *pgxpool.Conn
	pending *pgx.Batch // statements not sent yet; "begin" first until it is sent
	begun   bool       // "begin" has been sent
	// err is the first failure of a send. Postgres refuses every statement
	// of a transaction after an error; the Tx refuses them too, so that a
	// failure that happened before the BEGIN ran (pgx prepares new statements
	// in a round trip of their own) cannot leave later statements to run,
	// and commit, outside any transaction.
	err error
	// generic: the transaction's statements use their generic plans (see
	// GenericPlans).
	generic bool
}

// InTx runs fn in a transaction, committed when fn returns nil. The
// connection goes back to the pool once the transaction has ended; one left
// in a state we cannot vouch for is closed instead.
func InTx(ctx context.Context, pool *pgxpool.Pool, fn func(tx *Tx) error) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return translate(err)
	}
	defer conn.Release() // destroys the connection unless it is idle outside a transaction
	tx := &Tx{conn: conn, pending: &pgx.Batch{}}
	tx.pending.Queue("begin")
	if err := fn(tx); err != nil {
		tx.rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := tx.commit(ctx); err != nil {
		tx.rollback(context.WithoutCancel(ctx))
		return translate(err)
	}
	return nil
}

// Later queues a statement to be sent with the transaction's next one or
// with its commit. Its error, if any, becomes the error of that call: use
// it for writes whose result nothing reads (an outcome noted, a lock taken
// before the statement that needs it).
func (t *Tx) Later(sql string, args ...any) {
	t.pending.Queue(sql, args...)
}

// GenericPlans makes the rest of the transaction's statements run on the
// plan Postgres keeps with each prepared statement, made once per
// connection, instead of a plan for each call's arguments. Call it before
// statements that take an array parameter (a cart's products, a move's
// lines): Postgres guesses ten elements for a parameter array when it
// weighs the kept plan, so it finds a plan made for the one or two of each
// call cheaper every time and plans again at every call. For the cart's
// lock and the order's move that planning cost two to four times their
// execution (docs/benchmarks.md §10); their plans are index scans whatever
// the arguments. Queued like Later; once per transaction.
func (t *Tx) GenericPlans() {
	if !t.generic {
		t.generic = true
		t.Later("SET LOCAL plan_cache_mode = force_generic_plan")
	}
}

// genericPlans is GenericPlans when db is a Tx, and nothing otherwise.
func genericPlans(db DBTX) {
	switch tx := db.(type) {
	case *Tx:
		tx.GenericPlans()
	case pgxTx:
		tx.t.GenericPlans()
	}
}

// execLater runs sql on db now, or, when db is a Tx, with its next
// statement or its commit.
func execLater(ctx context.Context, db DBTX, sql string, args ...any) error {
	switch tx := db.(type) {
	case *Tx:
		tx.Later(sql, args...)
		return nil
	case pgxTx:
		tx.t.Later(sql, args...)
		return nil
	}
	_, err := db.Exec(ctx, sql, args...)
	return translate(err)
}

// Exec runs sql, with whatever is pending, in one round trip.
func (t *Tx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	b := t.with(func(b *pgx.Batch) {
		b.Queue(sql, args...).Exec(func(ct pgconn.CommandTag) error {
			tag = ct
			return nil
		})
	})
	err := t.send(ctx, b) // sets tag: read it after
	return tag, err
}

// QueryRow returns a row whose Scan runs sql, with whatever is pending, in
// one round trip.
func (t *Tx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return &txRow{tx: t, ctx: ctx, sql: sql, args: args}
}

// Query runs sql, with whatever is pending, in one round trip; its rows
// must be closed before the next statement. A pending statement's failure
// is Query's error (River reads its inserts through Query: its jobs go
// with the statements queued before them).
func (t *Tx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if t.err != nil {
		return nil, t.err
	}
	b := t.take()
	if len(b.QueuedQueries) == 0 {
		return t.conn.Query(ctx, sql, args...)
	}
	pending := len(b.QueuedQueries)
	b.Queue(sql, args...)
	br := t.conn.SendBatch(ctx, b)
	fail := func(err error) (pgx.Rows, error) {
		_ = br.Close()
		t.err = err
		return nil, err
	}
	for range pending {
		if _, err := br.Exec(); err != nil {
			return fail(err)
		}
	}
	rows, err := br.Query()
	if err != nil {
		return fail(err)
	}
	return &batchRows{Rows: rows, br: br, tx: t}, nil
}

// batchRows are the rows of a batch's last statement: closing them ends
// the batch.
type batchRows struct {
	pgx.Rows
	br     pgx.BatchResults
	tx     *Tx
	closed bool
}

func (r *batchRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.Rows.Close()
	err := r.br.Close()
	if rerr := r.Rows.Err(); rerr != nil {
		err = rerr // the statement failed: so does the transaction
	}
	if err != nil && r.tx.err == nil {
		r.tx.err = err
	}
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

type txRow struct {
	tx   *Tx
	ctx  context.Context
	sql  string
	args []any
}

func (r *txRow) Scan(dest ...any) error {
	var scanErr error
	b := r.tx.with(func(b *pgx.Batch) {
		b.Queue(r.sql, r.args...).QueryRow(func(row pgx.Row) error {
			scanErr = row.Scan(dest...)
			if errors.Is(scanErr, pgx.ErrNoRows) {
				// No row is an answer, not a failure: returned to the batch it
				// would make pgx forget the statements it has prepared.
				return nil
			}
			return scanErr
		})
	})
	if err := r.tx.send(r.ctx, b); err != nil {
		return err
	}
	return scanErr
}

// take hands over the pending statements and starts a new queue.
func (t *Tx) take() *pgx.Batch {
	b := t.pending
	t.pending = &pgx.Batch{}
	if !t.begun {
		t.begun = true // sent with this batch, or the batch fails and we roll back
	}
	return b
}

// with returns what is pending followed by what queue adds, for one send.
func (t *Tx) with(queue func(b *pgx.Batch)) *pgx.Batch {
	b := t.take()
	queue(b)
	return b
}

func (t *Tx) send(ctx context.Context, b *pgx.Batch) error {
	if t.err != nil {
		return t.err
	}
	t.err = t.conn.SendBatch(ctx, b).Close()
	return t.err
}

// commit sends what is pending and COMMIT together. A transaction that never
// sent a statement has nothing to commit.
func (t *Tx) commit(ctx context.Context) error {
	if !t.begun && len(t.pending.QueuedQueries) == 1 { // only the "begin"
		return nil
	}
	b := t.take()
	b.Queue("commit").Exec(func(ct pgconn.CommandTag) error {
		// A transaction that failed earlier answers COMMIT with ROLLBACK.
		if ct.String() == "ROLLBACK" {
			return pgx.ErrTxCommitRollback
		}
		return nil
	})
	return t.send(ctx, b)
}

// rollback ends a transaction that failed or was given up. A connection it
// cannot bring back to idle is closed, so the pool never hands out a
// connection inside someone else's transaction.
func (t *Tx) rollback(ctx context.Context) {
	pc := t.conn.Conn().PgConn()
	if !t.begun || pc.IsClosed() || (!pc.IsBusy() && pc.TxStatus() == 'I') {
		return
	}
	if pc.IsBusy() {
		_ = t.conn.Conn().Close(ctx)
		return
	}
	if _, err := t.conn.Exec(ctx, "rollback"); err != nil {
		_ = t.conn.Conn().Close(ctx)
	}
}

package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
	"github.com/stripeshop/stripeshop/internal/testdb"
)

// stockOf reads a product's stock outside any transaction.
func stockOf(t *testing.T, pool *pgxpool.Pool, id string) int64 {
	t.Helper()
	p, err := postgres.NewProducts(pool).Get(context.Background(), id)
	if err != nil || p.Stock == nil {
		t.Fatalf("product %s: %v", id, err)
	}
	return *p.Stock
}

// withProduct gives a test a database of its own with one product of the
// given stock (-1: unlimited).
func withProduct(t *testing.T, stock int64) (*pgxpool.Pool, shop.Product) {
	t.Helper()
	pool, _ := testdb.New(t)
	var s *int64
	if stock >= 0 {
		s = &stock
	}
	p, err := postgres.NewProducts(pool).Create(context.Background(), shopProduct(s))
	if err != nil {
		t.Fatal(err)
	}
	return pool, p
}

// noOpenTransaction fails when a connection sits inside a transaction: a Tx
// must never leave one behind.
func noOpenTransaction(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	var n int
	err := pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND state LIKE 'idle in transaction%'`).Scan(&n)
	if err != nil || n != 0 {
		t.Fatalf("connections left inside a transaction: %d (%v)", n, err)
	}
}

func TestTxCommitsEverythingOrNothing(t *testing.T) {
	ctx := context.Background()
	pool, p := withProduct(t, 10)
	var err error
	take := `UPDATE products SET stock = stock - $2 WHERE id = $1`

	// Statements sent later, with the commit: all of them land.
	err = postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
		tx.Later(take, p.ID, 1)
		tx.Later(take, p.ID, 2)
		return nil
	})
	if err != nil || stockOf(t, pool, p.ID) != 7 {
		t.Fatalf("after two later takes: stock %d, err %v; want 7", stockOf(t, pool, p.ID), err)
	}

	// A statement that fails with the commit undoes the ones before it,
	// including one whose answer was read, and the error reaches the caller.
	err = postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
		var left int64
		if err := tx.QueryRow(ctx, take+` RETURNING stock`, p.ID, 3).Scan(&left); err != nil || left != 4 {
			t.Errorf("inside the transaction: stock %d, err %v; want 4", left, err)
		}
		tx.Later(take, p.ID, 100) // breaks CHECK (stock >= 0)
		return nil
	})
	if err == nil {
		t.Fatal("a failing statement sent with the commit: want an error")
	}
	if got := stockOf(t, pool, p.ID); got != 7 {
		t.Fatalf("after a failed commit: stock %d, want 7 (nothing applied)", got)
	}

	// fn failing rolls back what was sent.
	boom := errors.New("boom")
	err = postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
		if _, err := tx.Exec(ctx, take, p.ID, 5); err != nil {
			return err
		}
		tx.Later(take, p.ID, 1)
		return boom
	})
	if !errors.Is(err, boom) || stockOf(t, pool, p.ID) != 7 {
		t.Fatalf("fn failed: err %v, stock %d; want boom and 7", err, stockOf(t, pool, p.ID))
	}

	// A failing later statement is reported by the next call, which did
	// not run, and the transaction is then rolled back whatever fn does.
	err = postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
		tx.Later(take, p.ID, 100)
		_, err := tx.Exec(ctx, take, p.ID, 1)
		if err == nil {
			t.Error("the next statement after a failing later one: want its error")
		}
		return nil // even an fn that ignores it cannot commit a failed transaction
	})
	if err == nil || stockOf(t, pool, p.ID) != 7 {
		t.Fatalf("ignored failure: err %v, stock %d; want an error and 7", err, stockOf(t, pool, p.ID))
	}
	noOpenTransaction(t, pool)
}

func TestTxNoRowIsAnAnswerNotAFailure(t *testing.T) {
	ctx := context.Background()
	pool, p := withProduct(t, 3)
	var err error
	err = postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
		_, _, err := postgres.NewOrders(tx).Lock(ctx, "00000000-0000-4000-8000-000000000000", "")
		if shop.ErrorCode(err) != shop.ErrNotFound {
			t.Errorf("unknown order: %v, want not_found", err)
		}
		// The transaction goes on after a lookup that found nothing.
		_, err = tx.Exec(ctx, `UPDATE products SET stock = 1 WHERE id = $1`, p.ID)
		return err
	})
	if err != nil || stockOf(t, pool, p.ID) != 1 {
		t.Fatalf("err %v, stock %d; want the update committed", err, stockOf(t, pool, p.ID))
	}
}

func TestTxIsolatedUntilCommit(t *testing.T) {
	ctx := context.Background()
	pool, p := withProduct(t, 5)
	var err error
	err = postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
		// The BEGIN went with this first statement: another connection must
		// not see its write before the commit.
		if _, err := tx.Exec(ctx, `UPDATE products SET stock = 0 WHERE id = $1`, p.ID); err != nil {
			return err
		}
		if got := stockOf(t, pool, p.ID); got != 5 {
			t.Errorf("seen from outside before the commit: stock %d, want 5", got)
		}
		rows, err := tx.Query(ctx, `SELECT stock FROM products WHERE id = $1`, p.ID)
		if err != nil {
			return err
		}
		n, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[int64])
		if err != nil || n != 0 {
			t.Errorf("seen from inside: stock %d, err %v; want 0", n, err)
		}
		return nil
	})
	if err != nil || stockOf(t, pool, p.ID) != 0 {
		t.Fatalf("err %v, stock after commit %d; want 0", err, stockOf(t, pool, p.ID))
	}
}

func TestTxCanceledMidwayLeavesNothingBehind(t *testing.T) {
	pool, p := withProduct(t, 5)
	var err error
	ctx, cancel := context.WithCancel(context.Background())
	err = postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE products SET stock = 1 WHERE id = $1`, p.ID); err != nil {
			return err
		}
		cancel()
		_, err := tx.Exec(ctx, `SELECT pg_sleep(0.2)`)
		return err
	})
	if err == nil {
		t.Fatal("canceled transaction: want an error")
	}
	if got := stockOf(t, pool, p.ID); got != 5 {
		t.Fatalf("stock %d after a canceled transaction, want 5", got)
	}
	noOpenTransaction(t, pool)
}

func TestInsertAndLockOrderInOneTransaction(t *testing.T) {
	ctx := context.Background()
	pool, p := withProduct(t, -1)
	var err error
	o, err := postgres.NewOrders(pool).Place(ctx, p.ID, 1, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ev := shop.Event{ID: "evt_1", Type: "checkout.session.completed", APIVersion: "2023-10-16",
		Payload: []byte(`{}`), PaymentIntentID: "pi_1"}
	for i, wantFresh := range []bool{true, false} {
		err = postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
			l, err := postgres.NewEvents(tx).InsertAndLockOrder(ctx, ev, o.ID)
			if err != nil {
				return err
			}
			if l.Fresh != wantFresh || !l.Found || l.Order.ID != o.ID || l.Order.AmountTotal != o.AmountTotal || l.RefundsWaiting {
				t.Errorf("delivery %d: %+v; want fresh %v, the order, no refunds waiting", i+1, l, wantFresh)
			}
			// The order is locked until the transaction ends.
			_, err = pool.Exec(ctx, `SELECT 1 FROM orders WHERE id = $1 FOR UPDATE NOWAIT`, o.ID)
			if err == nil {
				t.Errorf("delivery %d: the order is not locked", i+1)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// A refund of the payment recorded before any order knew it: the next
	// event of that payment learns it waits.
	refund := shop.Event{ID: "evt_refund", Type: "charge.refunded", APIVersion: "2023-10-16", Payload: []byte(`{}`), PaymentIntentID: "pi_1"}
	if _, err := postgres.NewEvents(pool).Insert(ctx, refund); err != nil {
		t.Fatal(err)
	}
	err = postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
		ev := ev
		ev.ID = "evt_3"
		l, err := postgres.NewEvents(tx).InsertAndLockOrder(ctx, ev, o.ID)
		if err == nil && !l.RefundsWaiting {
			t.Errorf("a refund recorded with no order: %+v, want RefundsWaiting", l)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// An event naming no known order: recorded, found false, and the
	// transaction goes on.
	err = postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
		ev := shop.Event{ID: "evt_2", Type: "checkout.session.completed", APIVersion: "2023-10-16", Payload: []byte(`{}`)}
		l, err := postgres.NewEvents(tx).InsertAndLockOrder(ctx, ev, "00000000-0000-4000-8000-000000000000")
		if err != nil || !l.Fresh || l.Found {
			t.Errorf("unknown order: %+v, %v; want fresh, not found", l, err)
		}
		return postgres.NewEvents(tx).MarkProcessed(ctx, ev.ID, "", "no order")
	})
	if err != nil {
		t.Fatal(err)
	}
	e, err := postgres.NewEvents(pool).Get(ctx, "evt_2")
	if err != nil || e.Note != "no order" || e.ProcessedAt == nil {
		t.Fatalf("event after commit: %+v, %v; want processed with its note", e, err)
	}
	noOpenTransaction(t, pool)
}

// A statement that fails before the BEGIN has run (pgx prepares a new
// statement in a round trip of its own) must not leave the next ones to run
// and commit outside any transaction: after a failure, the Tx refuses.
func TestTxRefusesEverythingAfterAFailure(t *testing.T) {
	ctx := context.Background()
	pool, p := withProduct(t, 5)
	var err error
	err = postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
		var x int
		_ = tx.QueryRow(ctx, `SELECT no_such_column FROM products WHERE id = $1`, p.ID).Scan(&x) // ignored on purpose
		if _, err := tx.Exec(ctx, `UPDATE products SET stock = 3 WHERE id = $1`, p.ID); err == nil {
			t.Error("a statement after a failed one ran")
		}
		return nil
	})
	if err == nil {
		t.Fatal("a transaction with a failed statement committed")
	}
	if got := stockOf(t, pool, p.ID); got != 5 {
		t.Fatalf("stock %d, want 5: a statement ran outside the transaction", got)
	}
	noOpenTransaction(t, pool)
}

// Apply writes the order the domain's Move describes, for every allowed
// move, and gives released units back in the same statement.
func TestApplyWritesTheMove(t *testing.T) {
	ctx := context.Background()
	pool, p := withProduct(t, 1000)
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	n := 0
	for _, from := range shop.Statuses {
		for _, to := range shop.Statuses {
			if !shop.CanMove(from, to) {
				continue
			}
			n++
			c := shop.Change{SessionID: fmt.Sprint("cs_new_", n), PaymentIntentID: "pi_new", CustomerEmail: "new@example.com"}
			o, err := postgres.NewOrders(pool).Place(ctx, p.ID, 2, time.Now().Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			o, err = setStatus(ctx, pool, o.ID, from)
			if err != nil {
				t.Fatal(err)
			}
			stock := stockOf(t, pool, p.ID)
			m, _ := o.Move(to, at, c)
			err = postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
				if _, _, err := postgres.NewOrders(tx).Lock(ctx, o.ID, ""); err != nil {
					return err
				}
				return postgres.NewOrders(tx).Apply(ctx, m)
			})
			if err != nil {
				t.Fatal(err)
			}
			got, err := postgres.NewOrders(pool).Get(ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := m.Order
			if got.Status != to || got.SessionID != want.SessionID || got.PaymentIntentID != want.PaymentIntentID ||
				got.CustomerEmail != want.CustomerEmail || got.Reserved() != want.Reserved() ||
				!sameTime(got.PaidAt, want.PaidAt) || !sameTime(got.RefundedAt, want.RefundedAt) {
				t.Errorf("%s → %s:\n want %+v\n got  %+v", from, to, want, got)
			}
			released := int64(0)
			for _, r := range m.Released {
				released += r.Units
			}
			if d := stockOf(t, pool, p.ID) - stock; d != released {
				t.Errorf("%s → %s: stock moved by %d, want %d", from, to, d, released)
			}
		}
	}
	if n != 7 {
		t.Fatalf("%d moves tried, want 7", n)
	}
}

// setStatus puts an order in a status as its earlier moves would have.
func setStatus(ctx context.Context, pool *pgxpool.Pool, id string, st shop.Status) (shop.Order, error) {
	_, err := pool.Exec(ctx, `UPDATE orders SET status = $2,
		paid_at = CASE WHEN $2 IN ('paid', 'refunded') THEN now() END,
		refunded_at = CASE WHEN $2 = 'refunded' THEN now() END WHERE id = $1`, id, st)
	if err != nil {
		return shop.Order{}, err
	}
	return postgres.NewOrders(pool).Get(ctx, id)
}

func sameTime(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}

// A move decided on a stale row (the order moved meanwhile) writes
// nothing: neither the order nor the units it would give back.
func TestApplyOfAStaleMoveWritesNothing(t *testing.T) {
	ctx := context.Background()
	pool, p := withProduct(t, 5)
	o, err := postgres.NewOrders(pool).Place(ctx, p.ID, 2, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := o.Move(shop.StatusExpired, time.Now(), shop.Change{})
	if _, err := setStatus(ctx, pool, o.ID, shop.StatusPaid); err != nil {
		t.Fatal(err)
	}
	if err := postgres.NewOrders(pool).Apply(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got := stockOf(t, pool, p.ID); got != 3 {
		t.Fatalf("stock %d, want 3: units released for a move that did not happen", got)
	}
	if got, _ := postgres.NewOrders(pool).Get(ctx, o.ID); got.Status != shop.StatusPaid || got.Reserved() != 2 {
		t.Fatalf("order %s reserving %d, want paid reserving 2", got.Status, got.Reserved())
	}
}

// A transaction that waited for an order's lock reads the order's lines as
// the transaction it waited for left them: a move decided on stale lines
// would give their units back twice.
func TestLockReadsTheLinesCommittedWhileItWaited(t *testing.T) {
	ctx := context.Background()
	pool, p := withProduct(t, 5)
	o, err := postgres.NewOrders(pool).Place(ctx, p.ID, 2, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
			locked, _, err := postgres.NewOrders(tx).Lock(ctx, o.ID, "")
			if err != nil {
				return err
			}
			m, _ := locked.Move(shop.StatusExpired, time.Now(), shop.Change{})
			if err := postgres.NewOrders(tx).Apply(ctx, m); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `SELECT 1`); err != nil { // sends the move
				return err
			}
			<-release
			return nil
		})
	}()
	deadline := time.Now().Add(30 * time.Second)
	poll := func(what string) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond) // the pace of polling a condition
	}
	// Wait until the first holds the lock and has written the lines.
	for {
		var reserved int64
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
			WHERE c.relname = 'order_lines' AND l.mode = 'RowExclusiveLock'`).Scan(&reserved); err != nil {
			t.Fatal(err)
		}
		if reserved > 0 {
			break
		}
		select {
		case err := <-first:
			t.Fatalf("the first transaction ended early: %v", err)
		default:
		}
		poll("the first transaction wrote the lines")
	}
	second := make(chan shop.Order, 1)
	go func() {
		var got shop.Order
		_ = postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
			var err error
			got, _, err = postgres.NewOrders(tx).Lock(ctx, o.ID, "")
			return err
		})
		second <- got
	}()
	// Wait until the second waits for the order's lock, then let the first commit.
	for {
		var waiting int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		poll("the second transaction waits for the lock")
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	got := <-second
	if got.Status != shop.StatusExpired || got.Reserved() != 0 {
		t.Fatalf("after waiting: %s holding %d (lines %+v), want expired holding 0", got.Status, got.Reserved(), got.Lines)
	}
}

// The cart's lock and the order's move take array parameters, for which
// Postgres would plan again at every call (it prices its kept plan for ten
// elements, and the call's own plan for one is always cheaper): a plan cost
// more than the statement's execution. They run on the kept generic plan:
// on one connection, twelve checkouts and twelve moves made no custom plan.
func TestCartAndMoveRunOnGenericPlans(t *testing.T) {
	ctx := context.Background()
	// One connection: its prepared statements are the ones read.
	pool := poolWith(t, func(c *pgxpool.Config) { c.MaxConns = 1 })
	stock := int64(1000)
	a, err := postgres.NewProducts(pool).Create(ctx, shopProduct(&stock))
	if err != nil {
		t.Fatal(err)
	}
	b, err := postgres.NewProducts(pool).Create(ctx, shopProduct(nil))
	if err != nil {
		t.Fatal(err)
	}
	for range 12 {
		o, err := postgres.NewOrders(pool).PlaceFor(ctx, postgres.Buyer{}, []shop.Item{{ProductID: a.ID, Quantity: 1}, {ProductID: b.ID, Quantity: 2}}, time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		m, ok := o.Move(shop.StatusExpired, time.Now(), shop.Change{})
		if !ok {
			t.Fatal("pending → expired refused")
		}
		if err := postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
			if _, _, err := postgres.NewOrders(tx).Lock(ctx, o.ID, ""); err != nil {
				return err
			}
			return postgres.NewOrders(tx).Apply(ctx, m)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if got := stockOf(t, pool, a.ID); got != stock {
		t.Fatalf("stock %d after twelve orders placed and expired, want %d", got, stock)
	}
	for _, stmt := range []string{"%WITH locked AS%", "%WITH moved AS%", "%SET stock = p.stock - r.units%"} {
		var generic, custom int64
		if err := pool.QueryRow(ctx, `SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0)
			FROM pg_prepared_statements WHERE statement LIKE $1`, stmt).Scan(&generic, &custom); err != nil {
			t.Fatal(err)
		}
		if custom != 0 || generic < 12 {
			t.Errorf("statement %s: %d custom plans and %d runs on the generic one, want 0 and at least 12", stmt, custom, generic)
		}
	}
}

// poolWith is a pool on a fresh database, configured by tweak.
func poolWith(t *testing.T, tweak func(*pgxpool.Config)) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(testdb.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	tweak(cfg)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// countBatches counts what a connection sends: batches and lone queries.
type countBatches struct{ batches, queries atomic.Int64 }

func (c *countBatches) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.batches.Add(1)
	return ctx
}
func (c *countBatches) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *countBatches) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}
func (c *countBatches) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.queries.Add(1)
	return ctx
}
func (c *countBatches) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Query sends the statements queued before it with its own, in one round
// trip (River's job inserts read their rows through Query), and a queued
// statement's failure is Query's and the transaction's.
func TestTxQueryTravelsWithWhatIsPending(t *testing.T) {
	ctx := context.Background()
	trace := &countBatches{}
	pool := poolWith(t, func(c *pgxpool.Config) { c.ConnConfig.Tracer = trace })
	stock := int64(10)
	p, err := postgres.NewProducts(pool).Create(ctx, shopProduct(&stock))
	if err != nil {
		t.Fatal(err)
	}
	take := `UPDATE products SET stock = stock - $2 WHERE id = $1`
	for range 2 { // the second time, every statement is prepared: one round trip
		want := stockOf(t, pool, p.ID) - 3
		batches, queries := trace.batches.Load(), trace.queries.Load()
		err = postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
			tx.Later(take, p.ID, 1)
			tx.Later(take, p.ID, 2)
			rows, err := tx.Query(ctx, `SELECT stock FROM products WHERE id = $1`, p.ID)
			if err != nil {
				return err
			}
			got, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[int64])
			if err != nil {
				return err
			}
			if got != want {
				t.Errorf("Query saw stock %d, want %d: the statements queued before it first", got, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if b, q := trace.batches.Load()-batches, trace.queries.Load()-queries; b != 2 || q != 0 {
			t.Errorf("%d batches and %d lone queries for begin, two queued statements, a query and the commit; want 2 batches (the statements with the query, the commit)", b, q)
		}
	}
	if got := stockOf(t, pool, p.ID); got != 4 {
		t.Fatalf("stock %d after two transactions taking 3, want 4", got)
	}
	// A queued statement that fails is the query's error; nothing commits.
	err = postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
		tx.Later(take, p.ID, 1)
		tx.Later(take, p.ID, 100) // breaks CHECK (stock >= 0)
		rows, err := tx.Query(ctx, `SELECT stock FROM products WHERE id = $1`, p.ID)
		if err == nil {
			rows.Close()
			t.Error("Query after a failing queued statement: want its error")
		}
		return nil // even an fn that ignores it cannot commit
	})
	if err == nil || stockOf(t, pool, p.ID) != 4 {
		t.Fatalf("after a failing queued statement: err %v, stock %d; want an error and 4", err, stockOf(t, pool, p.ID))
	}
	noOpenTransaction(t, pool)
}

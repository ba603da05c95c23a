package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
	"github.com/stripeshop/stripeshop/internal/testdb"
)

// Two admins removing each other at once leave one: the last admin is
// never removed, however the removals interleave.
func TestRemovingAdminsConcurrentlyLeavesOne(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := testdb.New(t)
	for round := range 5 {
		a, b := fmt.Sprintf("a%d@example.com", round), fmt.Sprintf("b%d@example.com", round)
		if _, err := pool.Exec(ctx, `DELETE FROM admins`); err != nil {
			t.Fatal(err)
		}
		for _, email := range []string{a, b} {
			if _, err := postgres.NewAdmins(pool).Create(ctx, email, "hash"); err != nil {
				t.Fatal(err)
			}
		}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, email := range []string{a, b} {
			wg.Go(func() {
				errs[i] = postgres.InTx(ctx, pool, func(tx *postgres.Tx) error {
					return postgres.NewAdmins(tx).RemoveUnlessLast(ctx, email)
				})
			})
		}
		wg.Wait()
		left, err := postgres.NewAdmins(pool).List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		refused := 0
		for _, err := range errs {
			if shop.ErrorCode(err) == shop.ErrConflict {
				refused++
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if len(left) != 1 || refused != 1 {
			t.Fatalf("round %d: %d admins left, %d removals refused; want 1 and 1", round, len(left), refused)
		}
	}
	// Outside a transaction the lock, and so the removal, is refused.
	if err := postgres.NewAdmins(pool).RemoveUnlessLast(ctx, "nobody@example.com"); err == nil {
		t.Fatal("RemoveUnlessLast ran outside a transaction")
	}
}

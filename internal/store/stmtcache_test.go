package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

// TestStatementCache: a statement first seen in a transaction runs unprepared
// (the transaction holds SQLite's only writer connection) and is prepared once it
// ends; later calls, in a transaction or not, use the prepared statement; the
// cache holds at most maxCachedStmts texts and later ones still run.
func TestStatementCache(t *testing.T) {
	st, id, _ := transcriptFixture(t)
	ctx := t.Context()
	const q = `SELECT count(*) FROM conversations WHERE id = ? AND 1 = 1`
	count := func(c conn) int {
		var n int
		if err := c.queryRow(ctx, q, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := st.inTx(ctx, func(c conn) error {
			if n := count(c); n != 1 {
				t.Errorf("count %d in the transaction, want 1", n)
			}
			return nil
		}); err != nil {
			t.Error(err)
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("a transaction's new statement waited for the connection it holds")
	}
	cached := func() bool {
		st.wc.mu.Lock()
		defer st.wc.mu.Unlock()
		return st.wc.stmts[st.d.rebind(q)] != nil
	}
	testkit.Eventually(t, 10*time.Second, "the statement prepared after the transaction", cached)
	if err := st.inTx(ctx, func(c conn) error {
		if c.stmt(ctx, st.d.rebind(q)) == nil {
			t.Error("a cached statement is not used in a transaction")
		}
		if n := count(c); n != 1 {
			t.Errorf("count %d through the prepared statement, want 1", n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	for i := range maxCachedStmts + 10 {
		var n int
		if err := st.rd().queryRow(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&n); err != nil || n != i {
			t.Fatalf("SELECT %d = %d, %v", i, n, err)
		}
	}
	st.rc.mu.Lock()
	size := len(st.rc.stmts)
	st.rc.mu.Unlock()
	if size > maxCachedStmts {
		t.Errorf("the read cache holds %d statements, bound %d", size, maxCachedStmts)
	}
	st.Close()
	if err := st.rd().queryRow(context.Background(), `SELECT 1`).Scan(new(int)); err == nil {
		t.Error("a closed store answered")
	}
}

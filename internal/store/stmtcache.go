package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// maxCachedStmts bounds a stmtCache: the store's statements are a fixed set of
// literals, but a few are built from filters; past this many distinct texts a
// statement simply runs unprepared.
const maxCachedStmts = 256

// stmtCache keeps one prepared statement per distinct SQL text on a pool, so a
// statement is parsed once per connection instead of on every call (modernc's
// SQLite prepares each unprepared query anew: about 40 µs of parsing per
// statement, a fifth of a continued turn's store time). PostgreSQL does not use
// it: pgx caches its prepared statements itself.
type stmtCache struct {
	db *sql.DB

	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool // being prepared in the background
	closed  bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// get returns the prepared statement for q, preparing it when it is new. In a
// transaction (inTx) it never prepares on the pool: the SQLite writer pool has a
// single connection, which the transaction holds, so a prepare would wait for the
// transaction that waits for it. It prepares in the background instead, once the
// connection is free, and returns nil: the caller runs q unprepared this time.
func (c *stmtCache) get(ctx context.Context, q string, inTx bool) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	st, ok := c.stmts[q]
	if ok || c.closed || c.pending[q] || len(c.stmts)+len(c.pending) >= maxCachedStmts {
		c.mu.Unlock()
		return st
	}
	c.pending[q] = true
	c.mu.Unlock()
	if inTx {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c.prepare(ctx, q)
		}()
		return nil
	}
	return c.prepare(ctx, q)
}

func (c *stmtCache) prepare(ctx context.Context, q string) *sql.Stmt {
	st, err := c.db.PrepareContext(ctx, q)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, q)
	if err != nil {
		return nil // a bad statement fails again, unprepared, with its own error
	}
	if c.closed {
		_ = st.Close()
		return nil
	}
	c.stmts[q] = st
	return st
}

// close closes the prepared statements; later calls run unprepared.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for q, st := range c.stmts {
		_ = st.Close()
		delete(c.stmts, q)
	}
}

package meta

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStatements bounds the cache; queries past it run unprepared
// (every query of this package is one of a small fixed set, so this is a
// guard, not a working limit).
const maxCachedStatements = 512

// stmtCache holds one prepared statement per query text for a pool.
// get returns nil (and no error) once the cache is full: the caller then
// runs the query unprepared.
// database/sql re-prepares a statement on each connection that runs it and
// keeps it there.
type stmtCache struct {
	db      *sql.DB
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	pending map[string]bool // being prepared in the background
}

// get returns the prepared statement for query, preparing it on the pool
// the first time. Inside a transaction (inTx) it never waits for a
// connection of the pool: every one of them may be held by a transaction
// that is itself waiting here (PostgreSQL with as many concurrent
// transactions as connections: a deadlock). It returns nil then, so that
// the query runs unprepared on the transaction's own connection, and
// prepares the statement in the background for the next time.
func (c *stmtCache) get(ctx context.Context, query string, inTx bool) (*sql.Stmt, error) {
	c.mu.Lock()
	st, ok := c.m[query]
	full := len(c.m) >= maxCachedStatements
	c.mu.Unlock()
	if ok || full {
		return st, nil
	}
	if inTx {
		c.prepareLater(query)
		return nil, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return c.keep(query, st), nil
}

// keep caches st for query, or closes it for the one cached meanwhile (or
// for a full cache), and returns the statement to use (nil: unprepared).
func (c *stmtCache) keep(query string, st *sql.Stmt) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[query]; ok {
		st.Close()
		return prev
	}
	if len(c.m) >= maxCachedStatements {
		st.Close()
		return nil
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st
}

// prepareLater prepares query on the pool in the background, once a
// connection is free, unless that is under way already.
func (c *stmtCache) prepareLater(query string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending[query] {
		return
	}
	if c.pending == nil {
		c.pending = map[string]bool{}
	}
	c.pending[query] = true
	go func() {
		st, err := c.db.PrepareContext(context.Background(), query)
		if err == nil {
			c.keep(query, st)
		}
		c.mu.Lock()
		delete(c.pending, query)
		c.mu.Unlock()
	}()
}

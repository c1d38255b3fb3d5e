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
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	st, ok := c.m[query]
	full := len(c.m) >= maxCachedStatements
	c.mu.Unlock()
	if ok || full {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[query]; ok {
		st.Close()
		return prev, nil
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st, nil
}

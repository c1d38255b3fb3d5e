// Package ttlcache is a small in-process cache whose entries expire after a
// fixed time, for data a node may act on for a short while after another
// node changed it (verified tokens, repository definitions).
//
// Drops are generation-counted: a value read from the database before a
// drop is not stored after it (Put with the Generation read before the
// read), so a change racing a read cannot leave the old value cached on
// the node that made the change.
package ttlcache

import (
	"sync"
	"time"
)

// Cache maps K to V for TTL. The zero TTL disables it: Get always misses.
type Cache[K comparable, V any] struct {
	ttl time.Duration
	max int
	mu  sync.Mutex
	m   map[K]entry[V]
	gen uint64
	// cost, when set, weighs an entry (its bytes); the entries' total is
	// kept under maxCost.
	cost          func(V) int64
	maxCost, used int64
}

type entry[V any] struct {
	v     V
	until time.Time
}

// New returns a cache keeping entries for ttl and at most max of them
// (past max it is emptied, which bounds memory without bookkeeping).
func New[K comparable, V any](ttl time.Duration, max int) *Cache[K, V] {
	return &Cache[K, V]{ttl: ttl, max: max, m: map[K]entry[V]{}}
}

// NewWeighed is New with a second bound: the total cost of the entries
// (cost(v), such as its bytes) stays at most maxCost. A value costing more
// than maxCost alone is not kept; past the bound the cache is emptied.
func NewWeighed[K comparable, V any](ttl time.Duration, max int, maxCost int64, cost func(V) int64) *Cache[K, V] {
	c := New[K, V](ttl, max)
	c.cost, c.maxCost = cost, maxCost
	return c
}

// weigh is v's cost (0 without a cost function).
func (c *Cache[K, V]) weigh(v V) int64 {
	if c.cost == nil {
		return 0
	}
	return c.cost(v)
}

// Get returns the value cached for k unless it expired by now.
func (c *Cache[K, V]) Get(k K, now time.Time) (V, bool) {
	var zero V
	if c.ttl <= 0 {
		return zero, false
	}
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if !ok || !now.Before(e.until) {
		return zero, false
	}
	return e.v, true
}

// Generation returns the drop count to pass to Put; read it before reading
// the value from its source.
func (c *Cache[K, V]) Generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// Put caches v for k until now+TTL, unless something was dropped since gen
// was read.
func (c *Cache[K, V]) Put(k K, v V, now time.Time, gen uint64) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	w := c.weigh(v)
	if c.cost != nil && w > c.maxCost {
		return
	}
	if old, ok := c.m[k]; ok {
		c.used -= c.weigh(old.v)
		delete(c.m, k)
	}
	if len(c.m) >= c.max || c.used+w > c.maxCost && c.cost != nil {
		c.m, c.used = map[K]entry[V]{}, 0
	}
	c.m[k] = entry[V]{v: v, until: now.Add(c.ttl)}
	c.used += w
}

// Drop forgets k.
func (c *Cache[K, V]) Drop(k K) {
	c.mu.Lock()
	c.gen++
	if e, ok := c.m[k]; ok {
		c.used -= c.weigh(e.v)
		delete(c.m, k)
	}
	c.mu.Unlock()
}

// DropIf forgets every entry for which match is true.
func (c *Cache[K, V]) DropIf(match func(K, V) bool) {
	c.mu.Lock()
	c.gen++
	for k, e := range c.m {
		if match(k, e.v) {
			c.used -= c.weigh(e.v)
			delete(c.m, k)
		}
	}
	c.mu.Unlock()
}

// DropAll forgets everything.
func (c *Cache[K, V]) DropAll() {
	c.mu.Lock()
	c.gen++
	clear(c.m)
	c.used = 0
	c.mu.Unlock()
}

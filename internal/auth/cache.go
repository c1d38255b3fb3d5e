package auth

import (
	"sync"
	"time"
)

// principalCache remembers verified tokens for a short time so that a
// request does not cost two database reads (token and role bindings).
// A hit still checks the secret's hash in constant time and the token's
// expiry. Revocation and binding changes made through this node drop the
// affected entries at once; those made through other nodes take effect
// within the TTL.
//
// gen counts drops: an entry read from the database before a drop is not
// stored after it, so a revocation racing a verification cannot leave the
// revoked token cached.
type principalCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]cachedPrincipal // by token id
	gen uint64
}

type cachedPrincipal struct {
	hash      string
	expires   *time.Time
	p         *Principal
	cachedTil time.Time
}

// maxCachedPrincipals bounds memory; past it the cache is emptied.
const maxCachedPrincipals = 10000

func newPrincipalCache(ttl time.Duration) *principalCache {
	return &principalCache{ttl: ttl, m: map[string]cachedPrincipal{}}
}

func (c *principalCache) get(id string, now time.Time) (cachedPrincipal, bool) {
	if c.ttl <= 0 {
		return cachedPrincipal{}, false
	}
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if !ok || !now.Before(e.cachedTil) {
		return cachedPrincipal{}, false
	}
	return e, true
}

// generation returns the drop count to pass to put.
func (c *principalCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put stores e unless something was dropped since gen was read.
func (c *principalCache) put(id string, e cachedPrincipal, now time.Time, gen uint64) {
	if c.ttl <= 0 {
		return
	}
	e.cachedTil = now.Add(c.ttl)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.m) >= maxCachedPrincipals {
		c.m = map[string]cachedPrincipal{}
	}
	c.m[id] = e
}

// dropToken forgets one token.
func (c *principalCache) dropToken(id string) {
	c.mu.Lock()
	c.gen++
	delete(c.m, id)
	c.mu.Unlock()
}

// dropSubject forgets every token of a subject.
func (c *principalCache) dropSubject(subject string) {
	c.mu.Lock()
	c.gen++
	for id, e := range c.m {
		if e.p.Subject == subject {
			delete(c.m, id)
		}
	}
	c.mu.Unlock()
}

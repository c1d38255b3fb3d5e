package auth

import (
	"time"

	"github.com/artifortress/artifortress/internal/ttlcache"
)

// principalCache remembers verified tokens, by token id, for a short time
// so that a request does not cost two database reads (token and role
// bindings). A hit still checks the secret's hash in constant time and the
// token's expiry. Revocation and binding changes made through this node
// drop the affected entries at once; those made through other nodes take
// effect within the TTL.
type principalCache = ttlcache.Cache[string, cachedPrincipal]

type cachedPrincipal struct {
	hash    string
	expires *time.Time
	p       *Principal
}

// maxCachedPrincipals bounds memory; past it the cache is emptied.
const maxCachedPrincipals = 10000

func newPrincipalCache(ttl time.Duration) *principalCache {
	return ttlcache.New[string, cachedPrincipal](ttl, maxCachedPrincipals)
}

// dropSubject forgets every token of a subject.
func dropSubject(c *principalCache, subject string) {
	c.DropIf(func(_ string, e cachedPrincipal) bool { return e.p.Subject == subject })
}

package registrytoken

import (
	"slices"
	"time"
)

// Access is one entry of a token's access claim, as Distribution's jwt.md
// defines it: the actions granted on one resource.
type Access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// Claims is what a registry token says. Issue signs it; Verify returns it
// once the token is proven to be ours, for this service, and current.
type Claims struct {
	// Issuer (iss) names who minted the token, typically the public host.
	// Verify does not check it: the key and kid already prove the origin.
	Issuer string
	// Subject (sub) is the caller's subject, "" for an anonymous caller.
	Subject string
	// Audience (aud) is the service the token is for: the challenge's
	// service parameter, which Verify requires to match.
	Audience string
	// IssuedAt (iat), NotBefore (nbf) and Expiry (exp) bound when the token
	// is valid. The JWT keeps whole seconds.
	IssuedAt  time.Time
	NotBefore time.Time
	Expiry    time.Time
	// ID (jti) is unique per token.
	ID string
	// Access lists what the token grants.
	Access []Access
	// TokenID (tid) is the id of the personal access token the caller
	// presented, "" for an anonymous caller. Each request rebuilds the
	// principal from it, so revocation applies to registry tokens too.
	TokenID string
}

// Allows reports whether the token grants action on the resource. Matching
// is exact: a token never carries "*" for a repository (Grant expands it), and
// the catalog is checked as Allows(TypeRegistry, CatalogName, ActionAll).
func (c Claims) Allows(resourceType, name, action string) bool {
	for _, a := range c.Access {
		if a.Type == resourceType && a.Name == name && slices.Contains(a.Actions, action) {
			return true
		}
	}
	return false
}

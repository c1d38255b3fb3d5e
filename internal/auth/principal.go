package auth

import (
	"slices"
	"time"
)

// Source says how a principal authenticated.
type Source string

// The authentication sources.
const (
	SourcePAT       Source = "pat"
	SourceBootstrap Source = "bootstrap"
	SourceSystem    Source = "system" // the server itself (first start)
)

// Principal is an authenticated caller. A nil *Principal is the anonymous
// caller: it holds nothing and every method answers false.
type Principal struct {
	Subject string
	Source  Source
	TokenID string
	// Scopes are the scopes of the credential itself, as issued.
	Scopes []Scope
	// ExpiresAt is when the credential expires (nil: never).
	ExpiresAt *time.Time
	// grants are Scopes plus the subject's role bindings.
	grants []Scope
}

// Via names the credential for the audit trail: "pat:<token id>" or the
// source ("bootstrap", "system").
func (p *Principal) Via() string {
	switch {
	case p == nil:
		return "anonymous"
	case p.TokenID != "":
		return "pat:" + p.TokenID
	default:
		return string(p.Source)
	}
}

// NewPrincipal builds a principal from its credential's scopes and the role
// bindings its subject holds (as repository scopes).
func NewPrincipal(subject string, source Source, tokenID string, scopes, bound []Scope) *Principal {
	return &Principal{
		Subject: subject, Source: source, TokenID: tokenID, Scopes: scopes,
		grants: append(slices.Clip(scopes), bound...),
	}
}

// Authenticated reports whether p is a known caller.
func (p *Principal) Authenticated() bool { return p != nil }

// IsAdmin reports whether p is a global administrator.
func (p *Principal) IsAdmin() bool {
	if p == nil {
		return false
	}
	for _, g := range p.grants {
		if g.Admin {
			return true
		}
	}
	return false
}

// Can reports whether p holds role on repository repo.
func (p *Principal) Can(repo string, role Role) bool {
	if p == nil {
		return false
	}
	for _, g := range p.grants {
		if g.Grants(repo, role) {
			return true
		}
	}
	return false
}

// Holds reports whether p may grant s to someone else: some grant of p covers it.
func (p *Principal) Holds(s Scope) bool {
	if p == nil {
		return false
	}
	for _, g := range p.grants {
		if g.Covers(s) {
			return true
		}
	}
	return false
}

// Name returns the subject, or "anonymous" for the anonymous caller.
func (p *Principal) Name() string {
	if p == nil {
		return "anonymous"
	}
	return p.Subject
}

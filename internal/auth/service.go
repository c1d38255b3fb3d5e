package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/telemetry"
)

// Service issues, verifies and revokes tokens.
type Service struct {
	db            *meta.DB
	maxTTL        time.Duration
	bootstrapHash []byte // SHA-256 of the configured bootstrap secret, nil if none
	usage         *UsageTracker
	cache         *principalCache
	now           func() time.Time
}

// Options configure a Service.
type Options struct {
	// MaxTTL bounds the lifetime of issued tokens.
	MaxTTL time.Duration
	// BootstrapToken, when set, is accepted as a global administrator's secret.
	BootstrapToken string
	// CacheTTL is how long a verified token is remembered (0: not at all).
	CacheTTL time.Duration
	// Now overrides the clock (tests).
	Now func() time.Time
}

// NewService returns a token service over db.
func NewService(db *meta.DB, opt Options) *Service {
	if opt.MaxTTL <= 0 {
		opt.MaxTTL = 365 * 24 * time.Hour
	}
	s := &Service{db: db, maxTTL: opt.MaxTTL, usage: NewUsageTracker(), cache: newPrincipalCache(opt.CacheTTL), now: opt.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if opt.BootstrapToken != "" {
		h := sha256.Sum256([]byte(opt.BootstrapToken))
		s.bootstrapHash = h[:]
	}
	return s
}

// Usage returns the tracker of last-use times, which the server flushes.
func (s *Service) Usage() *UsageTracker { return s.usage }

// BootstrapSubject is the subject of the initial and the bootstrap administrator.
const BootstrapSubject = "admin"

// Authenticate verifies a token and returns its principal. Every failure is a
// fault.KindUnauthorized error; the token text never appears in it.
func (s *Service) Authenticate(ctx context.Context, token string) (*Principal, error) {
	if s.bootstrapHash != nil {
		h := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(h[:], s.bootstrapHash) == 1 {
			return NewPrincipal(BootstrapSubject, SourceBootstrap, "", []Scope{{Admin: true}}, nil), nil
		}
	}
	id, secret, ok := splitToken(token)
	if !ok {
		return nil, fault.Unauthorized("malformed token (want afp_...)")
	}
	now := s.now()
	hash := hashSecret(secret)
	if e, ok := s.cache.Get(id, now); ok && equalHash(hash, e.hash) && (e.expires == nil || now.Before(*e.expires)) {
		s.usage.Touch(id, now)
		return e.p, nil
	}
	p, err := s.load(ctx, id, now, func(t meta.Token) error {
		if !equalHash(hash, t.SecretHash) {
			return fault.Unauthorized("invalid token")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.usage.Touch(id, now)
	return p, nil
}

// PrincipalOf is the caller a credential derived from token tokenID acts
// as (a registry token names the token it was issued for): the token's
// principal as Authenticate would build it, so a revocation, an expiry or
// a change of role bindings applies within the cache's TTL. The bootstrap
// token is named BootstrapSubject.
func (s *Service) PrincipalOf(ctx context.Context, tokenID string) (*Principal, error) {
	if tokenID == BootstrapSubject && s.bootstrapHash != nil {
		return NewPrincipal(BootstrapSubject, SourceBootstrap, "", []Scope{{Admin: true}}, nil), nil
	}
	now := s.now()
	if e, ok := s.cache.Get(tokenID, now); ok && (e.expires == nil || now.Before(*e.expires)) {
		return e.p, nil
	}
	return s.load(ctx, tokenID, now, nil)
}

// load reads token id and builds its principal, caching it, unless the
// token is unknown, fails check (the secret, checked before anything else
// is told), or is revoked or expired (401).
func (s *Service) load(ctx context.Context, id string, now time.Time, check func(meta.Token) error) (*Principal, error) {
	gen := s.cache.Generation()
	t, err := s.db.GetToken(ctx, id)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, fault.Unauthorized("invalid token")
	}
	if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	if check != nil {
		if err := check(t); err != nil {
			return nil, err
		}
	}
	if t.RevokedAt != nil {
		return nil, fault.Unauthorized("token revoked")
	}
	if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return nil, fault.Unauthorized("token expired")
	}
	scopes, _, err := ParseScopes(t.Scopes)
	if err != nil {
		return nil, fmt.Errorf("token %s: stored scopes: %w", t.ID, err)
	}
	bound, err := s.boundScopes(ctx, t.Subject)
	if err != nil {
		return nil, err
	}
	p := NewPrincipal(t.Subject, SourcePAT, t.ID, scopes, bound)
	p.ExpiresAt = t.ExpiresAt
	s.cache.Put(t.ID, cachedPrincipal{hash: t.SecretHash, expires: t.ExpiresAt, p: p}, now, gen)
	return p, nil
}

// SubjectChanged drops what this node remembers of subject's tokens: call it
// when the subject's role bindings change.
func (s *Service) SubjectChanged(subject string) { dropSubject(s.cache, subject) }

// boundScopes turns a subject's role bindings into repository scopes.
func (s *Service) boundScopes(ctx context.Context, subject string) ([]Scope, error) {
	bindings, err := s.db.SubjectBindings(ctx, subject)
	if err != nil {
		return nil, fmt.Errorf("load role bindings: %w", err)
	}
	var out []Scope
	for _, b := range bindings {
		for _, r := range b.Roles {
			role, err := ParseRole(r)
			if err != nil {
				return nil, fmt.Errorf("binding %s/%s: %w", b.Repo, b.Subject, err)
			}
			out = append(out, Scope{Repo: b.Repo, Role: role})
		}
	}
	return out, nil
}

// audit builds the audit record of a change made by caller.
func audit(ctx context.Context, caller *Principal, action, resource string, at time.Time, details map[string]any) meta.AuditRecord {
	return meta.AuditRecord{
		At: at, Actor: caller.Name(), ActorVia: caller.Via(), Action: action, Resource: resource,
		RequestID: telemetry.RequestID(ctx), Details: details,
	}
}

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
	gen := s.cache.Generation()
	t, err := s.db.GetToken(ctx, id)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, fault.Unauthorized("invalid token")
	}
	if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	if !equalHash(hash, t.SecretHash) {
		return nil, fault.Unauthorized("invalid token")
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
	s.usage.Touch(t.ID, now)
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

package auth

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

// IssueRequest asks for a new token.
type IssueRequest struct {
	Subject string
	Scopes  []string
	TTL     time.Duration // 0: DefaultTTL (capped by the maximum)
}

// Issued is a freshly issued token. Token is the only copy of the secret.
type Issued struct {
	TokenID   string
	Token     string
	Subject   string
	Scopes    []string
	ExpiresAt time.Time
}

// DefaultTTL is the lifetime of a token issued without one.
const DefaultTTL = 30 * 24 * time.Hour

// MaxScopes bounds how many scopes one token carries.
const MaxScopes = 64

var subjectPattern = regexp.MustCompile(`^[A-Za-z0-9._@:+-]{1,128}$`)

// ValidSubject reports whether s is an acceptable subject name. Subjects are
// also URL path segments, so "." and ".." are refused.
func ValidSubject(s string) bool { return subjectPattern.MatchString(s) && s != "." && s != ".." }

// Issue mints a token for req.Subject. The caller must hold every scope it
// grants; callers that are not global administrators may only issue tokens
// for their own subject (otherwise they could borrow another subject's role
// bindings). The token row and its audit record commit together.
func (s *Service) Issue(ctx context.Context, caller *Principal, req IssueRequest) (Issued, error) {
	if !caller.Authenticated() {
		return Issued{}, fault.Unauthorized("authentication required")
	}
	if !ValidSubject(req.Subject) {
		return Issued{}, fault.BadRequest("subject", "must be 1-128 characters of [A-Za-z0-9._@:+-]")
	}
	if len(req.Scopes) == 0 {
		return Issued{}, fault.BadRequest("scopes", "at least one scope is required")
	}
	if len(req.Scopes) > MaxScopes {
		return Issued{}, fault.BadRequest("scopes", "at most %d scopes", MaxScopes)
	}
	scopes, bad, err := ParseScopes(req.Scopes)
	if err != nil {
		return Issued{}, fault.BadRequest(fmt.Sprintf("scopes[%d]", bad), "%v", err)
	}
	ttl := req.TTL
	switch {
	case ttl < 0:
		return Issued{}, fault.BadRequest("ttlMinutes", "must be positive")
	case ttl == 0:
		ttl = min(DefaultTTL, s.maxTTL)
	case ttl > s.maxTTL:
		return Issued{}, fault.BadRequest("ttlMinutes", "at most %d minutes (the server's maximum token lifetime)", int64(s.maxTTL/time.Minute))
	}
	if req.Subject != caller.Subject && !caller.IsAdmin() {
		return Issued{}, fault.Forbidden("only a global administrator may issue tokens for another subject")
	}
	for i, sc := range scopes {
		if !caller.Holds(sc) {
			return Issued{}, fault.Forbidden("cannot grant scope %q: the caller does not hold it", sc).With("field", fmt.Sprintf("scopes[%d]", i))
		}
	}
	canonical := ScopeStrings(scopes)
	now := s.now().UTC()
	expires := now.Add(ttl).Truncate(time.Microsecond)
	if caller.ExpiresAt != nil && expires.After(*caller.ExpiresAt) && req.TTL == 0 {
		expires = caller.ExpiresAt.UTC() // the default lifetime ends with the issuer's
	}
	if caller.ExpiresAt != nil && expires.After(*caller.ExpiresAt) {
		return Issued{}, fault.BadRequest("ttlMinutes", "a token cannot outlive the token that issues it (yours expires at %s)", caller.ExpiresAt.UTC().Format(time.RFC3339))
	}
	id, token, hash := newToken()
	err = s.db.Tx(ctx, func(tx *meta.Tx) error {
		if err := tx.InsertToken(ctx, meta.Token{
			ID: id, SecretHash: hash, Subject: req.Subject, Scopes: canonical,
			CreatedBy: caller.Name(), CreatedAt: now, ExpiresAt: &expires,
		}); err != nil {
			return err
		}
		return tx.InsertAudit(ctx, audit(ctx, caller, "token.issue", "token/"+id, now, map[string]any{
			"subject": req.Subject, "scopes": canonical, "expiresAt": expires,
		}))
	})
	if err != nil {
		return Issued{}, fmt.Errorf("issue token: %w", err)
	}
	return Issued{TokenID: id, Token: token, Subject: req.Subject, Scopes: canonical, ExpiresAt: expires}, nil
}

// Revoke revokes one token. Callers may revoke tokens of their own subject;
// global administrators any token. It returns 1 when a live token was
// revoked, 0 when it already was.
func (s *Service) Revoke(ctx context.Context, caller *Principal, tokenID string) (int64, error) {
	if !caller.Authenticated() {
		return 0, fault.Unauthorized("authentication required")
	}
	t, err := s.db.GetToken(ctx, tokenID)
	if errors.Is(err, meta.ErrNotFound) {
		return 0, fault.NotFound("token %q not found", tokenID)
	}
	if err != nil {
		return 0, err
	}
	if t.Subject != caller.Subject && !caller.IsAdmin() {
		// Do not confirm that another subject's token exists.
		return 0, fault.NotFound("token %q not found", tokenID)
	}
	var n int64
	now := s.now().UTC()
	err = s.db.Tx(ctx, func(tx *meta.Tx) error {
		changed, err := tx.RevokeToken(ctx, tokenID, now)
		if err != nil || !changed {
			return err
		}
		n = 1
		return tx.InsertAudit(ctx, audit(ctx, caller, "token.revoke", "token/"+tokenID, now, map[string]any{"subject": t.Subject}))
	})
	s.cache.Drop(tokenID) // after the commit, so no verification can re-cache it
	return n, err
}

// RevokeSubject revokes every live token of subject. Callers may revoke their
// own subject's tokens; global administrators anyone's.
func (s *Service) RevokeSubject(ctx context.Context, caller *Principal, subject string) (int64, error) {
	if !caller.Authenticated() {
		return 0, fault.Unauthorized("authentication required")
	}
	if !ValidSubject(subject) {
		return 0, fault.BadRequest("subject", "must be 1-128 characters of [A-Za-z0-9._@:+-]")
	}
	if subject != caller.Subject && !caller.IsAdmin() {
		return 0, fault.Forbidden("only a global administrator may revoke another subject's tokens")
	}
	var n int64
	now := s.now().UTC()
	err := s.db.Tx(ctx, func(tx *meta.Tx) error {
		var err error
		if n, err = tx.RevokeSubjectTokens(ctx, subject, now); err != nil || n == 0 {
			return err
		}
		return tx.InsertAudit(ctx, audit(ctx, caller, "token.revoke", "subject/"+subject, now, map[string]any{"subject": subject, "count": n}))
	})
	dropSubject(s.cache, subject)
	return n, err
}

// List lists tokens (never secrets). Global administrators only.
func (s *Service) List(ctx context.Context, caller *Principal, f meta.TokenFilter) ([]meta.Token, error) {
	if !caller.IsAdmin() {
		return nil, fault.Forbidden("listing tokens needs the global admin scope")
	}
	return s.db.ListTokens(ctx, f)
}

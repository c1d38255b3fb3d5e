package repo

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

// Upstream credential schemes.
const (
	SchemeBasic  = "basic"
	SchemeBearer = "bearer"
)

// maxCredential bounds a username or a secret.
const maxCredential = 4096

// CredentialsRequest sets a remote repository's upstream credentials.
type CredentialsRequest struct {
	Scheme   string
	Username string
	Secret   string
}

// CredentialsInfo is what callers may see of upstream credentials: never
// the secret.
type CredentialsInfo struct {
	Scheme    string
	Username  string
	UpdatedBy string
	UpdatedAt time.Time
}

func (r CredentialsRequest) validate() error {
	switch r.Scheme {
	case SchemeBasic:
		if r.Username == "" {
			return fault.BadRequest("username", "required for basic credentials")
		}
		if strings.Contains(r.Username, ":") {
			return fault.BadRequest("username", "must not contain ':'")
		}
	case SchemeBearer:
		if r.Username != "" {
			return fault.BadRequest("username", "bearer credentials have no username")
		}
	default:
		return fault.BadRequest("scheme", "want basic or bearer")
	}
	if r.Secret == "" {
		return fault.BadRequest("secret", "required")
	}
	for field, v := range map[string]string{"username": r.Username, "secret": r.Secret} {
		if len(v) > maxCredential {
			return fault.BadRequest(field, "at most %d bytes", maxCredential)
		}
		if strings.ContainsFunc(v, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
			return fault.BadRequest(field, "must not contain control characters")
		}
	}
	return nil
}

// SetUpstreamCredentials sets what a remote repository presents to its
// upstream (role admin). The audit record names the scheme and username,
// never the secret.
func (s *Service) SetUpstreamCredentials(ctx context.Context, caller *auth.Principal, key string, req CredentialsRequest) (CredentialsInfo, error) {
	if err := req.validate(); err != nil {
		return CredentialsInfo{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	err := s.db.Tx(ctx, func(tx *meta.Tx) error {
		l, err := s.access(ctx, txRepo(tx), caller, key, auth.RoleAdmin)
		if err != nil {
			return err
		}
		if l.row.Type != TypeRemote {
			return fault.Coded(fault.KindConflict, "repository_not_remote", "repository %q is %s; only remote repositories have an upstream", key, l.row.Type)
		}
		if err := tx.PutUpstreamCredentials(ctx, meta.UpstreamCredentials{Repo: key, Scheme: req.Scheme, Username: req.Username,
			Secret: req.Secret, UpdatedBy: caller.Name(), UpdatedAt: now}); err != nil {
			return err
		}
		rec := s.audit(ctx, caller, "repo.upstream_credentials.set", key, now, map[string]any{"scheme": req.Scheme, "username": req.Username})
		rec.Resource = "repo/" + key + "/upstream-credentials"
		return tx.InsertAudit(ctx, rec)
	})
	return CredentialsInfo{Scheme: req.Scheme, Username: req.Username, UpdatedBy: caller.Name(), UpdatedAt: now}, err
}

// UpstreamCredentialsInfo shows a remote repository's credentials without
// the secret (role admin).
func (s *Service) UpstreamCredentialsInfo(ctx context.Context, caller *auth.Principal, key string) (CredentialsInfo, error) {
	if _, err := s.access(ctx, s.cachedRepo, caller, key, auth.RoleAdmin); err != nil {
		return CredentialsInfo{}, err
	}
	c, err := s.db.GetUpstreamCredentials(ctx, key)
	if errors.Is(err, meta.ErrNotFound) {
		return CredentialsInfo{}, fault.Coded(fault.KindNotFound, "credentials_not_found", "repository %q has no upstream credentials", key)
	}
	if err != nil {
		return CredentialsInfo{}, err
	}
	return CredentialsInfo{Scheme: c.Scheme, Username: c.Username, UpdatedBy: c.UpdatedBy, UpdatedAt: c.UpdatedAt}, nil
}

// ClearUpstreamCredentials removes them (role admin).
func (s *Service) ClearUpstreamCredentials(ctx context.Context, caller *auth.Principal, key string) error {
	return s.db.Tx(ctx, func(tx *meta.Tx) error {
		if _, err := s.access(ctx, txRepo(tx), caller, key, auth.RoleAdmin); err != nil {
			return err
		}
		if err := tx.DeleteUpstreamCredentials(ctx, key); err != nil {
			if errors.Is(err, meta.ErrNotFound) {
				return fault.Coded(fault.KindNotFound, "credentials_not_found", "repository %q has no upstream credentials", key)
			}
			return err
		}
		rec := s.audit(ctx, caller, "repo.upstream_credentials.clear", key, s.now().UTC(), nil)
		rec.Resource = "repo/" + key + "/upstream-credentials"
		return tx.InsertAudit(ctx, rec)
	})
}

package repo

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

// Bindings lists who holds roles on a repository. Needs the admin role on it.
func (s *Service) Bindings(ctx context.Context, caller *auth.Principal, key string) ([]meta.Binding, error) {
	if _, err := s.access(ctx, s.cachedRepo, caller, key, auth.RoleAdmin); err != nil {
		return nil, err
	}
	return s.db.RepoBindings(ctx, key)
}

// PutBinding replaces the roles subject holds on a repository. Needs the admin
// role on it.
func (s *Service) PutBinding(ctx context.Context, caller *auth.Principal, key, subject string, roles []string) (meta.Binding, error) {
	if !auth.ValidSubject(subject) {
		return meta.Binding{}, fault.BadRequest("subject", "must be 1-128 characters of [A-Za-z0-9._@:+-]")
	}
	if len(roles) == 0 || len(roles) > len(auth.Roles) {
		return meta.Binding{}, fault.BadRequest("roles", "give 1 to %d roles", len(auth.Roles))
	}
	for i, r := range roles {
		if _, err := auth.ParseRole(r); err != nil {
			return meta.Binding{}, fault.BadRequest(fmt.Sprintf("roles[%d]", i), "%v", err)
		}
	}
	sorted := slices.Clone(roles)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	b := meta.Binding{Repo: key, Subject: subject, Roles: sorted}
	err := s.db.Tx(ctx, func(tx *meta.Tx) error {
		if _, err := s.access(ctx, txRepo(tx), caller, key, auth.RoleAdmin); err != nil {
			return err
		}
		now := s.now().UTC()
		if err := tx.PutBinding(ctx, b, now); err != nil {
			return err
		}
		rec := s.audit(ctx, caller, "binding.put", key, now, map[string]any{"subject": subject, "roles": sorted})
		rec.Resource = "repo/" + key + "/bindings/" + subject
		return tx.InsertAudit(ctx, rec)
	})
	s.bindingChanged(subject)
	return b, err
}

// DeleteBinding removes every role subject holds on a repository. Needs the
// admin role on it.
func (s *Service) DeleteBinding(ctx context.Context, caller *auth.Principal, key, subject string) error {
	defer s.bindingChanged(subject)
	return s.db.Tx(ctx, func(tx *meta.Tx) error {
		if _, err := s.access(ctx, txRepo(tx), caller, key, auth.RoleAdmin); err != nil {
			return err
		}
		if err := tx.DeleteBinding(ctx, key, subject); err != nil {
			if errors.Is(err, meta.ErrNotFound) {
				return fault.NotFound("subject %q has no binding on repository %q", subject, key)
			}
			return err
		}
		rec := s.audit(ctx, caller, "binding.delete", key, s.now().UTC(), map[string]any{"subject": subject})
		rec.Resource = "repo/" + key + "/bindings/" + subject
		return tx.InsertAudit(ctx, rec)
	})
}

package repo

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

// UpdateRequest changes the mutable fields of a repository; nil fields stay.
// Settings is a JSON object merged onto the current settings, so a caller
// changes one option without restating the others.
type UpdateRequest struct {
	Description *string
	UpstreamURL *string
	Members     *[]string
	Settings    json.RawMessage
}

// Update changes a repository. Needs the admin role on it.
func (s *Service) Update(ctx context.Context, caller *auth.Principal, key string, req UpdateRequest) (Repo, error) {
	var out Repo
	defer s.repoChanged() // after the commit, so no read can re-cache the old definition
	err := s.db.Tx(ctx, func(tx *meta.Tx) error {
		l, err := s.access(ctx, txRepo(tx), caller, key, auth.RoleAdmin)
		if err != nil {
			return err
		}
		row := l.row
		details := map[string]any{}
		if req.Description != nil {
			if err := validateDescription(*req.Description); err != nil {
				return err
			}
			row.Description = *req.Description
			details["description"] = row.Description
		}
		if req.UpstreamURL != nil {
			row.UpstreamURL = *req.UpstreamURL
			details["upstreamUrl"] = row.UpstreamURL
		}
		if req.Members != nil {
			row.Members = *req.Members
			details["members"] = row.Members
		}
		if err := validateShape(row.Type, row.UpstreamURL, row.Members); err != nil {
			return err
		}
		if req.Members != nil {
			if err := checkMembers(ctx, tx, key, row.Format, row.Members); err != nil {
				return err
			}
		}
		if len(req.Settings) > 0 {
			settings, err := mergeSettings(row.Settings, req.Settings)
			if err != nil {
				return err
			}
			row.Settings = encodeSettings(settings)
			details["settings"] = settings
		}
		final, err := decodeSettings(row.Settings)
		if err != nil {
			return err
		}
		if err := checkDeployTo(ctx, tx, row.Type, row.Members, final.DeployTo); err != nil {
			return err
		}
		if len(details) == 0 {
			out, err = fromRow(row) // nothing to change: no write, no audit record
			return err
		}
		row.UpdatedAt = s.now().UTC().Truncate(time.Microsecond)
		if err := tx.UpdateRepo(ctx, row); err != nil {
			return err
		}
		if err := tx.InsertAudit(ctx, s.audit(ctx, caller, "repo.update", key, row.UpdatedAt, details)); err != nil {
			return err
		}
		out, err = fromRow(row)
		return err
	})
	return out, err
}

// mergeSettings applies a JSON object of settings onto the stored ones,
// refusing unknown options.
func mergeSettings(stored string, patch json.RawMessage) (Settings, error) {
	s, err := decodeSettings(stored)
	if err != nil {
		return Settings{}, err
	}
	dec := json.NewDecoder(strings.NewReader(string(patch)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Settings{}, fault.BadRequest("settings", "%v", err)
	}
	return s, s.validate()
}

// Delete removes a repository. Needs the admin role on it. A repository that
// holds packages or is a member of a virtual repository is refused with a
// conflict unless force is set by a global administrator.
func (s *Service) Delete(ctx context.Context, caller *auth.Principal, key string, force bool) error {
	if force && !caller.IsAdmin() {
		if _, err := s.access(ctx, s.cachedRepo, caller, key, auth.RoleRead); err != nil {
			return err
		}
		return fault.Forbidden("force deletion needs the global admin scope")
	}
	var bound []meta.Binding
	defer func() {
		s.repoChanged()
		for _, b := range bound {
			s.bindingChanged(b.Subject)
		}
	}()
	return s.db.Tx(ctx, func(tx *meta.Tx) error {
		if _, err := s.access(ctx, txRepo(tx), caller, key, auth.RoleAdmin); err != nil {
			return err
		}
		var err error
		if bound, err = tx.RepoBindings(ctx, key); err != nil {
			return err
		}
		packages, err := tx.CountPackages(ctx, key)
		if err != nil {
			return err
		}
		parents, err := tx.VirtualParents(ctx, key)
		if err != nil {
			return err
		}
		if !force {
			if packages > 0 {
				return fault.Conflict("repository %q holds %d packages; delete them first or force the deletion", key, packages).With("packages", packages)
			}
			if len(parents) > 0 {
				return fault.Conflict("repository %q is a member of %s; remove it there first or force the deletion", key, strings.Join(parents, ", ")).With("virtualRepos", parents)
			}
		}
		// Webhooks that named the repository forget it, so a repository
		// created later under the same key inherits none of them.
		if _, _, err := tx.DetachRepoFromWebhooks(ctx, key, s.now().UTC()); err != nil {
			return err
		}
		if err := tx.DeleteRepo(ctx, key, s.now().UTC()); err != nil {
			if errors.Is(err, meta.ErrNotFound) {
				return fault.NotFound("repository %q not found", key)
			}
			return err
		}
		return tx.InsertAudit(ctx, s.audit(ctx, caller, "repo.delete", key, s.now().UTC(), map[string]any{
			"force": force, "packages": packages, "removedFrom": parents,
		}))
	})
}

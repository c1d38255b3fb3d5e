package catalog

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/policy"
	"github.com/artifortress/artifortress/internal/repo"
)

// Promote copies a published, visible version of repository repoKey into
// repository target, another local repository of the same format (role
// read on the source, promote on the target). No bytes are copied: the
// target links the same blobs. The copy goes through the target's
// policies (stage promote) like a publish there: a deny refuses it (403
// policy_denied, recorded against the source version), a quarantine holds
// it in the target's lane. The copy keeps the version's manifest and labels.
func (s *Service) Promote(ctx context.Context, caller *auth.Principal, repoKey, versionID, target string) (PublishResult, error) {
	r, f, err := s.repoFormat(ctx, caller, repoKey, auth.RoleRead)
	if err != nil {
		return PublishResult{}, err
	}
	if target == "" {
		return PublishResult{}, fault.BadRequest("targetRepo", "required")
	}
	if target == repoKey {
		return PublishResult{}, fault.BadRequest("targetRepo", "a version cannot be promoted into its own repository")
	}
	tr, tf, err := s.repoFormat(ctx, caller, target, auth.RolePromote)
	if err != nil {
		return PublishResult{}, err
	}
	if tr.Type != repo.TypeLocal {
		return PublishResult{}, fault.Coded(fault.KindConflict, "repository_not_local", "repository %q is %s; versions are promoted into local repositories", target, tr.Type).With("field", "targetRepo")
	}
	if tr.Format != r.Format {
		return PublishResult{}, fault.BadRequest("targetRepo", "repository %q holds %s packages, not %s", target, tr.Format, r.Format)
	}
	src, sp, err := s.versionIn(ctx, s.db.Q, r, versionID)
	if err != nil {
		return PublishResult{}, err
	}
	if !slices.Contains(visibleStates(caller, repoKey), src.State) {
		return PublishResult{}, versionNotFound(versionID)
	}
	if src.State != meta.VersionPublished {
		return PublishResult{}, fault.Coded(fault.KindConflict, "version_not_published", "version %s is %s; only published versions are promoted", src.Version, src.State).With("state", src.State)
	}
	if src.Blocked() {
		return PublishResult{}, s.quarantined(ctx, s.db.Q, "version "+src.Version, src)
	}
	full := f.FullName(sp.Namespace, sp.Name)
	now := s.now().UTC().Truncate(time.Microsecond)
	var out PublishResult
	var refused *refusal
	var copyID string
	err = s.db.Tx(ctx, func(tx *meta.Tx) error {
		p, err := tx.EnsurePackage(ctx, meta.Package{ID: newID("pkg_"), Repo: target, Format: tr.Format, Namespace: sp.Namespace, Name: sp.Name, DisplayName: sp.DisplayName, CreatedAt: now})
		if err != nil {
			return err
		}
		if v, err := versionOf(ctx, tx.Q, tf, p.ID, src.Version); err == nil {
			return fault.Coded(fault.KindConflict, "version_exists", "%s %s already exists in %q as %s (%s)", full, src.Version, target, v.Version, v.State).
				With("existing", v.Version).With("state", v.State).With("versionId", v.ID)
		} else if !errors.Is(err, meta.ErrNotFound) {
			return err
		}
		entries, err := tx.ListEntries(ctx, src.ID)
		if err != nil {
			return err
		}
		v := meta.Version{ID: newID("ver_"), PackageID: p.ID, Version: src.Version, Normalized: format.NormalizeVersion(tf, src.Version), State: meta.VersionDraft, CreatedBy: caller.Name(),
			CreatedAt: now, UpdatedAt: now, Labels: src.Labels}
		if err := tx.InsertVersion(ctx, v); errors.Is(err, meta.ErrExists) {
			// A concurrent promotion or draft took the coordinates.
			return fault.Coded(fault.KindConflict, "version_exists", "%s %s already exists in %q", full, src.Version, target)
		} else if err != nil {
			return err
		}
		if err := tx.SetManifest(ctx, v.ID, src.Manifest, now); err != nil {
			return err
		}
		v.Manifest = src.Manifest
		for i, e := range entries {
			if _, err := tx.LinkBlob(ctx, target, e.Digest, caller.Name(), now); err != nil {
				return err
			}
			e.VersionID, e.Repo = v.ID, target
			entries[i] = e
		}
		if err := tx.InsertEntries(ctx, entries); err != nil {
			return err
		}
		copyID = v.ID
		details := map[string]any{"package": full, "version": src.Version, "entries": len(entries), "from": repoKey, "fromVersionId": src.ID}
		out.Quarantine, refused, err = s.settle(ctx, tx, caller, tr, tf, v, p, entries, policy.StagePromote, "version.promote", details, now)
		if refused != nil {
			// The copy goes with the rollback: the refusal is the source's.
			refused = refusalOf(refused.res, r, f, src, sp, entries)
		}
		return err
	})
	if refused != nil {
		return PublishResult{}, s.refuse(ctx, caller, r, policy.StagePromote, target, *refused)
	}
	if err != nil {
		return PublishResult{}, err
	}
	if out.Quarantine != nil {
		s.repos.QuarantineChanged(target)
	}
	v, p, err := s.versionIn(ctx, s.db.Q, tr, copyID)
	if err != nil {
		return PublishResult{}, err
	}
	out.Version, err = s.withEntries(ctx, tr, v, p)
	return out, err
}

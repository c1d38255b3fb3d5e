package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/repo"
)

// DraftRequest names a version to create.
type DraftRequest struct {
	Format    string // optional; must match the repository's format
	Namespace string // optional; when set, Name is the bare name
	Name      string // the full name (or the bare one with Namespace)
	Version   string
	// Labels are free key/value pairs frozen with the version at publish;
	// policies may require them. Given again for an existing draft, they
	// replace its labels.
	Labels map[string]string
}

// Label limits.
const (
	maxLabels     = 64
	maxLabelKey   = 128
	maxLabelValue = 1024
)

func validateLabels(labels map[string]string) (string, error) {
	if len(labels) > maxLabels {
		return "", fault.BadRequest("labels", "at most %d labels", maxLabels)
	}
	for k, v := range labels {
		if k == "" || len(k) > maxLabelKey || !utf8.ValidString(k) {
			return "", fault.BadRequest("labels", "label names are 1 to %d bytes of UTF-8", maxLabelKey)
		}
		if len(v) > maxLabelValue || !utf8.ValidString(v) {
			return "", fault.BadRequest("labels."+k, "at most %d bytes of UTF-8", maxLabelValue)
		}
	}
	if labels == nil {
		labels = map[string]string{}
	}
	b, err := json.Marshal(labels)
	return string(b), err
}

// CreateDraft creates a draft version (role write), or returns the existing
// draft of the same coordinates (created false). A published or tombstoned
// version of those coordinates is a conflict: versions are immutable. So is
// any version spelled differently that the format normalises to the same
// one (PyPI 1.0 and 1.0.0): the conflict names it.
func (s *Service) CreateDraft(ctx context.Context, caller *auth.Principal, repoKey string, req DraftRequest) (Version, bool, error) {
	r, err := s.repos.Access(ctx, caller, repoKey, auth.RoleWrite)
	if err != nil {
		return Version{}, false, err
	}
	if r.Type != repo.TypeLocal {
		return Version{}, false, fault.Coded(fault.KindConflict, "repository_not_local", "repository %q is %s; versions are published to local repositories", repoKey, r.Type)
	}
	if req.Format != "" && req.Format != r.Format {
		return Version{}, false, fault.BadRequest("format", "repository %q holds %s packages, not %s", repoKey, r.Format, req.Format)
	}
	f, err := s.formatOf(r)
	if err != nil {
		return Version{}, false, err
	}
	full := req.Name
	if req.Namespace != "" {
		full = f.FullName(req.Namespace, req.Name)
	}
	ns, name, err := f.ParseName(full)
	if err != nil {
		return Version{}, false, fieldError(err)
	}
	if err := f.ValidateVersion(req.Version); err != nil {
		return Version{}, false, fieldError(err)
	}
	labels, err := validateLabels(req.Labels)
	if err != nil {
		return Version{}, false, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	var out Version
	created := false
	err = s.db.Tx(ctx, func(tx *meta.Tx) error {
		p, err := tx.EnsurePackage(ctx, meta.Package{ID: newID("pkg_"), Repo: repoKey, Format: r.Format, Namespace: ns, Name: name, DisplayName: full, CreatedAt: now})
		if err != nil {
			return err
		}
		v, err := versionOf(ctx, tx.Q, f, p.ID, req.Version)
		switch {
		case err == nil && v.Version != req.Version:
			return fault.Coded(fault.KindConflict, "version_exists", "%s %s is the same version as %s (%s), which exists already", full, req.Version, v.Version, v.State).
				With("existing", v.Version).With("state", v.State).With("versionId", v.ID)
		case err == nil && v.State == meta.VersionDraft:
			if req.Labels != nil && labels != v.Labels {
				if err := tx.SetLabels(ctx, v.ID, labels, now); err != nil {
					return err
				}
				v.Labels, v.UpdatedAt = labels, now
				if err := tx.InsertAudit(ctx, s.audit(ctx, caller, "version.labels", repoKey, "repo/"+repoKey+"/versions/"+v.ID, now, map[string]any{
					"package": full, "version": v.Version, "labels": req.Labels,
				})); err != nil {
					return err
				}
			}
			out = Version{Row: v, Package: p, FullName: f.FullName(p.Namespace, p.Name)}
			return nil
		case err == nil:
			return fault.Coded(fault.KindConflict, "version_exists", "%s %s is already %s; published versions never change", full, req.Version, v.State).
				With("existing", v.Version).With("state", v.State).With("versionId", v.ID)
		case !errors.Is(err, meta.ErrNotFound):
			return err
		}
		v = meta.Version{ID: newID("ver_"), PackageID: p.ID, Version: req.Version, Normalized: format.NormalizeVersion(f, req.Version), State: meta.VersionDraft, CreatedBy: caller.Name(), CreatedAt: now, UpdatedAt: now, Labels: labels}
		if err := tx.InsertVersion(ctx, v); err != nil {
			return err
		}
		created = true
		out = Version{Row: v, Package: p, FullName: f.FullName(p.Namespace, p.Name)}
		return tx.InsertAudit(ctx, s.audit(ctx, caller, "version.draft", repoKey, "repo/"+repoKey+"/versions/"+v.ID, now, map[string]any{
			"package": out.FullName, "version": v.Version,
		}))
	})
	if errors.Is(err, meta.ErrExists) {
		// A concurrent request created the same draft first: answer with it.
		return s.CreateDraft(ctx, caller, repoKey, req)
	}
	if err != nil {
		return Version{}, false, err
	}
	out, err = s.withEntries(ctx, r, out.Row, out.Package)
	return out, created, err
}

// DiscardDraft deletes a draft with its files, and its package when no
// version is left (role write): what a native publish that failed midway
// created. Published versions are never deleted (the database refuses).
func (s *Service) DiscardDraft(ctx context.Context, caller *auth.Principal, repoKey, versionID string) error {
	r, err := s.repos.Access(ctx, caller, repoKey, auth.RoleWrite)
	if err != nil {
		return err
	}
	return s.discardDraft(ctx, caller, r, versionID)
}

// discardDraft removes draft versionID of r with its audit record (a version
// that is no longer a draft is left alone).
func (s *Service) discardDraft(ctx context.Context, caller *auth.Principal, r repo.Repo, versionID string) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	return s.db.Tx(ctx, func(tx *meta.Tx) error {
		v, p, err := s.lockedVersion(ctx, tx, r, versionID)
		if err != nil {
			return err
		}
		return s.discard(ctx, tx, caller, r.Key, v, p, now)
	})
}

// discard deletes draft v inside tx with its audit record; a version that
// is no longer a draft is left alone.
func (s *Service) discard(ctx context.Context, tx *meta.Tx, caller *auth.Principal, repoKey string, v meta.Version, p meta.Package, now time.Time) error {
	ok, err := tx.DeleteDraft(ctx, v.ID, p.ID)
	if err != nil || !ok {
		return err
	}
	return tx.InsertAudit(ctx, s.audit(ctx, caller, "version.discard", repoKey, "repo/"+repoKey+"/versions/"+v.ID, now, map[string]any{
		"version": v.Version,
	}))
}

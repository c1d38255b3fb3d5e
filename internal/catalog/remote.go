package catalog

import (
	"context"
	"errors"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/repo"
)

// CacheRequest is a version a remote repository fetched from its upstream:
// its manifest, its files (blobs already cached in the repository,
// transfer.CacheBlob) and when the upstream published it.
type CacheRequest struct {
	Name, Version       string
	Manifest            []byte
	Files               []CacheFile
	UpstreamPublishedAt *time.Time
}

// CacheFile is one file of a cached version.
type CacheFile = EntryRequest

// CacheVersion records a fetched version in remote repository repoKey (the
// caller needs only read) and publishes it there (for an append-only format,
// a version cached before gains the request's new files), so everything a local
// publish goes through applies to cached content too: the repository's
// policies (which see version.upstreamPublishedAt, so a minimum age can be
// required), the quarantine lane, the audit trail and the version.published
// event. A version already cached is answered as it is (published, or 423
// when the lane holds it). A policy deny leaves the version a draft, so a
// later request evaluates the policies again (a minimum age is reached).
func (s *Service) CacheVersion(ctx context.Context, caller *auth.Principal, repoKey string, req CacheRequest) (PublishResult, error) {
	r, f, err := s.repoFormat(ctx, caller, repoKey, auth.RoleRead)
	if err != nil {
		return PublishResult{}, err
	}
	if r.Type != repo.TypeRemote {
		return PublishResult{}, fault.Coded(fault.KindConflict, "repository_not_remote", "repository %q is %s; only remote repositories cache", repoKey, r.Type)
	}
	id, err := s.cachedDraft(ctx, caller, r, f, req)
	if errors.Is(err, meta.ErrExists) {
		// A concurrent request recorded the same version first.
		id, err = s.cachedDraft(ctx, caller, r, f, req)
	}
	if err != nil {
		return PublishResult{}, err
	}
	res, err := s.publishIn(ctx, caller, r, f, id)
	if err != nil || !format.AppendOnly(f) || (res.Quarantine != nil && res.Quarantine.Status != meta.QuarantineReleased) {
		return res, err
	}
	// A version of an append-only format cached earlier with other files
	// (a wheel, then the sdist) gains the new ones as an upload would.
	var missing []EntryRequest
	for _, file := range req.Files {
		if !hasEntry(res.Version.Entries, file.Path) {
			missing = append(missing, file)
		}
	}
	if len(missing) > 0 {
		fr, err := s.appendFiles(ctx, caller, r, f, id, missing)
		if err != nil {
			return PublishResult{}, err
		}
		res.Version = fr.Version
	}
	return res, nil
}

func hasEntry(entries []meta.Entry, path string) bool {
	for _, e := range entries {
		if e.Path == path {
			return true
		}
	}
	return false
}

// cachedDraft returns the id of the version req names in r, creating it as
// a draft with its files and manifest when it is not there yet.
func (s *Service) cachedDraft(ctx context.Context, caller *auth.Principal, r repo.Repo, f format.Format, req CacheRequest) (string, error) {
	ns, name, err := f.ParseName(req.Name)
	if err != nil {
		return "", upstreamInvalid("name %q: %v", req.Name, err)
	}
	if err := f.ValidateVersion(req.Version); err != nil {
		return "", upstreamInvalid("version %q: %v", req.Version, err)
	}
	if err := f.ValidateManifest(format.Coordinates{Namespace: ns, Name: name, Version: req.Version}, req.Manifest); err != nil {
		return "", upstreamInvalid("manifest of %s %s: %v", req.Name, req.Version, err)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	var id string
	err = s.db.Tx(ctx, func(tx *meta.Tx) error {
		p, err := tx.EnsurePackage(ctx, meta.Package{ID: newID("pkg_"), Repo: r.Key, Format: r.Format, Namespace: ns, Name: name, DisplayName: req.Name, CreatedAt: now})
		if err != nil {
			return err
		}
		v, err := versionOf(ctx, tx.Q, f, p.ID, req.Version)
		switch {
		case err == nil && v.State == meta.VersionTombstoned:
			return fault.Coded(fault.KindNotFound, "version_not_found", "%s %s was deleted from repository %q", req.Name, req.Version, r.Key)
		case err == nil:
			id = v.ID
			return nil
		case !errors.Is(err, meta.ErrNotFound):
			return err
		}
		v = meta.Version{ID: newID("ver_"), PackageID: p.ID, Version: req.Version, Normalized: format.NormalizeVersion(f, req.Version), State: meta.VersionDraft, CreatedBy: caller.Name(),
			CreatedAt: now, UpdatedAt: now, UpstreamPublishedAt: req.UpstreamPublishedAt}
		if err := tx.InsertVersion(ctx, v); err != nil {
			return err
		}
		entries, err := newEntries(ctx, tx, r.Key, v.ID, nil, req.Files)
		if err != nil {
			return err
		}
		if err := tx.InsertEntries(ctx, entries); err != nil {
			return err
		}
		if err := tx.SetManifest(ctx, v.ID, req.Manifest, now); err != nil {
			return err
		}
		id = v.ID
		return tx.InsertAudit(ctx, s.audit(ctx, caller, "version.cache", r.Key, "repo/"+r.Key+"/versions/"+v.ID, now, map[string]any{
			"package": req.Name, "version": req.Version, "upstreamPublishedAt": req.UpstreamPublishedAt,
		}))
	})
	return id, err
}

func upstreamInvalid(format string, args ...any) error {
	return fault.Coded(fault.KindBadGateway, "upstream_invalid", "the upstream sent an invalid "+format, args...)
}

// HiddenVersions names the versions of a package in repoKey that its
// metadata must not offer: tombstoned ones, those the quarantine lane holds
// or rejected, and drafts (in a remote repository, versions a policy
// refused to cache), by their normalised spelling (format.NormalizeVersion:
// PyPI's "1.0" hides "1.0.0" too). It is empty when the repository has no
// such package.
func (s *Service) HiddenVersions(ctx context.Context, caller *auth.Principal, repoKey, fullName string) (map[string]bool, error) {
	_, _, p, err := s.packageOf(ctx, caller, repoKey, fullName, auth.RoleRead)
	if fe := fault.As(err); fe != nil && fe.Code == "package_not_found" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	vs, err := s.db.ListVersions(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	hidden := map[string]bool{}
	for _, v := range vs {
		if !v.Offered() {
			hidden[v.Normalized] = true
		}
	}
	return hidden, nil
}

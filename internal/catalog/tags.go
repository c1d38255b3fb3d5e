package catalog

import (
	"context"
	"errors"
	"regexp"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/repo"
)

var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)

// ValidTag reports whether tag is a valid tag name.
func ValidTag(tag string) bool { return tagPattern.MatchString(tag) }

// PutTag points tag at a published version of a package (role write) and
// returns the tag with the version it pointed at before ("" when new). In a
// repository whose tags are immutable (settings.immutableTags) a tag is set
// once: pointing it at another version is 403 tag_immutable.
func (s *Service) PutTag(ctx context.Context, caller *auth.Principal, repoKey, fullName, tag, version string) (meta.Tag, string, error) {
	if !tagPattern.MatchString(tag) {
		return meta.Tag{}, "", fault.BadRequest("tag", "want 1-128 characters of [A-Za-z0-9._-], not starting with . or -")
	}
	r, f, p, err := s.packageOf(ctx, caller, repoKey, fullName, auth.RoleWrite)
	if err != nil {
		return meta.Tag{}, "", err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	var prev string
	err = s.db.Tx(ctx, func(tx *meta.Tx) error {
		v, err := versionOf(ctx, tx.Q, f, p.ID, version)
		if errors.Is(err, meta.ErrNotFound) || (err == nil && v.State != meta.VersionPublished) {
			return fault.Coded(fault.KindConflict, "version_not_published", "%s has no published version %q to tag", fullName, version).With("field", "version")
		}
		if err != nil {
			return err
		}
		prev, err = s.putTagIn(ctx, tx, caller, r, f, p, v, tag, now)
		return err
	})
	if errors.Is(err, meta.ErrExists) {
		return s.PutTag(ctx, caller, repoKey, fullName, tag, version) // the tag was deleted while moving it: again
	}
	if err != nil {
		return meta.Tag{}, "", err
	}
	t, err := s.db.GetTag(ctx, p.ID, tag)
	return t, prev, err
}

// putTagIn points tag at published version v of package p inside tx, with
// its audit record and tag.updated event, and returns the version it
// pointed at before ("" when new). An immutable tag is not moved.
func (s *Service) putTagIn(ctx context.Context, tx *meta.Tx, caller *auth.Principal, r repo.Repo, f format.Format, p meta.Package, v meta.Version, tag string, now time.Time) (string, error) {
	fullName := f.FullName(p.Namespace, p.Name)
	if r.Settings.ImmutableTags {
		old, err := tx.GetTag(ctx, p.ID, tag)
		switch {
		case err == nil && old.VersionID != v.ID:
			return "", tagImmutable(r.Key, fullName, tag, old.Version)
		case err != nil && !errors.Is(err, meta.ErrNotFound):
			return "", err
		}
	}
	old, err := tx.PutTag(ctx, meta.Tag{PackageID: p.ID, Name: tag, VersionID: v.ID, UpdatedBy: caller.Name(), UpdatedAt: now})
	if err != nil {
		return "", err
	}
	prev := old.Version
	if err := tx.InsertAudit(ctx, s.audit(ctx, caller, "tag.put", r.Key, "repo/"+r.Key+"/packages/"+fullName+"/tags/"+tag, now, map[string]any{
		"package": fullName, "tag": tag, "version": v.Version, "previous": prev,
	})); err != nil {
		return "", err
	}
	return prev, tx.InsertEvent(ctx, tagEvent(ctx, r.Key, fullName, tag, v.Version, prev, now))
}

// tagImmutable refuses moving or removing a tag of a repository whose tags
// are immutable (settings.immutableTags).
func tagImmutable(repoKey, fullName, tag, version string) error {
	return fault.Coded(fault.KindForbidden, "tag_immutable",
		"tags of repository %q are immutable: %s:%s stays on %s; push under a new tag", repoKey, fullName, tag, version).With("version", version)
}

// DeleteTag removes a tag (role write), unless the repository's tags are
// immutable.
func (s *Service) DeleteTag(ctx context.Context, caller *auth.Principal, repoKey, fullName, tag string) error {
	r, _, p, err := s.packageOf(ctx, caller, repoKey, fullName, auth.RoleWrite)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	return s.db.Tx(ctx, func(tx *meta.Tx) error {
		old, err := tx.GetTag(ctx, p.ID, tag)
		if errors.Is(err, meta.ErrNotFound) {
			return fault.Coded(fault.KindNotFound, "tag_not_found", "%s has no tag %q", fullName, tag)
		}
		if err != nil {
			return err
		}
		if r.Settings.ImmutableTags {
			return tagImmutable(repoKey, fullName, tag, old.Version)
		}
		if err := tx.DeleteTag(ctx, p.ID, tag); err != nil {
			return err
		}
		if err := tx.InsertAudit(ctx, s.audit(ctx, caller, "tag.delete", repoKey, "repo/"+repoKey+"/packages/"+fullName+"/tags/"+tag, now, map[string]any{
			"package": fullName, "tag": tag, "previous": old.Version,
		})); err != nil {
			return err
		}
		return tx.InsertEvent(ctx, tagEvent(ctx, repoKey, fullName, tag, "", old.Version, now))
	})
}

// Tag returns one tag (role read).
func (s *Service) Tag(ctx context.Context, caller *auth.Principal, repoKey, fullName, tag string) (meta.Tag, error) {
	_, _, p, err := s.packageOf(ctx, caller, repoKey, fullName, auth.RoleRead)
	if err != nil {
		return meta.Tag{}, err
	}
	t, err := s.db.GetTag(ctx, p.ID, tag)
	if errors.Is(err, meta.ErrNotFound) {
		return meta.Tag{}, fault.Coded(fault.KindNotFound, "tag_not_found", "%s has no tag %q", fullName, tag)
	}
	return t, err
}

// Tags lists a package's tags (role read).
func (s *Service) Tags(ctx context.Context, caller *auth.Principal, repoKey, fullName string) ([]meta.Tag, error) {
	return s.tags(ctx, caller, repoKey, fullName, s.db.ListTags)
}

// VisibleTags lists the tags of a package that resolve to a version the
// caller can pull (role read): published, not held or rejected by the
// quarantine lane (an OCI tags/list).
func (s *Service) VisibleTags(ctx context.Context, caller *auth.Principal, repoKey, fullName string) ([]meta.Tag, error) {
	return s.tags(ctx, caller, repoKey, fullName, s.db.ListVisibleTags)
}

func (s *Service) tags(ctx context.Context, caller *auth.Principal, repoKey, fullName string, list func(context.Context, string) ([]meta.Tag, error)) ([]meta.Tag, error) {
	_, _, p, err := s.packageOf(ctx, caller, repoKey, fullName, auth.RoleRead)
	if err != nil {
		return nil, err
	}
	ts, err := list(ctx, p.ID)
	if ts == nil {
		ts = []meta.Tag{}
	}
	return ts, err
}

// EventTagUpdated is the outbox event of a tag moved, created or deleted
// (version "" when deleted).
const EventTagUpdated = "tag.updated"

func tagEvent(ctx context.Context, repoKey, fullName, tag, version, previous string, at time.Time) meta.Event {
	return meta.Event{
		Type: EventTagUpdated, Aggregate: "tag/" + repoKey + "/" + fullName + "/" + tag, RequestID: requestID(ctx), CreatedAt: at,
		Payload: map[string]any{"repo": repoKey, "package": fullName, "tag": tag, "version": version, "previous": previous},
	}
}

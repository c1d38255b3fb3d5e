package catalog

import (
	"context"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

// maxDeprecation bounds a deprecation notice.
const maxDeprecation = 1024

// Deprecations returns the deprecation notices of a package's versions the
// caller can see, by version (role read).
func (s *Service) Deprecations(ctx context.Context, caller *auth.Principal, repoKey, fullName string) (map[string]string, error) {
	_, _, p, err := s.packageOf(ctx, caller, repoKey, fullName, auth.RoleRead)
	if err != nil {
		return nil, err
	}
	byID, err := s.db.Deprecations(ctx, p.ID)
	if err != nil || len(byID) == 0 {
		return map[string]string{}, err
	}
	vs, err := s.db.ListVersions(ctx, p.ID, visibleStates(caller, repoKey)...)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, v := range vs {
		if msg, ok := byID[v.ID]; ok {
			out[v.Version] = msg
		}
	}
	return out, nil
}

// Deprecate sets (or, with "", clears) the deprecation notices of
// published versions of a package, by version, in one transaction with
// one audit record per change (role write). The versions themselves do not
// change. A version that is not published is a 404 naming it.
func (s *Service) Deprecate(ctx context.Context, caller *auth.Principal, repoKey, fullName string, notices map[string]string) (int, error) {
	_, _, p, err := s.packageOf(ctx, caller, repoKey, fullName, auth.RoleWrite)
	if err != nil {
		return 0, err
	}
	for v, msg := range notices {
		if len(msg) > maxDeprecation || !utf8.ValidString(msg) {
			return 0, fault.BadRequest("deprecated", "the notice of %s is longer than %d bytes or not UTF-8", v, maxDeprecation)
		}
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	changed := 0
	err = s.db.Tx(ctx, func(tx *meta.Tx) error {
		current, err := tx.Deprecations(ctx, p.ID)
		if err != nil {
			return err
		}
		versions := make([]string, 0, len(notices))
		for v := range notices {
			versions = append(versions, v)
		}
		slices.Sort(versions)
		for _, version := range versions {
			v, err := tx.GetVersionOf(ctx, p.ID, version)
			if err != nil || v.State != meta.VersionPublished || v.Blocked() {
				return fault.Coded(fault.KindNotFound, "version_not_found", "%s has no published version %q", fullName, version).With("version", version)
			}
			if current[v.ID] == notices[version] {
				continue
			}
			if err := tx.SetDeprecation(ctx, v.ID, notices[version], caller.Name(), now); err != nil {
				return err
			}
			changed++
			if err := tx.InsertAudit(ctx, s.audit(ctx, caller, "version.deprecate", repoKey, "repo/"+repoKey+"/versions/"+v.ID, now, map[string]any{
				"package": fullName, "version": version, "message": notices[version],
			})); err != nil {
				return err
			}
		}
		return nil
	})
	return changed, err
}

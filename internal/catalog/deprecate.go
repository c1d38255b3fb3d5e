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

// Deprecate sets (or, with "", clears) the deprecation notices of
// published versions of a package, by version, in one transaction with
// one audit record per change (role write). The versions themselves do not
// change. A version that is not published is a 404 naming it.
func (s *Service) Deprecate(ctx context.Context, caller *auth.Principal, repoKey, fullName string, notices map[string]string) (int, error) {
	_, f, p, err := s.packageOf(ctx, caller, repoKey, fullName, auth.RoleWrite)
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
			v, err := versionOf(ctx, tx.Q, f, p.ID, version)
			if err != nil || !v.Offered() {
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
				"package": fullName, "version": v.Version, "message": notices[version],
			})); err != nil {
				return err
			}
		}
		return nil
	})
	return changed, err
}

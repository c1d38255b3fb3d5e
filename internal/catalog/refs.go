package catalog

import (
	"context"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/meta"
)

// Referrers returns the versions of package fullName in repository repoKey
// whose subject is digest (role read), only those of artifactType when it
// is set: the OCI referrers API. Versions the quarantine lane holds are
// left out, as from every other listing.
func (s *Service) Referrers(ctx context.Context, caller *auth.Principal, repoKey, fullName, digest, artifactType string) ([]meta.Referrer, error) {
	r, _, p, err := s.packageOf(ctx, caller, repoKey, fullName, auth.RoleRead)
	if err != nil {
		return nil, err
	}
	all, err := s.db.Referrers(ctx, r.Key, p.ID, digest, artifactType)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, ref := range all {
		if !ref.Blocked() {
			out = append(out, ref)
		}
	}
	return out, nil
}

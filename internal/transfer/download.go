package transfer

import (
	"context"
	"errors"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/repo"
)

// Download is a blob the caller may read in a repository.
type Download struct {
	meta.BlobLink
	Repo repo.Repo
}

// Lookup resolves blob digest in repository repoKey for a reader (role
// read). A digest not linked in that repository is not found there, even
// when the same bytes are stored for another repository.
func (s *Service) Lookup(ctx context.Context, caller *auth.Principal, repoKey, digest string) (Download, error) {
	r, err := s.repos.Access(ctx, caller, repoKey, auth.RoleRead)
	if err != nil {
		return Download{}, err
	}
	if _, err := blob.ParseDigest(digest); err != nil {
		return Download{}, fault.BadRequest("digest", "%v", err)
	}
	l, err := s.db.GetBlobLink(ctx, repoKey, digest)
	if errors.Is(err, meta.ErrNotFound) {
		return Download{}, fault.Coded(fault.KindNotFound, "blob_not_found", "blob %s not found in repository %q", digest, repoKey)
	}
	if err != nil {
		return Download{}, err
	}
	return Download{BlobLink: l, Repo: r}, nil
}

// Store is the blob store bytes are served from.
func (s *Service) Store() blob.Store { return s.store }

// PresignTTL is the lifetime of pre-signed download redirects.
const PresignTTL = 5 * time.Minute

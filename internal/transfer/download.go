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
	l, err := s.cachedLink(ctx, r, digest)
	if errors.Is(err, meta.ErrNotFound) {
		return Download{}, fault.Coded(fault.KindNotFound, "blob_not_found", "blob %s not found in repository %q", digest, repoKey)
	}
	if err != nil {
		return Download{}, err
	}
	if r.BlockedVersions > 0 {
		blocked, err := s.db.BlobBlocked(ctx, repoKey, digest)
		if err != nil {
			return Download{}, err
		}
		if blocked {
			return Download{}, fault.Quarantined("blob "+digest, meta.QuarantineHeld, "it belongs only to versions that are quarantined or rejected; see GET /v1/repos/"+repoKey+"/quarantine", "")
		}
	}
	return Download{BlobLink: l, Repo: r}, nil
}

// linkKey names a blob's link to a repository. The repository's creation
// time tells a repository from an earlier one deleted under the same key.
type linkKey struct {
	repo    string
	created int64
	digest  string
}

// maxCachedLinks bounds the link cache; past it the cache is emptied.
const maxCachedLinks = 100000

// DefaultLinkCacheTTL is how long links are cached when caches are on. It
// is longer than the other caches' TTL because links do not change: the
// repository check in front of it is what a deletion must get past, and
// that check is cached only for --auth-cache-ttl.
const DefaultLinkCacheTTL = 10 * time.Minute

// cachedLink reads a blob's link to repository r through the link cache. A
// link, once committed, never changes and is never removed while its
// repository exists, so a cached one is stale only when the repository was
// deleted on another node (then the repository definition, cached for as
// long, is stale too). Missing links are not cached: a blob committed on
// another node is served at once.
func (s *Service) cachedLink(ctx context.Context, r repo.Repo, digest string) (meta.BlobLink, error) {
	k, now := linkKey{r.Key, r.CreatedAt.UnixMicro(), digest}, s.opt.Now()
	if l, ok := s.links.Get(k, now); ok {
		return l, nil
	}
	gen := s.links.Generation()
	l, err := s.db.GetBlobLink(ctx, r.Key, digest)
	if err == nil {
		s.links.Put(k, l, now, gen)
	}
	return l, err
}

// Store is the blob store bytes are served from.
func (s *Service) Store() blob.Store { return s.store }

// PresignTTL is the lifetime of pre-signed download redirects.
const PresignTTL = 5 * time.Minute

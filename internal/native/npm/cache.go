package npm

import (
	"time"

	"github.com/artifortress/artifortress/internal/native"
	"github.com/artifortress/artifortress/internal/ttlcache"
)

// A local repository's packument is rendered once per package revision: the
// revision (meta.Package.Revision) is bumped by the database in every
// transaction that changes what the packument shows, and read with the
// package on every request, so a cached rendering is served only while it
// is current, on every node — a release from quarantine or a new version is
// visible at once. The rendering depends on the links' base URL and the
// abbreviated form; all readers of a repository see the same versions.

// packumentKey names one rendering.
type packumentKey struct {
	repo        string
	repoCreated int64 // a repository re-created under the same key is another
	packageID   string
	base        string
	abbreviated bool
}

// renderedPackument is a packument as written, at a package revision.
type renderedPackument struct {
	revision int64
	body     []byte
}

const (
	// maxCachedPackuments and maxPackumentCacheBytes bound the renderings a
	// node keeps, in number and in bytes; past either the cache is emptied.
	maxCachedPackuments    = 2048
	maxPackumentCacheBytes = 64 << 20
	// maxCachedPackumentBytes is the largest rendering kept (larger ones,
	// packages with thousands of versions, are rendered every time).
	maxCachedPackumentBytes = 256 << 10
	// packumentCacheTTL bounds how long an unused rendering is kept.
	packumentCacheTTL = 10 * time.Minute
)

func newPackumentCache() *ttlcache.Cache[packumentKey, renderedPackument] {
	return ttlcache.NewWeighed[packumentKey, renderedPackument](packumentCacheTTL, maxCachedPackuments, maxPackumentCacheBytes,
		func(r renderedPackument) int64 { return int64(len(r.body)) })
}

// cachedLocalPackument returns a local repository's packument as written:
// from the cache when its revision is current, else rendered and kept.
func (h *Handler) cachedLocalPackument(req *native.Request, name string, abbreviated bool) ([]byte, error) {
	p, err := h.catalog.PackageRef(req.Context(), req.Caller, req.Repo.Key, name)
	if err != nil {
		return nil, notFoundAsNPM(err, name)
	}
	k := packumentKey{repo: req.Repo.Key, repoCreated: req.Repo.CreatedAt.UnixMicro(), packageID: p.ID, base: req.Base, abbreviated: abbreviated}
	now := time.Now()
	if c, ok := h.packuments.Get(k, now); ok && c.revision == p.Revision {
		return c.body, nil
	}
	gen := h.packuments.Generation()
	doc, err := h.localPackumentDoc(req, name)
	if err != nil {
		return nil, err
	}
	body, err := marshalJSON(doc.body)
	if err != nil {
		return nil, err
	}
	if len(body) <= maxCachedPackumentBytes {
		// Rendered from reads made after the revision was read: if it
		// moved in between, the rendering is newer than the revision it is
		// kept under, and the next request renders again.
		h.packuments.Put(k, renderedPackument{revision: p.Revision, body: body}, now, gen)
	}
	return body, nil
}

package native

import (
	"time"

	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/ttlcache"
)

// MetadataCache keeps the metadata documents of local repositories (npm
// packuments, PyPI project pages) as rendered, once per package revision:
// the revision (meta.Package.Revision) is bumped by the database in every
// transaction that changes what such a document shows (a version's state,
// a file added, tags, deprecations, the quarantine lane), and read with the
// package on every request, so a cached rendering is served only while it
// is current, on every node: a release from quarantine or a new version is
// visible at once. A rendering depends on the links' base URL and a
// variant (npm's abbreviated form, a PyPI media type); all readers of a
// repository see the same versions.
type MetadataCache struct {
	c *ttlcache.Cache[metadataKey, rendered]
}

// metadataKey names one rendering.
type metadataKey struct {
	repo        string
	repoCreated int64 // a repository re-created under the same key is another
	packageID   string
	base        string
	variant     string
}

// rendered is a document as written, at a package revision.
type rendered struct {
	revision int64
	body     []byte
}

const (
	// maxCachedDocuments and maxMetadataCacheBytes bound the renderings a
	// node keeps per cache, in number and in bytes; past either the cache
	// is emptied.
	maxCachedDocuments    = 2048
	maxMetadataCacheBytes = 64 << 20
	// maxCachedDocumentBytes is the largest rendering kept (larger ones,
	// packages with thousands of versions, are rendered every time).
	maxCachedDocumentBytes = 256 << 10
	// metadataCacheTTL bounds how long an unused rendering is kept.
	metadataCacheTTL = 10 * time.Minute
)

// NewMetadataCache returns an empty cache.
func NewMetadataCache() *MetadataCache {
	return &MetadataCache{c: ttlcache.NewWeighed[metadataKey, rendered](metadataCacheTTL, maxCachedDocuments, maxMetadataCacheBytes,
		func(r rendered) int64 { return int64(len(r.body)) })}
}

// Rendered returns package p's document in variant for req: the cached
// rendering when it was made at p's current revision (p is read by the
// caller for this request), else render's, kept.
func (m *MetadataCache) Rendered(req *Request, p meta.Package, variant string, render func() ([]byte, error)) ([]byte, error) {
	k := metadataKey{repo: req.Repo.Key, repoCreated: req.Repo.CreatedAt.UnixMicro(), packageID: p.ID, base: req.Base, variant: variant}
	now := time.Now()
	if c, ok := m.c.Get(k, now); ok && c.revision == p.Revision {
		return c.body, nil
	}
	gen := m.c.Generation()
	body, err := render()
	if err != nil {
		return nil, err
	}
	if len(body) <= maxCachedDocumentBytes {
		// Rendered from reads made after the revision was read: if it
		// moved in between, the rendering is newer than the revision it is
		// kept under, and the next request renders again.
		m.c.Put(k, rendered{revision: p.Revision, body: body}, now, gen)
	}
	return body, nil
}

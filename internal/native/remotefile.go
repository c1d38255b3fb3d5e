package native

import (
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/remote"
)

// CachedFile resolves a file of remote repository req.Repo: from what it
// cached (counted as a cache hit), or, when it has not cached the file,
// after fetch has fetched and recorded it (see catalog.CacheVersion).
// Errors other than not-found (423 for a held version above all) are the
// answer: nothing is fetched past the quarantine lane.
func CachedFile(c *catalog.Service, rc *remote.Client, req *Request, name, version, file string, fetch func() error) (catalog.File, error) {
	ctx := req.Context()
	f, err := c.File(ctx, req.Caller, req.Repo.Key, name, version, file)
	if err == nil {
		rc.Hit(req.Repo)
		return f, nil
	}
	if fe := fault.As(err); fe == nil || fe.Kind != fault.KindNotFound {
		return catalog.File{}, err
	}
	if err := fetch(); err != nil {
		return catalog.File{}, err
	}
	return c.File(ctx, req.Caller, req.Repo.Key, name, version, file)
}

// Package npm serves npm repositories in the npm registry protocol, so that
// npm (and pnpm, yarn) publish and install unchanged: packuments (full and
// abbreviated), tarballs, publish, unpublish (tombstones), dist-tags,
// deprecate, search, whoami and ping. Packages,
// versions, tags and files are the catalog's; this package is a view.
package npm

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	npmformat "github.com/artifortress/artifortress/internal/format/npm"
	"github.com/artifortress/artifortress/internal/native"
	"github.com/artifortress/artifortress/internal/remote"
	"github.com/artifortress/artifortress/internal/repo"
	"github.com/artifortress/artifortress/internal/search"
	"github.com/artifortress/artifortress/internal/transfer"
)

// Handler serves npm repositories.
type Handler struct {
	catalog  *catalog.Service
	transfer *transfer.Service
	// checksums returns a blob's SHA-1 and SHA-512 (computing them when
	// the lazy checksummer has not yet).
	checksums func(ctx context.Context, d blob.Digest) (blob.Checksums, error)
	// search answers npm search (nil: not served).
	search *search.Service
	// remote fetches for remote npm repositories.
	remote *remote.Client
	// repos resolves the members of virtual repositories.
	repos *repo.Service
	// packuments keeps local packuments as rendered, per package revision.
	packuments *native.MetadataCache
}

// New returns the npm handler.
func New(c *catalog.Service, t *transfer.Service, checksums func(context.Context, blob.Digest) (blob.Checksums, error), s *search.Service, r *remote.Client, repos *repo.Service) *Handler {
	return &Handler{catalog: c, transfer: t, checksums: checksums, search: s, remote: r, repos: repos, packuments: native.NewMetadataCache()}
}

// Serve routes an npm request.
func (h *Handler) Serve(w http.ResponseWriter, req *native.Request) error {
	segs := strings.Split(req.Path, "/")
	m := req.Method
	switch {
	case req.Path == "-/ping" && (m == http.MethodGet || m == http.MethodHead):
		native.WriteJSON(w, http.StatusOK, map[string]any{})
		return nil
	case req.Path == "-/whoami" && m == http.MethodGet:
		if req.Caller == nil {
			return fault.Unauthorized("npm whoami needs a token: npm login, or _authToken in .npmrc")
		}
		native.WriteJSON(w, http.StatusOK, map[string]any{"username": req.Caller.Name()})
		return nil
	case req.Path == "-/v1/search" && m == http.MethodGet:
		return h.searchPackages(w, req)
	case len(segs) >= 3 && segs[0] == "-" && segs[1] == "package":
		return h.distTags(w, req, segs[2:])
	case strings.HasPrefix(req.Path, "-/"):
		return fault.Coded(fault.KindNotFound, "npm_endpoint_not_served", "%s /%s is not served by this registry", m, req.Path)
	}
	name, rest, err := packageName(segs)
	if err != nil {
		return err
	}
	switch req.Repo.Type {
	case repo.TypeRemote:
		return h.serveRemote(w, req, name, rest)
	case repo.TypeVirtual:
		return h.serveVirtual(w, req, name, rest)
	}
	return h.serveLocal(w, req, name, rest)
}

// serveLocal answers the package requests of a local repository.
func (h *Handler) serveLocal(w http.ResponseWriter, req *native.Request, name string, rest []string) error {
	if read, err := h.serveReads(w, req, name, rest, h.tarball); read {
		return err
	}
	m := req.Method
	switch {
	case len(rest) == 0 && m == http.MethodPut:
		return h.publish(w, req, name)
	case len(rest) == 2 && rest[0] == "-rev" && m == http.MethodPut:
		return h.unpublishVersions(w, req, name)
	case len(rest) == 2 && rest[0] == "-rev" && m == http.MethodDelete:
		return h.unpublishPackage(w, req, name)
	case len(rest) == 4 && rest[0] == "-" && rest[2] == "-rev" && m == http.MethodDelete:
		return h.deleteTarball(w, req, name, rest[1])
	}
	return fault.Coded(fault.KindMethodNotAllowed, "method_not_allowed", "%s is not allowed on /%s", m, req.Path)
}

// serveReads answers the reads every repository type serves — packuments
// and tarballs, the latter through tarball — and reports whether req was
// one (a GET or HEAD).
func (h *Handler) serveReads(w http.ResponseWriter, req *native.Request, name string, rest []string, tarball func(http.ResponseWriter, *native.Request, string, string) error) (bool, error) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return false, nil
	}
	switch {
	case len(rest) == 0:
		return true, h.packument(w, req, name)
	case len(rest) == 2 && rest[0] == "-":
		file, err := url.PathUnescape(rest[1])
		if err != nil {
			return true, fault.BadRequest("path", "invalid escape in %q", rest[1])
		}
		return true, tarball(w, req, name, file)
	}
	return true, fault.Coded(fault.KindNotFound, "npm_endpoint_not_served", "/%s is not served by this registry", req.Path)
}

// packageName reads a package name from the first path segments: "name",
// "@scope%2fname" (as npm sends it) or "@scope/name". It returns the
// segments that follow.
func packageName(segs []string) (string, []string, error) {
	first, err := url.PathUnescape(segs[0])
	if err != nil || first == "" {
		return "", nil, fault.BadRequest("name", "invalid package name in the path")
	}
	n := 1
	if strings.HasPrefix(first, "@") && !strings.Contains(first, "/") {
		if len(segs) < 2 {
			return "", nil, fault.BadRequest("name", "scoped name %q must look like @scope/name", first)
		}
		second, err := url.PathUnescape(segs[1])
		if err != nil {
			return "", nil, fault.BadRequest("name", "invalid package name in the path")
		}
		first, n = first+"/"+second, 2
	}
	if _, _, err := npmformat.ParseName(first); err != nil {
		return "", nil, fault.BadRequest("name", "%v", err)
	}
	return first, segs[n:], nil
}

// tarballName is the file name npm gives a version's tarball: the bare
// name (no scope), a dash, the version, ".tgz".
func tarballName(name, version string) string {
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	return name + "-" + version + ".tgz"
}

// tarballURL is the absolute URL of a version's tarball.
func tarballURL(base, name, version string) string {
	return base + "/" + name + "/-/" + tarballName(name, version)
}

// WriteError writes an error as npm clients show it: {"error": message}.
func (h *Handler) WriteError(w http.ResponseWriter, status int, fe *fault.Error) {
	body := map[string]any{"error": fe.Message, "code": fe.Code}
	if len(fe.Details) > 0 {
		body["details"] = fe.Details
	}
	native.WriteJSON(w, status, body)
}

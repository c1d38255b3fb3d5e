package pypi

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	pyformat "github.com/artifortress/artifortress/internal/format/pypi"
	"github.com/artifortress/artifortress/internal/native"
	"github.com/artifortress/artifortress/internal/remote"
	"github.com/artifortress/artifortress/internal/repo"
	"github.com/artifortress/artifortress/internal/transfer"
)

// Handler serves PyPI repositories at /r/{repo}/:
//
//	POST /  or  /legacy/                          twine upload (legacy API)
//	GET  /simple/                                 the project index (PEP 503/691)
//	GET  /simple/{project}/                       a project page
//	GET  /files/{project}/{version}/{filename}    a distribution file
//	GET  /files/{project}/{version}/{filename}.metadata   its core metadata (PEP 658)
type Handler struct {
	catalog  *catalog.Service
	transfer *transfer.Service
	remote   *remote.Client
	repos    native.Repos
	// pages keeps local project pages as rendered, per package revision.
	pages *native.MetadataCache
}

// New returns the PyPI handler.
func New(c *catalog.Service, t *transfer.Service, r *remote.Client, repos native.Repos) *Handler {
	return &Handler{catalog: c, transfer: t, remote: r, repos: repos, pages: native.NewMetadataCache()}
}

// Serve routes a PyPI request.
func (h *Handler) Serve(w http.ResponseWriter, req *native.Request) error {
	m := req.Method
	read := m == http.MethodGet || m == http.MethodHead
	segs := strings.Split(req.Path, "/")
	switch {
	case (req.Path == "" || req.Path == "legacy/" || req.Path == "legacy") && m == http.MethodPost:
		return h.upload(w, req)
	case segs[0] == "simple" && read:
		return h.simple(w, req, segs[1:])
	case segs[0] == "files" && len(segs) == 4 && read:
		return h.file(w, req, segs[1], segs[2], segs[3])
	case req.Path == "" && read:
		http.Redirect(w, req.Request, req.Base+"/simple/", http.StatusFound)
		return nil
	case segs[0] == "simple" || segs[0] == "files" || req.Path == "" || segs[0] == "legacy":
		return fault.Coded(fault.KindMethodNotAllowed, "method_not_allowed", "%s is not allowed on /%s", m, req.Path)
	}
	return fault.Coded(fault.KindNotFound, "pypi_endpoint_not_served", "/%s is not a PyPI endpoint: install from %s/simple/, upload to %s/", req.Path, req.Base, req.Base)
}

// simple answers the index (no segment) and project pages, redirecting
// to the canonical URL: a trailing slash, and the PEP 503 normal form of
// the name.
func (h *Handler) simple(w http.ResponseWriter, req *native.Request, rest []string) error {
	switch {
	case len(rest) == 0:
		http.Redirect(w, req.Request, req.Base+"/simple/", http.StatusMovedPermanently)
		return nil
	case len(rest) == 1 && rest[0] == "":
		return h.index(w, req)
	case len(rest) > 2 || (len(rest) == 2 && rest[1] != ""):
		return fault.Coded(fault.KindNotFound, "pypi_endpoint_not_served", "/%s is not a project page", req.Path)
	}
	raw, err := url.PathUnescape(rest[0])
	if err != nil {
		return fault.BadRequest("project", "invalid escape in %q", rest[0])
	}
	_, project, err := pyformat.ParseName(raw)
	if err != nil {
		return fault.Coded(fault.KindNotFound, "package_not_found", "%q is not a valid project name", raw)
	}
	if project != raw || len(rest) == 1 {
		target := req.Base + "/simple/" + project + "/"
		if req.URL.RawQuery != "" {
			target += "?" + req.URL.RawQuery
		}
		http.Redirect(w, req.Request, target, http.StatusMovedPermanently)
		return nil
	}
	mt, err := Negotiate(req.Header.Get("Accept"))
	if err != nil {
		return err
	}
	body, stale, err := h.page(req, project, mt)
	if err != nil {
		return err
	}
	w.Header().Set("Vary", "Accept")
	w.Header().Set("Content-Type", ContentType(mt))
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if !stale.IsZero() {
		native.MarkStale(w, stale)
	}
	if req.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return nil
}

// page renders project's page in media type mt. A local repository's page
// is rendered once per package revision (native.MetadataCache).
func (h *Handler) page(req *native.Request, project, mt string) ([]byte, time.Time, error) {
	render := func(p Project) ([]byte, error) {
		var buf bytes.Buffer
		err := WriteProject(&buf, mt, p)
		return buf.Bytes(), err
	}
	if req.Repo.Type == repo.TypeLocal {
		ref, err := h.catalog.PackageRef(req.Context(), req.Caller, req.Repo.Key, project)
		if err != nil {
			return nil, time.Time{}, err
		}
		body, err := h.pages.Rendered(req, ref, mt, func() ([]byte, error) {
			p, err := h.localProject(req, project)
			if err != nil {
				return nil, err
			}
			return render(p)
		})
		return body, time.Time{}, err
	}
	p, stale, err := h.project(req, project)
	if err != nil {
		return nil, time.Time{}, err
	}
	body, err := render(p)
	return body, stale, err
}

// project builds a project page for req's repository, by its type; stale
// is when the upstream page was fetched when a remote serves it from an
// expired cache (zero otherwise).
func (h *Handler) project(req *native.Request, project string) (Project, time.Time, error) {
	switch req.Repo.Type {
	case repo.TypeRemote:
		return h.remoteProject(req, project)
	case repo.TypeVirtual:
		return h.virtualProject(req, project)
	}
	p, err := h.localProject(req, project)
	return p, time.Time{}, err
}

// file serves a distribution file or its metadata sidecar.
func (h *Handler) file(w http.ResponseWriter, req *native.Request, escProject, escVersion, escFile string) error {
	var parts [3]string
	for i, s := range []string{escProject, escVersion, escFile} {
		u, err := url.PathUnescape(s)
		if err != nil || u == "" || strings.ContainsAny(u, "/\\") || u == "." || u == ".." {
			return fault.Coded(fault.KindBadRequest, "invalid_path", "invalid path segment %q", s)
		}
		parts[i] = u
	}
	return h.serveFile(w, req, parts[0], parts[1], parts[2])
}

// serveFile serves file of project's version from req's repository, by
// its type.
func (h *Handler) serveFile(w http.ResponseWriter, req *native.Request, project, version, file string) error {
	switch req.Repo.Type {
	case repo.TypeRemote:
		return h.remoteFile(w, req, project, version, file)
	case repo.TypeVirtual:
		members, err := native.Members(h.repos, req)
		if err != nil {
			return err
		}
		for _, m := range members {
			if err := h.serveFile(w, m, project, version, file); !native.Skippable(err) {
				return err
			}
		}
		return fault.Coded(fault.KindNotFound, "file_not_found", "no member of %q has %s", req.Repo.Key, file)
	}
	f, err := h.catalog.File(req.Context(), req.Caller, req.Repo.Key, project, version, file)
	if err != nil {
		return err
	}
	return h.send(w, req, f)
}

// send writes a stored file.
func (h *Handler) send(w http.ResponseWriter, req *native.Request, f catalog.File) error {
	ct := "application/octet-stream"
	if strings.HasSuffix(f.Entry.Path, sidecarSuffix) {
		ct = "text/plain; charset=utf-8"
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	return native.ServeFile(w, req, h.transfer.Store(), f, ct)
}

// sidecarSuffix names a wheel's core-metadata sidecar (PEP 658).
const sidecarSuffix = ".metadata"

// fileURL is where a project page links a file.
func fileURL(base, project, version, file string) string {
	return base + "/files/" + url.PathEscape(project) + "/" + url.PathEscape(version) + "/" + url.PathEscape(file)
}

// WriteError writes an error as text ("<code>: <message>"), which pip and
// twine --verbose print as they get it.
func (h *Handler) WriteError(w http.ResponseWriter, status int, fe *fault.Error) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(fe.Code + ": " + fe.Message + "\n"))
}

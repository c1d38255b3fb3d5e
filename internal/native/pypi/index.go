package pypi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/native"
	"github.com/artifortress/artifortress/internal/repo"
)

// localProject is a local repository's project page: every file of every
// offered release (published, not held), with its SHA-256, the release's
// Requires-Python, the PEP 658 sidecar's digest for wheels, and yanked
// (PEP 592) for releases with a deprecation notice, whose text is the
// reason.
func (h *Handler) localProject(req *native.Request, project string) (Project, error) {
	pd, err := h.catalog.PackageDoc(req.Context(), req.Caller, req.Repo.Key, project)
	if err != nil {
		return Project{}, err
	}
	p := Project{Name: pd.FullName}
	for _, v := range pd.Versions {
		p.Versions = append(p.Versions, v.Version)
		requires := requiresPython(v.Manifest)
		files := pd.Files[v.ID]
		sidecars := map[string]string{}
		for _, e := range files {
			if dist, ok := strings.CutSuffix(e.Path, sidecarSuffix); ok {
				sidecars[dist] = hexOf(e.Digest)
			}
		}
		reason, yanked := pd.Deprecated[v.ID]
		for _, e := range files {
			if strings.HasSuffix(e.Path, sidecarSuffix) {
				continue
			}
			f := File{Filename: e.Path, URL: fileURL(req.Base, pd.FullName, v.Version, e.Path), SHA256: hexOf(e.Digest),
				RequiresPython: requires, Yanked: yanked, YankedReason: reason, MetadataSHA256: sidecars[e.Path], Size: e.Size}
			if v.PublishedAt != nil {
				f.UploadTime = *v.PublishedAt
			}
			p.Files = append(p.Files, f)
		}
	}
	if len(p.Files) == 0 {
		return Project{}, fault.Coded(fault.KindNotFound, "package_not_found", "project %q has no published file in %q", project, req.Repo.Key)
	}
	return p, nil
}

// requiresPython reads requires_python from a release's manifest.
func requiresPython(manifest []byte) string {
	var m struct {
		RequiresPython string `json:"requires_python"`
	}
	_ = json.Unmarshal(manifest, &m)
	return m.RequiresPython
}

func hexOf(digest string) string { return strings.TrimPrefix(digest, blob.SHA256Prefix) }

// virtualProject merges the members' pages in order: the first member
// that has a file name (or a version) wins it; links point at the virtual
// repository, whose file route resolves them through the members again.
func (h *Handler) virtualProject(req *native.Request, project string) (Project, time.Time, error) {
	out := Project{Name: project}
	var stale time.Time
	seenFile, seenVersion := map[string]bool{}, map[string]bool{}
	found := false
	members, err := native.Members(h.repos, req)
	if err != nil {
		return Project{}, time.Time{}, err
	}
	for _, m := range members {
		p, s, err := h.project(m, project)
		if native.Skippable(err) {
			continue
		}
		if err != nil {
			return Project{}, time.Time{}, err
		}
		found = true
		for _, v := range p.Versions {
			if !seenVersion[v] {
				seenVersion[v] = true
				out.Versions = append(out.Versions, v)
			}
		}
		for _, f := range p.Files {
			if !seenFile[f.Filename] {
				seenFile[f.Filename] = true
				out.Files = append(out.Files, f)
			}
		}
		if !s.IsZero() && (stale.IsZero() || s.Before(stale)) {
			stale = s
		}
	}
	if !found {
		return Project{}, time.Time{}, fault.Coded(fault.KindNotFound, "package_not_found", "project %q not found in any member of %q", project, req.Repo.Key)
	}
	return out, stale, nil
}

// index answers the project index: the projects of a local repository,
// the union of a virtual repository's members. A remote repository lists
// what it has cached (the upstream's index can be huge and is not
// proxied).
func (h *Handler) index(w http.ResponseWriter, req *native.Request) error {
	mt, err := Negotiate(req.Header.Get("Accept"))
	if err != nil {
		return err
	}
	names, err := h.projectNames(req)
	if err != nil {
		return err
	}
	slices.Sort(names)
	names = slices.Compact(names)
	w.Header().Set("Vary", "Accept")
	w.Header().Set("Content-Type", ContentType(mt))
	if req.Method == http.MethodHead {
		return nil
	}
	return WriteIndex(w, mt, names)
}

// projectNames lists the projects of req's repository (for a virtual
// one, of the members the caller can read).
func (h *Handler) projectNames(req *native.Request) ([]string, error) {
	if req.Repo.Type == repo.TypeVirtual {
		var out []string
		members, err := native.Members(h.repos, req)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			names, err := h.projectNames(m)
			if err != nil {
				return nil, err
			}
			out = append(out, names...)
		}
		return out, nil
	}
	var out []string
	cursor := ""
	for {
		page, err := h.catalog.Packages(req.Context(), req.Caller, req.Repo.Key, catalog.ListOptions{Limit: 1000, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		out = append(out, page.FullNames...)
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
	}
}

package pypi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	pyformat "github.com/artifortress/artifortress/internal/format/pypi"
	"github.com/artifortress/artifortress/internal/native"
	"github.com/artifortress/artifortress/internal/remote"
)

// A remote PyPI repository is a pull-through cache of a simple index
// (upstreamUrl, what pip's --index-url would be: https://pypi.org/simple/,
// or another node's /r/{repo}/simple/). Project pages come from the
// upstream in PEP 691 JSON, cached for the repository's metadata TTL and
// revalidated, with file links pointing here; a file is fetched once,
// verified against the page's SHA-256, stored and published into the
// remote repository (policies and the quarantine lane apply), then served
// from the cache, also when the upstream is down.

// upstreamPage is the part of a PEP 691 project page a remote reads.
type upstreamPage struct {
	Versions []string       `json:"versions"`
	Files    []upstreamFile `json:"files"`
}

type upstreamFile struct {
	Filename       string            `json:"filename"`
	URL            string            `json:"url"`
	Hashes         map[string]string `json:"hashes"`
	RequiresPython string            `json:"requires-python"`
	Yanked         any               `json:"yanked"` // false, true or a reason
	Size           int64             `json:"size"`
	UploadTime     string            `json:"upload-time"`
}

// upstreamProject reads project's page from the upstream (or the cache),
// with its URL, which relative file links are resolved against.
func (h *Handler) upstreamProject(req *native.Request, project string) (upstreamPage, *url.URL, remote.Doc, error) {
	path := url.PathEscape(project) + "/"
	doc, err := h.remote.Metadata(req.Context(), req.Repo, path, MediaTypeV1JSON, "package_not_found")
	if err != nil {
		return upstreamPage{}, nil, remote.Doc{}, err
	}
	var page upstreamPage
	if err := json.Unmarshal(doc.Body, &page); err != nil {
		return upstreamPage{}, nil, remote.Doc{}, fault.Coded(fault.KindBadGateway, "upstream_invalid",
			"the upstream's page of %s is not PEP 691 JSON; a PyPI remote needs an index that answers %s", project, MediaTypeV1JSON)
	}
	pageURL, err := url.Parse(remote.URL(req.Repo, path))
	if err != nil {
		return upstreamPage{}, nil, remote.Doc{}, fault.Coded(fault.KindBadGateway, "upstream_invalid", "the upstream URL of %q is invalid", req.Repo.Key)
	}
	return page, pageURL, doc, nil
}

// remoteProject is the upstream's page with links here, without the files
// of releases this repository hides (tombstoned, held or rejected by the
// lane, refused by a policy) and without files the upstream gives no
// SHA-256 for (nothing to verify them against).
func (h *Handler) remoteProject(req *native.Request, project string) (Project, time.Time, error) {
	page, _, doc, err := h.upstreamProject(req, project)
	if err != nil {
		return Project{}, time.Time{}, err
	}
	hidden, err := h.catalog.HiddenVersions(req.Context(), req.Caller, req.Repo.Key, project)
	if err != nil {
		return Project{}, time.Time{}, err
	}
	p := Project{Name: project}
	versions := map[string]bool{}
	for _, uf := range page.Files {
		dist, err := ParseFilename(uf.Filename)
		if err != nil || dist.Check(project, dist.Version, dist.FileType) != nil || hidden[canonical(dist.Version)] || !isSHA256(uf.Hashes["sha256"]) {
			continue
		}
		f := File{Filename: uf.Filename, URL: fileURL(req.Base, project, dist.Version, uf.Filename), SHA256: uf.Hashes["sha256"],
			RequiresPython: uf.RequiresPython, Size: uf.Size}
		switch y := uf.Yanked.(type) {
		case bool:
			f.Yanked = y
		case string:
			f.Yanked, f.YankedReason = true, y
		}
		if t, err := time.Parse(time.RFC3339Nano, uf.UploadTime); err == nil {
			f.UploadTime = t
		}
		p.Files = append(p.Files, f)
		versions[dist.Version] = true
	}
	for _, v := range page.Versions {
		if !hidden[canonical(v)] {
			p.Versions = append(p.Versions, v)
		}
	}
	if page.Versions == nil {
		for v := range versions {
			p.Versions = append(p.Versions, v)
		}
	}
	var stale time.Time
	if doc.Stale {
		stale = doc.FetchedAt
	}
	return p, stale, nil
}

// canonical is a version's PEP 440 normal form, as the catalog keys it
// (an invalid version is kept as it is).
func canonical(v string) string {
	if p, err := pyformat.Parse(v); err == nil {
		return p.Canonical()
	}
	return v
}

func isSHA256(s string) bool {
	_, err := blob.ParseDigest(blob.SHA256Prefix + s)
	return err == nil
}

// remoteFile serves a file of a remote repository: from the cache, or
// fetched from the upstream first.
func (h *Handler) remoteFile(w http.ResponseWriter, req *native.Request, project, version, file string) error {
	f, err := native.CachedFile(h.catalog, h.remote, req, project, version, file, func() error { return h.cacheFile(req, project, version, file) })
	if err != nil {
		return err
	}
	return h.send(w, req, f)
}

// cacheFile fetches a file named on project's upstream page (once among
// concurrent requests), verifies it against the page's SHA-256 and records
// it in its release in the remote repository.
func (h *Handler) cacheFile(req *native.Request, project, version, file string) error {
	ctx := req.Context()
	page, pageURL, _, err := h.upstreamProject(req, project)
	if err != nil {
		return err
	}
	var uf *upstreamFile
	for i := range page.Files {
		if page.Files[i].Filename == file {
			uf = &page.Files[i]
		}
	}
	dist, perr := ParseFilename(file)
	if uf == nil || perr != nil || dist.Check(project, version, dist.FileType) != nil {
		return fault.Coded(fault.KindNotFound, "file_not_found", "%s %s has no file %q upstream", project, version, file)
	}
	sha := uf.Hashes["sha256"]
	if !isSHA256(sha) {
		return fault.Coded(fault.KindBadGateway, "upstream_invalid", "the upstream gives no SHA-256 for %s to verify it against", file)
	}
	source, err := pageURL.Parse(uf.URL)
	if err != nil {
		return fault.Coded(fault.KindBadGateway, "upstream_invalid", "the upstream's link to %s is invalid", file)
	}
	source.Fragment = ""
	var published *time.Time
	if t, err := time.Parse(time.RFC3339Nano, uf.UploadTime); err == nil {
		published = &t
	}
	manifest, _ := json.Marshal(map[string]any{"metadata_version": "2.1", "name": project, "version": version, "requires_python": uf.RequiresPython})
	return h.remote.Artifact(ctx, req.Repo, project+"/"+file, source.String(), func(body io.Reader, length int64) error {
		expect := blob.Expect{Size: -1, Digest: blob.Digest(blob.SHA256Prefix + sha)}
		if length >= 0 {
			expect.Size = length
		}
		b, err := h.transfer.CacheBlob(ctx, req.Caller, req.Repo.Key, body, expect, nil)
		if fe := fault.As(err); fe != nil && fe.Code == "upload_verification_failed" {
			return fault.Coded(fault.KindBadGateway, "upstream_invalid", "the upstream's %s does not match its SHA-256", file)
		}
		if err != nil {
			return err
		}
		_, err = h.catalog.CacheVersion(ctx, req.Caller, req.Repo.Key, catalog.CacheRequest{
			Name: project, Version: version, Manifest: manifest, UpstreamPublishedAt: published,
			Files: []catalog.CacheFile{{Path: file, Digest: b.Digest, MediaType: mediaTypeOf(dist.FileType)}},
		})
		return err
	})
}

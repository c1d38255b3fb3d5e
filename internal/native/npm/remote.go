package npm

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/native"
	"github.com/artifortress/artifortress/internal/remote"
)

// A remote npm repository is a pull-through cache of an npm registry
// (upstreamUrl). Packuments come from the upstream, cached for the
// repository's metadata TTL and revalidated, with tarball links pointing
// here; a tarball is fetched once, verified against the packument's
// integrity, stored and published into the remote repository (policies and
// the quarantine lane apply), then served from the cache — also when the
// upstream is down.

// serveRemote answers the package requests of a remote repository.
func (h *Handler) serveRemote(w http.ResponseWriter, req *native.Request, name string, rest []string) error {
	if read, err := h.serveReads(w, req, name, rest, h.remoteTarball); read {
		return err
	}
	return fault.Coded(fault.KindMethodNotAllowed, "repository_not_local",
		"repository %q is a cache of %s; publish and change packages in a local repository", req.Repo.Key, req.Repo.UpstreamURL)
}

// upstreamDoc is the part of an upstream packument a tarball fetch reads.
type upstreamDoc struct {
	Versions map[string]json.RawMessage `json:"versions"`
	Time     map[string]string          `json:"time"`
}

// fetchPackument reads a package's packument from the upstream (or the
// cache).
func (h *Handler) fetchPackument(req *native.Request, name string) (remote.Doc, error) {
	return h.remote.Metadata(req.Context(), req.Repo, escapeName(name), "application/json", "package_not_found")
}

// remotePackumentDoc is the upstream's packument with tarball links to
// req.Base, without the versions this repository hides (tombstoned, held
// or rejected by the lane, refused by a policy).
func (h *Handler) remotePackumentDoc(req *native.Request, name string) (packumentDoc, error) {
	doc, err := h.fetchPackument(req, name)
	if err != nil {
		return packumentDoc{}, err
	}
	var pk map[string]any
	if err := json.Unmarshal(doc.Body, &pk); err != nil {
		return packumentDoc{}, fault.Coded(fault.KindBadGateway, "upstream_invalid", "the upstream's packument of %s is not JSON", name)
	}
	hidden, err := h.catalog.HiddenVersions(req.Context(), req.Caller, req.Repo.Key, name)
	if err != nil {
		return packumentDoc{}, err
	}
	versions, _ := pk["versions"].(map[string]any)
	times, _ := pk["time"].(map[string]any)
	for v, raw := range versions {
		if hidden[v] {
			delete(versions, v)
			delete(times, v)
			continue
		}
		if vd, ok := raw.(map[string]any); ok {
			if dist, ok := vd["dist"].(map[string]any); ok {
				dist["tarball"] = tarballURL(req.Base, name, v)
			}
		}
	}
	if tags, ok := pk["dist-tags"].(map[string]any); ok {
		for tag, v := range tags {
			if s, _ := v.(string); hidden[s] {
				delete(tags, tag)
			}
		}
	}
	out := packumentDoc{body: pk}
	if doc.Stale {
		out.stale = doc.FetchedAt
	}
	return out, nil
}

// remoteTarball answers GET {pkg}/-/{file}: from the cache, or fetched
// from the upstream first.
func (h *Handler) remoteTarball(w http.ResponseWriter, req *native.Request, name, file string) error {
	version, err := tarballVersion(name, file)
	if err != nil {
		return err
	}
	f, err := native.CachedFile(h.catalog, h.remote, req, name, version, file, func() error { return h.cacheTarball(req, name, version) })
	if err != nil {
		return err
	}
	return h.serveFile(w, req, f)
}

// cacheTarball fetches name@version's tarball from the upstream (once
// among concurrent requests), verifies it against the packument's
// integrity and records the version in the remote repository.
func (h *Handler) cacheTarball(req *native.Request, name, version string) error {
	ctx := req.Context()
	doc, err := h.fetchPackument(req, name)
	if err != nil {
		return err
	}
	var up upstreamDoc
	if err := json.Unmarshal(doc.Body, &up); err != nil {
		return fault.Coded(fault.KindBadGateway, "upstream_invalid", "the upstream's packument of %s is not JSON", name)
	}
	raw, ok := up.Versions[version]
	if !ok {
		return fault.Coded(fault.KindNotFound, "version_not_found", "%s has no version %q upstream", name, version)
	}
	var manifest map[string]any
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return fault.Coded(fault.KindBadGateway, "upstream_invalid", "the upstream's %s@%s is not a JSON object", name, version)
	}
	dist, _ := manifest["dist"].(map[string]any)
	source, _ := dist["tarball"].(string)
	if _, err := integrityCheck(manifest); err != nil {
		return fault.Coded(fault.KindBadGateway, "upstream_invalid", "the upstream's %s@%s has no usable checksum to verify its tarball against", name, version)
	}
	var published *time.Time
	if t, err := time.Parse(time.RFC3339Nano, up.Time[version]); err == nil {
		published = &t
	}
	return h.remote.Artifact(ctx, req.Repo, name+"@"+version, source, func(body io.Reader, length int64) error {
		verify, _ := integrityCheck(manifest)
		expect := blob.Expect{Size: -1}
		if length >= 0 {
			expect.Size = length
		}
		b, err := h.transfer.CacheBlob(ctx, req.Caller, req.Repo.Key, io.TeeReader(body, verify), expect, func(blob.Sums) error { return verify.check() })
		if fe := fault.As(err); fe != nil && fe.Code == "upload_verification_failed" {
			return fault.Coded(fault.KindBadGateway, "upstream_invalid", "the upstream's tarball of %s@%s does not match its %s", name, version, verify.field)
		}
		if err != nil {
			return err
		}
		_, err = h.catalog.CacheVersion(ctx, req.Caller, req.Repo.Key, catalog.CacheRequest{
			Name: name, Version: version, Manifest: raw, UpstreamPublishedAt: published,
			Files: []catalog.CacheFile{{Path: tarballName(name, version), Digest: b.Digest, MediaType: "application/gzip"}},
		})
		return err
	})
}

// escapeName writes a package name as npm sends it in a registry URL:
// "@scope%2fname" for a scoped one.
func escapeName(name string) string {
	if scope, bare, ok := strings.Cut(name, "/"); ok {
		return url.PathEscape(scope) + "%2f" + url.PathEscape(bare)
	}
	return url.PathEscape(name)
}

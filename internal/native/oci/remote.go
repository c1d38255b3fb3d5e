package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	ociformat "github.com/artifortress/artifortress/internal/format/oci"
	"github.com/artifortress/artifortress/internal/netguard"
	"github.com/artifortress/artifortress/internal/remote"
	"github.com/artifortress/artifortress/internal/repo"
)

// A remote oci repository is a pull-through cache of another registry
// (ADR 0010 §5). Its upstreamUrl is the registry's base; a path in it
// prefixes names ("http://host:5000/mirror" serves "{repo}/app" from
// "mirror/app"), and a one-component name on Docker Hub gets "library/".
// Every upstream request goes through remote.Registry: the SSRF guard,
// the upstream's auth challenges (Basic, Bearer tokens), metrics.
//
//   - A tag is resolved to a digest by a HEAD upstream, remembered for the
//     repository's metadata TTL; when the upstream is down the last digest
//     known is used, with a Warning 299.
//   - A manifest is fetched by digest once, verified, stored as a blob and
//     recorded as a version through catalog.CacheVersion (policies,
//     quarantine, audit, events), then served from the cache forever.
//   - A blob is served only when a cached manifest of the image that may
//     be pulled refers to it (remote_blobs.go); a miss is fetched once and
//     streamed to the client while the store keeps it.
//   - Tags and referrers are the upstream's, kept for the TTL.
//   - Writes are refused: 405 UNSUPPORTED.

// manifestAccept is the Accept of manifest requests upstream: every
// manifest type the registry stores.
var manifestAccept = strings.Join([]string{
	ociformat.MediaTypeImageManifest, ociformat.MediaTypeImageIndex,
	ociformat.MediaTypeDockerManifest, ociformat.MediaTypeDockerManifestList,
}, ", ")

// serveRemote answers a request on a remote repository, a pull-through
// cache of another registry (ADR 0010 §5).
func (h *Handler) serveRemote(w http.ResponseWriter, req *request) error {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return fault.Coded(fault.KindMethodNotAllowed, codeUnsupported,
			"repository %q is a remote repository, a read-only cache of %s: push to a local repository", req.Repo.Key, req.Repo.UpstreamURL)
	}
	up, err := upstreamOf(req.Repo, req.Image)
	if err != nil {
		return err
	}
	switch req.Kind {
	case kindManifest:
		return h.remoteManifest(w, req, up)
	case kindBlob:
		return h.remoteBlob(w, req, up)
	case kindTags:
		return h.remoteTags(w, req, up)
	case kindReferrers:
		return h.remoteReferrers(w, req, up)
	}
	return fault.Coded(fault.KindMethodNotAllowed, codeUnsupported,
		"repository %q is a remote repository, a read-only cache of %s: it takes no uploads", req.Repo.Key, req.Repo.UpstreamURL)
}

// upstream is where an image of a remote repository lives upstream.
type upstream struct {
	base string // "https://registry-1.docker.io/v2/library/alpine/"
	name string // "library/alpine"
}

// dockerHub names the hosts of Docker Hub's registry; registry-1 is the
// one that serves the API.
var dockerHub = map[string]bool{"docker.io": true, "index.docker.io": true, "registry-1.docker.io": true, "registry.hub.docker.com": true}

// upstreamOf maps image of remote repository r to its upstream: the path
// of r's upstreamUrl (without a trailing "/v2") prefixes the name, and
// Docker Hub's one-component names are in "library/".
func upstreamOf(r repo.Repo, image string) (upstream, error) {
	u, err := url.Parse(r.UpstreamURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return upstream{}, fault.Coded(fault.KindBadGateway, "upstream_invalid",
			"the upstreamUrl of repository %q is not a registry's http(s) base URL (such as https://registry-1.docker.io)", r.Key)
	}
	prefix := strings.Trim(u.Path, "/")
	if prefix == "v2" || strings.HasPrefix(prefix, "v2/") {
		prefix = strings.TrimPrefix(prefix[2:], "/")
	}
	name, host := image, u.Host
	if prefix != "" {
		name = prefix + "/" + image
	}
	if dockerHub[strings.ToLower(u.Hostname())] {
		host = "registry-1.docker.io"
		if !strings.Contains(name, "/") {
			name = "library/" + name
		}
	}
	if err := ociformat.ValidateRepository(name); err != nil {
		return upstream{}, fault.Coded(fault.KindBadGateway, "upstream_invalid",
			"the upstream name of %s is not valid (check the path of repository %q's upstreamUrl): %v", image, r.Key, err)
	}
	return upstream{base: u.Scheme + "://" + host + "/v2/" + name + "/", name: name}, nil
}

func (u upstream) url(path string) string { return u.base + path }

// scope is the token scope every request of this cache needs upstream.
func (u upstream) scope() string { return "repository:" + u.name + ":pull" }

// request is a GET upstream below the image, which the caller may find
// absent with notFound.
func (u upstream) request(path, accept, notFound string) remote.RegistryRequest {
	return remote.RegistryRequest{Method: http.MethodGet, URL: u.url(path), Accept: accept, Scope: u.scope(), NotFound: notFound}
}

// remoteManifest answers GET and HEAD /v2/<name>/manifests/<ref> of a
// remote repository. A tag is resolved upstream (or from what the TTL
// keeps, or, upstream down, from the last answer, with a Warning); the
// manifest is then served from the cache, fetched into it first when it
// is not there. A HEAD by tag of a manifest not cached yet is answered
// from the upstream's HEAD, without fetching it.
func (h *Handler) remoteManifest(w http.ResponseWriter, req *request, up upstream) error {
	digest := req.Ref
	if !isDigest(digest) {
		if !catalog.ValidTag(digest) {
			return fault.Coded(fault.KindBadRequest, codeManifestInvalid, "%q is neither a tag nor a digest", abbreviate(digest))
		}
		t, doc, err := h.remoteTag(req, up)
		if err != nil {
			return err
		}
		if doc.Stale {
			warnStale(w, req, doc.FetchedAt)
		}
		digest = t.Digest
		if req.Method == http.MethodHead {
			if _, err := h.resolve(req, digest); isNotFound(err) {
				return headFromUpstream(w, t)
			}
		}
	} else if _, _, err := ociformat.ParseDigest(digest); err != nil {
		return fault.Coded(fault.KindBadRequest, codeDigestInvalid, "%v", err)
	}
	if err := h.cacheManifest(req, up, digest); err != nil {
		return err
	}
	byDigest := *req
	byDigest.Ref = digest
	return h.getManifest(w, &byDigest)
}

// tagDoc is what the remote metadata table keeps of a tag: what the
// upstream's HEAD said.
type tagDoc struct {
	Digest    string `json:"digest"`
	MediaType string `json:"mediaType,omitempty"`
	Size      int64  `json:"size"`
}

// remoteTag resolves req's tag upstream, through the metadata cache.
func (h *Handler) remoteTag(req *request, up upstream) (tagDoc, remote.Doc, error) {
	rr := up.request("manifests/"+req.Ref, manifestAccept, codeManifestUnknown)
	doc, err := h.upstream.Metadata(req.Context(), req.Repo, rr.URL, func(ctx context.Context) ([]byte, error) {
		t, err := h.headTag(ctx, req.Repo, rr)
		if err != nil {
			return nil, err
		}
		return json.Marshal(t)
	})
	if err != nil {
		return tagDoc{}, remote.Doc{}, err
	}
	var t tagDoc
	if err := json.Unmarshal(doc.Body, &t); err != nil {
		return tagDoc{}, remote.Doc{}, err // only this file writes it
	}
	return t, doc, nil
}

// headTag asks the upstream which manifest a tag names: a HEAD, whose
// Docker-Content-Digest says; an upstream that leaves it out (the spec
// says SHOULD) is asked for the manifest itself, which is hashed.
func (h *Handler) headTag(ctx context.Context, r repo.Repo, rr remote.RegistryRequest) (tagDoc, error) {
	reg := h.upstream
	rr.Method = http.MethodHead
	resp, err := reg.Do(ctx, r, rr)
	if err != nil {
		return tagDoc{}, err
	}
	resp.Body.Close()
	t := tagDoc{Digest: resp.Header.Get("Docker-Content-Digest"), MediaType: mediaTypeOf(resp.Header.Get("Content-Type")), Size: resp.ContentLength}
	if _, _, err := ociformat.ParseDigest(t.Digest); err == nil {
		return t, nil
	}
	rr.Method = http.MethodGet
	if resp, err = reg.Do(ctx, r, rr); err != nil {
		return tagDoc{}, err
	}
	defer resp.Body.Close()
	body, err := readManifest(r, resp)
	if err != nil {
		return tagDoc{}, err
	}
	return tagDoc{Digest: ociformat.DigestOf("sha256:", body), MediaType: mediaTypeOf(resp.Header.Get("Content-Type")), Size: int64(len(body))}, nil
}

// headFromUpstream answers a HEAD by tag from the upstream's HEAD.
func headFromUpstream(w http.ResponseWriter, t tagDoc) error {
	hd := w.Header()
	if t.MediaType != "" {
		hd.Set("Content-Type", t.MediaType)
	}
	hd.Set("Docker-Content-Digest", t.Digest)
	hd.Set("ETag", `"`+t.Digest+`"`)
	if t.Size >= 0 {
		hd.Set("Content-Length", strconv.FormatInt(t.Size, 10))
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// cacheManifest makes sure manifest digest of req's image is cached: a
// miss is fetched from the upstream (once among concurrent requests),
// verified against the digest, stored as a blob and recorded as a
// version, entry "manifest" as a push has it, through CacheVersion, so
// that policies and the quarantine lane apply. Its layers are not
// fetched: each is when a client asks. An error is the answer (423 for a
// held version: nothing is fetched past the lane).
func (h *Handler) cacheManifest(req *request, up upstream, digest string) error {
	_, err := h.resolve(req, digest)
	if !isNotFound(err) {
		if err == nil {
			h.remote.Hit(req.Repo)
		}
		return err
	}
	// Completed if the client leaves: others may be waiting for it.
	ctx := context.WithoutCancel(req.Context())
	rr := up.request("manifests/"+digest, manifestAccept, codeManifestUnknown)
	return h.upstream.Fetch(ctx, req.Repo, "manifest\x00"+req.Image+"\x00"+digest, rr, func(resp *http.Response) error {
		body, err := readManifest(req.Repo, resp)
		if err != nil {
			return err
		}
		if got := ociformat.DigestOf(digest, body); got != digest {
			return fault.Coded(fault.KindBadGateway, "upstream_invalid", "the upstream of repository %q sent a manifest whose digest is %s, not %s; nothing was kept", req.Repo.Key, got, digest)
		}
		if !utf8.Valid(body) {
			return fault.Coded(fault.KindBadGateway, "upstream_invalid", "the upstream's manifest %s is not UTF-8 JSON", digest)
		}
		d, err := ociformat.Describe(body)
		if err != nil {
			return fault.Coded(fault.KindBadGateway, "upstream_invalid", "the upstream's manifest %s is not one this registry serves: %v", digest, err)
		}
		stored, err := h.transfer.CacheBlob(ctx, req.Caller, req.Repo.Key, bytes.NewReader(body),
			blob.Expect{Size: int64(len(body)), Digest: blob.Digest(ociformat.DigestOf("sha256:", body))}, nil)
		if err != nil {
			return err
		}
		// Known to the blob gate even if the lane holds it: its layers
		// then answer 423, not 404.
		h.blobs.image(req).add(digest, stored.Digest, d)
		_, err = h.catalog.CacheVersion(ctx, req.Caller, req.Repo.Key, catalog.CacheRequest{
			Name: req.Image, Version: digest, Manifest: body,
			Files: []catalog.CacheFile{{Path: manifestEntry, Digest: stored.Digest, MediaType: d.MediaType}},
		})
		return err
	})
}

// readManifest reads a manifest from an upstream answer, at most
// MaxManifestBytes of it.
func readManifest(r repo.Repo, resp *http.Response) ([]byte, error) {
	body, err := netguard.ReadAll(resp.Body, MaxManifestBytes)
	if errors.Is(err, netguard.ErrTooLarge) {
		return nil, fault.Coded(fault.KindBadGateway, "upstream_invalid", "the upstream of repository %q sent a manifest larger than %d bytes", r.Key, MaxManifestBytes)
	}
	if err != nil {
		return nil, &fault.Error{Kind: fault.KindBadGateway, Code: "upstream_unavailable",
			Message: fmt.Sprintf("reading a manifest from the upstream of repository %q failed", r.Key), Err: err}
	}
	return body, nil
}

// warnStale marks an answer made from what the cache kept because the
// upstream could not be asked: the spec's Warning 299, and the time it
// was fetched in X-Artifortress-Stale as the other formats do.
func warnStale(w http.ResponseWriter, req *request, fetchedAt time.Time) {
	at := fetchedAt.UTC().Format(time.RFC3339)
	msg := fmt.Sprintf("the upstream of repository %s cannot be reached; served from the cache as of %s", req.Repo.Key, at)
	w.Header().Set("Warning", fmt.Sprintf("299 - %q", msg))
	w.Header().Set("X-Artifortress-Stale", at)
}

// mediaTypeOf is a Content-Type without its parameters.
func mediaTypeOf(contentType string) string {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.TrimSpace(mt)
}

func isNotFound(err error) bool {
	fe := fault.As(err)
	return fe != nil && fe.Kind == fault.KindNotFound
}

package oci

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/artifortress/artifortress/internal/fault"
	ociformat "github.com/artifortress/artifortress/internal/format/oci"
	"github.com/artifortress/artifortress/internal/netguard"
	"github.com/artifortress/artifortress/internal/remote"
)

// maxUpstreamTagPages bounds the pages of an upstream's tag list read in
// one refresh.
const maxUpstreamTagPages = 20

// remoteTags answers GET /v2/<name>/tags/list[?n=&last=] of a remote
// repository: the upstream's tags, kept for the metadata TTL (served
// stale, with a Warning, when the upstream is down), paged here as a
// local repository pages its own.
func (h *Handler) remoteTags(w http.ResponseWriter, req *request, up upstream) error {
	rr := up.request("tags/list", "application/json", codeNameUnknown)
	doc, err := h.upstream.Metadata(req.Context(), req.Repo, rr.URL, func(ctx context.Context) ([]byte, error) {
		return h.fetchTags(ctx, req, rr)
	})
	if err != nil {
		return err
	}
	var list tagList
	if err := json.Unmarshal(doc.Body, &list); err != nil {
		return err // only fetchTags writes it
	}
	tags, err := h.pullableTags(req, up, list.Tags)
	if err != nil {
		return err
	}
	if doc.Stale {
		warnStale(w, req, doc.FetchedAt)
	}
	return writeTags(w, req, tags)
}

// pullableTags leaves out of tags those that name, as this cache last
// resolved them, a manifest the repository hides (held or rejected by the
// quarantine lane, deleted, refused by a policy), as a local repository
// leaves them out. The upstream is not asked: a tag never resolved here
// is listed. One lookup per tag, and only when the image hides something.
func (h *Handler) pullableTags(req *request, up upstream, tags []string) ([]string, error) {
	ctx := req.Context()
	hidden, err := h.catalog.HiddenVersions(ctx, req.Caller, req.Repo.Key, req.Image)
	if err != nil || len(hidden) == 0 {
		return tags, err
	}
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		doc, ok, err := h.upstream.Cached(ctx, req.Repo, up.url("manifests/"+t))
		if err != nil {
			return nil, err
		}
		var td tagDoc
		if ok && json.Unmarshal(doc.Body, &td) == nil && hidden[td.Digest] {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// fetchTags reads the upstream's whole tag list, following its Link
// pages on its own host, and keeps the tags.
func (h *Handler) fetchTags(ctx context.Context, req *request, rr remote.RegistryRequest) ([]byte, error) {
	var tags []string
	for page := 0; rr.URL != "" && page < maxUpstreamTagPages; page++ {
		resp, err := h.upstream.Do(ctx, req.Repo, rr)
		if err != nil {
			return nil, err
		}
		var list tagList
		body, err := netguard.ReadAll(resp.Body, remote.MaxMetadataBytes)
		resp.Body.Close()
		if err == nil {
			err = json.Unmarshal(body, &list)
		}
		if err != nil {
			return nil, upstreamInvalid(req, "tag list", err)
		}
		tags = append(tags, list.Tags...)
		rr.URL = nextPage(rr.URL, resp.Header.Get("Link"))
	}
	return json.Marshal(tagList{Tags: tags})
}

// nextPage is the rel="next" target of a Link header, resolved against
// the current page, when it stays on the current page's scheme and host.
func nextPage(current, link string) string {
	for part := range strings.SplitSeq(link, ",") {
		target, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		if !ok || !strings.Contains(strings.ReplaceAll(params, " ", ""), `rel="next"`) {
			continue
		}
		base, err1 := url.Parse(current)
		next, err2 := url.Parse(strings.Trim(strings.TrimSpace(target), "<>"))
		if err1 != nil || err2 != nil {
			return ""
		}
		next = base.ResolveReference(next)
		if next.Scheme != base.Scheme || next.Host != base.Host {
			return ""
		}
		return next.String()
	}
	return ""
}

// remoteReferrers answers GET /v2/<name>/referrers/<digest>[?artifactType=]
// of a remote repository: the upstream's referrers, kept for the TTL.
// An upstream without the referrers API (Distribution, Docker Hub) is
// asked for the spec's fallback tag "<alg>-<hex>", and without that the
// answer is an empty index. Manifests this repository hides (held,
// rejected, deleted) are left out; artifactType filters here.
func (h *Handler) remoteReferrers(w http.ResponseWriter, req *request, up upstream) error {
	alg, hex, err := ociformat.ParseDigest(req.Ref)
	if err != nil {
		return fault.Coded(fault.KindBadRequest, codeDigestInvalid, "%v", err)
	}
	rr := up.request("referrers/"+req.Ref, ociformat.MediaTypeImageIndex, codeManifestUnknown)
	doc, err := h.upstream.Metadata(req.Context(), req.Repo, rr.URL, func(ctx context.Context) ([]byte, error) {
		body, err := h.fetchIndex(ctx, req, rr)
		if !isNotFound(err) {
			return body, err
		}
		fallback := alg + "-" + hex
		body, err = h.fetchIndex(ctx, req, up.request("manifests/"+fallback[:min(len(fallback), 128)], ociformat.MediaTypeImageIndex, codeManifestUnknown))
		if isNotFound(err) {
			return []byte(`{"manifests":[]}`), nil
		}
		return body, err
	})
	if err != nil {
		return err
	}
	var idx referrerIndex
	if err := json.Unmarshal(doc.Body, &idx); err != nil {
		return upstreamInvalid(req, "referrers index", err)
	}
	hidden, err := h.catalog.HiddenVersions(req.Context(), req.Caller, req.Repo.Key, req.Image)
	if err != nil {
		return err
	}
	artifactType := req.URL.Query().Get("artifactType")
	manifests := make([]ociformat.Descriptor, 0, len(idx.Manifests))
	for _, m := range idx.Manifests {
		if !hidden[m.Digest] && (artifactType == "" || m.ArtifactType == artifactType) {
			manifests = append(manifests, m)
		}
	}
	if doc.Stale {
		warnStale(w, req, doc.FetchedAt)
	}
	return writeReferrers(w, req, manifests)
}

// fetchIndex reads an image index from the upstream.
func (h *Handler) fetchIndex(ctx context.Context, req *request, rr remote.RegistryRequest) ([]byte, error) {
	resp, err := h.upstream.Do(ctx, req.Repo, rr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := readManifest(req.Repo, resp)
	if err != nil {
		return nil, err
	}
	if !json.Valid(body) {
		return nil, upstreamInvalid(req, "image index", errors.New("not JSON"))
	}
	return body, nil
}

// upstreamInvalid is a 502 for an upstream answer that is not what the
// API promises.
func upstreamInvalid(req *request, what string, err error) error {
	return &fault.Error{Kind: fault.KindBadGateway, Code: "upstream_invalid",
		Message: "the upstream of repository " + strconv.Quote(req.Repo.Key) + " sent an invalid " + what, Err: err}
}

package oci

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	ociformat "github.com/artifortress/artifortress/internal/format/oci"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/transfer"
)

// MaxManifestBytes bounds a pushed manifest (the spec asks registries to
// take at least 4 MB).
const MaxManifestBytes = 4 << 20

// manifestEntry is the path of the entry holding a manifest's own bytes.
const manifestEntry = "manifest"

// isDigest reports whether a manifest reference is a digest, not a tag.
func isDigest(ref string) bool { return strings.Contains(ref, ":") }

// getManifest answers GET and HEAD /v2/<name>/manifests/<tag|digest>: the
// manifest's exact bytes as pushed, from the version's row.
func (h *Handler) getManifest(w http.ResponseWriter, req *request) error {
	v, err := h.resolve(req, req.Ref)
	if err != nil {
		return err
	}
	body := []byte(v.Row.Manifest)
	hd := w.Header()
	hd.Set("Content-Type", manifestMediaType(v))
	hd.Set("Docker-Content-Digest", v.Row.Version)
	hd.Set("ETag", `"`+v.Row.Version+`"`)
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if req.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
	return nil
}

// resolve finds the published manifest a tag or digest names.
func (h *Handler) resolve(req *request, ref string) (catalog.Version, error) {
	ctx := req.Context()
	version := ref
	if !isDigest(ref) {
		if !catalog.ValidTag(ref) {
			// No such tag can exist: not found, as Distribution answers.
			return catalog.Version{}, fault.Coded(fault.KindNotFound, codeManifestUnknown, "%q is neither a tag nor a digest", abbreviate(ref))
		}
		t, err := h.catalog.Tag(ctx, req.Caller, req.Repo.Key, req.Image, ref)
		if err != nil {
			return catalog.Version{}, unknownManifest(err, req, ref)
		}
		version = t.Version
	} else if _, _, err := ociformat.ParseDigest(ref); err != nil {
		return catalog.Version{}, fault.Coded(fault.KindBadRequest, codeDigestInvalid, "%v", err)
	}
	v, err := h.catalog.Get(ctx, req.Caller, req.Repo.Key, req.Image, version)
	if err != nil {
		return catalog.Version{}, unknownManifest(err, req, ref)
	}
	if v.Row.State != meta.VersionPublished || v.Row.Manifest == nil {
		return catalog.Version{}, fault.Coded(fault.KindNotFound, codeManifestUnknown, "%s has no manifest %s", req.Name, abbreviate(ref))
	}
	return v, nil
}

// unknownManifest answers a missing image or version as MANIFEST_UNKNOWN
// (the image exists as soon as anything is pushed to it; clients treat
// both the same).
func unknownManifest(err error, req *request, ref string) error {
	if fe := fault.As(err); fe != nil && fe.Kind == fault.KindNotFound {
		return fault.Coded(fault.KindNotFound, codeManifestUnknown, "%s has no manifest %s", req.Name, abbreviate(ref))
	}
	return err
}

// manifestMediaType is the Content-Type a manifest is served with: the
// media type it was pushed as.
func manifestMediaType(v catalog.Version) string {
	for _, e := range v.Entries {
		if e.Path == manifestEntry && e.MediaType != "" {
			return e.MediaType
		}
	}
	return ociformat.MediaTypeImageManifest
}

// putManifest answers PUT /v2/<name>/manifests/<tag|digest>[?tag=…]: the
// manifest is validated, its blobs (and an index's child manifests) must
// be in the repository, its bytes are stored as a blob and the version
// (named by its digest) is created and published in one step through the
// catalog (policies, quarantine, audit, events), then the tags are moved.
func (h *Handler) putManifest(w http.ResponseWriter, req *request) error {
	ctx := req.Context()
	tags := req.URL.Query()["tag"]
	if !isDigest(req.Ref) {
		tags = append([]string{req.Ref}, tags...)
	}
	for _, t := range tags {
		if !catalog.ValidTag(t) {
			return fault.Coded(fault.KindBadRequest, codeManifestInvalid, "invalid tag %q: want 1-128 characters of [A-Za-z0-9._-], not starting with . or -", abbreviate(t))
		}
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, MaxManifestBytes+1))
	if err != nil {
		return err
	}
	if len(body) > MaxManifestBytes {
		return fault.Coded(fault.KindTooLarge, codeSizeInvalid, "the manifest is larger than %d bytes", MaxManifestBytes)
	}
	digest := ociformat.DigestOf("sha256:", body)
	if isDigest(req.Ref) {
		if _, _, err := ociformat.ParseDigest(req.Ref); err != nil {
			return fault.Coded(fault.KindBadRequest, codeDigestInvalid, "%v", err)
		}
		if digest = ociformat.DigestOf(req.Ref, body); digest != req.Ref {
			return fault.Coded(fault.KindBadRequest, codeDigestInvalid, "the manifest's digest is %s, not %s", digest, req.Ref)
		}
	}
	if err := h.checkImmutable(req, tags, digest); err != nil {
		return err
	}
	if !utf8.Valid(body) {
		return fault.Coded(fault.KindBadRequest, codeManifestInvalid, "the manifest is not UTF-8 JSON")
	}
	d, err := ociformat.Describe(body)
	if err != nil {
		return fault.Coded(fault.KindBadRequest, codeManifestInvalid, "%v", err)
	}
	mediaType := d.MediaType
	files, err := h.manifestFiles(req, d)
	if err != nil {
		return err
	}
	// The manifest's own bytes are a blob (GET /v2/<name>/blobs/<digest>
	// serves them too), linked in the transaction that publishes the
	// version and moves the tags: a push is one commit.
	stored, err := h.transfer.StageBlob(ctx, req.Caller, req.Repo.Key, bytes.NewReader(body), blob.Expect{Size: int64(len(body)), Digest: blob.Digest(ociformat.DigestOf("sha256:", body))}, nil)
	if err != nil {
		return err
	}
	files = append(files, catalog.EntryRequest{Path: manifestEntry, Digest: stored.Digest, MediaType: mediaType})
	var refs []catalog.RefRequest
	if d.Subject != nil {
		refs = append(refs, catalog.RefRequest{Kind: meta.RefSubject, Digest: d.Subject.Digest, ArtifactType: d.ArtifactType})
	}
	upload := catalog.FileUpload{Name: req.Image, Version: digest, Manifest: body, Files: files, Refs: refs, Tags: tags, Blobs: []catalog.BlobLinker{stored}}
	res, err := h.catalog.UploadFile(ctx, req.Caller, req.Repo.Key, upload)
	if fe := fault.As(err); fe != nil && fe.Code == "version_tombstoned" {
		res.PublishResult, err = h.revive(req, stored, digest, tags)
	}
	if err != nil {
		return err
	}
	hd := w.Header()
	for _, t := range tags {
		hd.Add("OCI-Tag", t)
	}
	if q := res.Quarantine; q != nil {
		hd.Set("Warning", fmt.Sprintf(`299 - %q`, "held in quarantine ("+q.ID+"): "+q.Reason))
	}
	if d.Subject != nil {
		hd.Set("OCI-Subject", d.Subject.Digest)
	}
	hd.Set("Location", Prefix+req.Name+"/manifests/"+digest)
	hd.Set("Docker-Content-Digest", digest)
	w.WriteHeader(http.StatusCreated)
	return nil
}

// manifestFiles are the entries a manifest's version holds besides the
// manifest: its config and layers, or an index's child manifests, each of
// which must be in the repository already (MANIFEST_BLOB_UNKNOWN
// otherwise). Foreign layers and descriptors carrying their data need no
// blob.
func (h *Handler) manifestFiles(req *request, d ociformat.Described) ([]catalog.EntryRequest, error) {
	var files []catalog.EntryRequest
	add := func(path string, desc ociformat.Descriptor) error {
		if desc.NeedsNoBlob() {
			return nil
		}
		digest, err := h.storedDigest(req, desc.Digest)
		if err == nil {
			_, err = h.transfer.Lookup(req.Context(), req.Caller, req.Repo.Key, digest)
		}
		if fe := fault.As(err); fe != nil && fe.Kind == fault.KindNotFound {
			return fault.Coded(fault.KindBadRequest, codeManifestBlobUnknown, "blob %s (%s) is not in repository %q; push it first", desc.Digest, path, req.Repo.Key).With("digest", desc.Digest)
		}
		if err != nil {
			return err
		}
		files = append(files, catalog.EntryRequest{Path: path, Digest: digest, MediaType: desc.MediaType})
		return nil
	}
	if d.Config != nil {
		if err := add("config", *d.Config); err != nil {
			return nil, err
		}
	}
	for i, l := range d.Layers {
		if err := add(fmt.Sprintf("layers/%03d", i), l); err != nil {
			return nil, err
		}
	}
	for i, m := range d.Manifests {
		child, err := h.catalog.Get(req.Context(), req.Caller, req.Repo.Key, req.Image, m.Digest)
		if err == nil && child.Row.State != meta.VersionPublished {
			err = fault.NotFound("not published")
		}
		if fe := fault.As(err); fe != nil && fe.Kind == fault.KindNotFound {
			return nil, fault.Coded(fault.KindBadRequest, codeManifestBlobUnknown, "manifest %s is not in %s; push it before the index", m.Digest, req.Name).With("digest", m.Digest)
		}
		if err != nil {
			return nil, err
		}
		for _, e := range child.Entries {
			if e.Path == manifestEntry {
				files = append(files, catalog.EntryRequest{Path: fmt.Sprintf("manifests/%03d", i), Digest: e.Digest, MediaType: m.MediaType})
			}
		}
	}
	return files, nil
}

// checkImmutable refuses, before anything is stored, a push that would
// move an immutable tag (the catalog refuses it too, but after the
// manifest would have been published untagged).
func (h *Handler) checkImmutable(req *request, tags []string, digest string) error {
	if !req.Repo.Settings.ImmutableTags {
		return nil
	}
	for _, t := range tags {
		old, err := h.catalog.Tag(req.Context(), req.Caller, req.Repo.Key, req.Image, t)
		if err == nil && old.Version != digest {
			return fault.Coded(fault.KindForbidden, "tag_immutable", "tags of repository %q are immutable: %s:%s stays on %s; push under a new tag", req.Repo.Key, req.Image, t, old.Version)
		}
	}
	return nil
}

// revive answers a push of a manifest that was deleted: the push restores
// it (catalog.Restore: audited, announced), with the manifest's bytes
// linked again and the push's tags, for a caller who may delete manifests,
// i.e. who could have deleted it; others get 409.
func (h *Handler) revive(req *request, stored transfer.StagedBlob, digest string, tags []string) (catalog.PublishResult, error) {
	ctx := req.Context()
	if !req.Caller.Can(req.Repo.Key, auth.RoleAdmin) {
		return catalog.PublishResult{}, fault.Coded(fault.KindConflict, "version_tombstoned",
			"manifest %s was deleted from %s; a repository admin can push it again or restore it", digest, req.Name)
	}
	if err := stored.Link(ctx); err != nil {
		return catalog.PublishResult{}, err
	}
	v, err := h.catalog.Get(ctx, req.Caller, req.Repo.Key, req.Image, digest)
	if err != nil {
		return catalog.PublishResult{}, err
	}
	restored, _, err := h.catalog.Restore(ctx, req.Caller, req.Repo.Key, v.Row.ID)
	if err != nil {
		return catalog.PublishResult{}, err
	}
	for _, t := range tags {
		if _, _, err := h.catalog.PutTag(ctx, req.Caller, req.Repo.Key, req.Image, t, digest); err != nil {
			return catalog.PublishResult{}, err
		}
	}
	return catalog.PublishResult{Version: restored}, nil
}

// deleteManifest answers DELETE /v2/<name>/manifests/<ref>: a digest
// tombstones the version (role admin, restorable), a tag is removed
// (role write).
func (h *Handler) deleteManifest(w http.ResponseWriter, req *request) error {
	ctx := req.Context()
	if !isDigest(req.Ref) {
		if err := h.catalog.DeleteTag(ctx, req.Caller, req.Repo.Key, req.Image, req.Ref); err != nil {
			return unknownManifest(err, req, req.Ref)
		}
		w.WriteHeader(http.StatusAccepted)
		return nil
	}
	v, err := h.resolve(req, req.Ref)
	if err != nil {
		return err
	}
	if _, err := h.catalog.Delete(ctx, req.Caller, req.Repo.Key, v.Row.ID, "deleted through the registry API"); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// writeJSON writes v as JSON with a content type.
func writeJSON(w http.ResponseWriter, contentType string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b) // HEAD: net/http drops the body
	return nil
}

package oci

import (
	"net/http"

	"github.com/artifortress/artifortress/internal/fault"
	ociformat "github.com/artifortress/artifortress/internal/format/oci"
)

// referrers answers GET /v2/<name>/referrers/<digest>[?artifactType=]: an
// image index of the manifests whose subject is digest. The subject need
// not exist: an image without referrers, or without any manifest yet,
// answers an empty index.
func (h *Handler) referrers(w http.ResponseWriter, req *request) error {
	manifests, err := h.referrerList(req)
	if err != nil {
		return err
	}
	return writeReferrers(w, req, manifests)
}

// referrerList are the descriptors of the manifests in a local repository
// whose subject is req.Ref.
func (h *Handler) referrerList(req *request) ([]ociformat.Descriptor, error) {
	if _, _, err := ociformat.ParseDigest(req.Ref); err != nil {
		return nil, fault.Coded(fault.KindBadRequest, codeDigestInvalid, "%v", err)
	}
	refs, err := h.catalog.Referrers(req.Context(), req.Caller, req.Repo.Key, req.Image, req.Ref, req.URL.Query().Get("artifactType"))
	if fe := fault.As(err); fe != nil && fe.Code == "package_not_found" {
		refs, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	manifests := make([]ociformat.Descriptor, 0, len(refs))
	for _, ref := range refs {
		d, err := ociformat.Describe([]byte(ref.Manifest))
		if err != nil {
			return nil, err // published manifests were validated
		}
		manifests = append(manifests, ociformat.Descriptor{
			MediaType: d.MediaType, Digest: ref.Version.Version, Size: int64(len(ref.Manifest)),
			ArtifactType: ref.ArtifactType, Annotations: d.Annotations,
		})
	}
	return manifests, nil
}

// writeReferrers answers the referrers API with manifests.
func writeReferrers(w http.ResponseWriter, req *request, manifests []ociformat.Descriptor) error {
	if req.URL.Query().Get("artifactType") != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	if manifests == nil {
		manifests = []ociformat.Descriptor{}
	}
	return writeJSON(w, ociformat.MediaTypeImageIndex, referrerIndex{SchemaVersion: 2, MediaType: ociformat.MediaTypeImageIndex, Manifests: manifests})
}

// referrerIndex is the referrers API's answer, an image index.
type referrerIndex struct {
	SchemaVersion int                    `json:"schemaVersion"`
	MediaType     string                 `json:"mediaType"`
	Manifests     []ociformat.Descriptor `json:"manifests"`
}

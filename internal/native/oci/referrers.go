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
	if _, _, err := ociformat.ParseDigest(req.Ref); err != nil {
		return fault.Coded(fault.KindBadRequest, codeDigestInvalid, "%v", err)
	}
	artifactType := req.URL.Query().Get("artifactType")
	refs, err := h.catalog.Referrers(req.Context(), req.Caller, req.Repo.Key, req.Image, req.Ref, artifactType)
	if fe := fault.As(err); fe != nil && fe.Code == "package_not_found" {
		refs, err = nil, nil
	}
	if err != nil {
		return err
	}
	manifests := make([]ociformat.Descriptor, 0, len(refs))
	for _, ref := range refs {
		d, err := ociformat.Describe([]byte(ref.Manifest))
		if err != nil {
			return err // published manifests were validated
		}
		manifests = append(manifests, ociformat.Descriptor{
			MediaType: d.MediaType, Digest: ref.Version.Version, Size: int64(len(ref.Manifest)),
			ArtifactType: ref.ArtifactType, Annotations: d.Annotations,
		})
	}
	if artifactType != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	return writeJSON(w, ociformat.MediaTypeImageIndex, map[string]any{
		"schemaVersion": 2, "mediaType": ociformat.MediaTypeImageIndex, "manifests": manifests,
	})
}

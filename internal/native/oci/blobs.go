package oci

import (
	"net/http"

	"github.com/artifortress/artifortress/internal/blobhttp"
	"github.com/artifortress/artifortress/internal/fault"
	ociformat "github.com/artifortress/artifortress/internal/format/oci"
)

// getBlob answers GET and HEAD /v2/<name>/blobs/<digest>: a blob of the
// repository, with ranges and conditional requests as every download.
func (h *Handler) getBlob(w http.ResponseWriter, req *request) error {
	digest, err := h.storedDigest(req, req.Ref)
	if err != nil {
		return err
	}
	d, err := h.transfer.Lookup(req.Context(), req.Caller, req.Repo.Key, digest)
	if err != nil {
		return err
	}
	w.Header().Set("Docker-Content-Digest", req.Ref)
	return blobhttp.Serve(w, req.Request, h.transfer.Store(), d.BlobLink, d.Repo.Settings.RedirectDownloads, "application/octet-stream")
}

// storedDigest checks a digest a client sent and returns the SHA-256
// digest the blob is stored under (invariant 1).
func (h *Handler) storedDigest(req *request, digest string) (string, error) {
	alg, _, err := ociformat.ParseDigest(digest)
	if err != nil {
		return "", fault.Coded(fault.KindBadRequest, codeDigestInvalid, "%v", err)
	}
	switch alg {
	case "sha256":
		return digest, nil
	}
	return "", fault.Coded(fault.KindNotFound, codeBlobUnknown, "no blob %s in %s", abbreviate(digest), req.Name)
}

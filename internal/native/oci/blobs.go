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

// deleteBlob answers DELETE /v2/<name>/blobs/<digest> (role admin): the
// blob's link to the repository is tombstoned (transfer.DeleteBlob), 202.
func (h *Handler) deleteBlob(w http.ResponseWriter, req *request) error {
	digest, err := h.storedDigest(req, req.Ref)
	if err != nil {
		return err
	}
	if err := h.transfer.DeleteBlob(req.Context(), req.Caller, req.Repo.Key, digest); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// storedDigest checks a digest a client sent and returns the SHA-256
// digest the blob is stored under (invariant 1): a sha512: digest is looked
// up by the SHA-512 recorded when the blob was pushed.
func (h *Handler) storedDigest(req *request, digest string) (string, error) {
	if _, _, err := parseDigest(digest); err != nil {
		return "", err
	}
	stored, err := h.transfer.ResolveDigest(req.Context(), digest)
	if fe := fault.As(err); fe != nil && fe.Kind == fault.KindNotFound {
		return "", fault.Coded(fault.KindNotFound, codeBlobUnknown, "no blob %s in %s", abbreviate(digest), req.Name)
	}
	return stored, err
}

// parseDigest checks a digest from a URL: 400 DIGEST_INVALID when it is
// not one.
func parseDigest(digest string) (alg, encoded string, err error) {
	alg, encoded, err = ociformat.ParseDigest(digest)
	if err != nil {
		return "", "", fault.Coded(fault.KindBadRequest, codeDigestInvalid, "%v", err)
	}
	return alg, encoded, nil
}

package oci

import (
	"net/http"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/fault"
)

// startUpload answers POST /v2/<name>/blobs/uploads/. With ?digest= the
// body is the whole blob (a monolithic upload), stored and verified
// while it streams: 201.
func (h *Handler) startUpload(w http.ResponseWriter, req *request) error {
	q := req.URL.Query()
	digest := q.Get("digest")
	if digest == "" {
		return fault.Coded(fault.KindMethodNotAllowed, codeUnsupported, "chunked uploads are not served yet; POST with ?digest= and the whole blob")
	}
	stored, err := h.storedDigest(req, digest)
	if err != nil {
		return err
	}
	expect := blob.Expect{Size: req.ContentLength, Digest: blob.Digest(stored)}
	if _, err := h.transfer.PutBlob(req.Context(), req.Caller, req.Repo.Key, req.Body, expect); err != nil {
		return digestMismatch(err)
	}
	return created(w, req, digest)
}

// created answers a stored blob: 201 with its location and digest.
func created(w http.ResponseWriter, req *request, digest string) error {
	w.Header().Set("Location", Prefix+req.Name+"/blobs/"+digest)
	w.Header().Set("Docker-Content-Digest", digest)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
	return nil
}

// digestMismatch answers bytes that do not match the digest the client
// named as the spec does: 400 DIGEST_INVALID (the /v1 API says 409).
func digestMismatch(err error) error {
	if fe := fault.As(err); fe != nil && fe.Code == "upload_verification_failed" {
		out := fault.Coded(fault.KindBadRequest, codeDigestInvalid, "%s", fe.Message)
		for k, v := range fe.Details {
			out = out.With(k, v)
		}
		return out
	}
	return err
}

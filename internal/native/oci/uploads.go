package oci

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/registrytoken"
)

// chunkMinLength is the OCI-Chunk-Min-Length the registry advertises: S3's
// minimum part size. It is advice: smaller chunks are taken too.
const chunkMinLength = "5242880"

// startUpload answers POST /v2/<name>/blobs/uploads/:
//   - ?mount=<digest>[&from=<name>]: the blob is linked from a repository
//     the caller can read (201), or, when it cannot be, a session opens
//     as without mount (202), never 401 or 404 for the source;
//   - ?digest=<digest> with the body: a monolithic upload, verified while
//     it streams (201);
//   - otherwise a session opens (202) for PATCH and PUT.
func (h *Handler) startUpload(w http.ResponseWriter, req *request) error {
	ctx := req.Context()
	q := req.URL.Query()
	if mount := q.Get("mount"); mount != "" {
		done, err := h.mount(w, req, mount, q.Get("from"))
		if done || err != nil {
			return err
		}
	}
	if digest := q.Get("digest"); digest != "" {
		return h.monolithic(w, req, digest)
	}
	s, err := h.transfer.CreateChunked(ctx, req.Caller, req.Repo.Key)
	if err != nil {
		return err
	}
	w.Header().Set("OCI-Chunk-Min-Length", chunkMinLength)
	return sessionAnswer(w, req, s.ID, s.Received, http.StatusAccepted)
}

// mount links digest from repository from (a name) when the caller may
// read it there; done is false when it may not, and the upload goes on.
func (h *Handler) mount(w http.ResponseWriter, req *request, digest, from string) (done bool, err error) {
	if _, _, err := parseDigest(digest); err != nil {
		return false, err
	}
	fromKey, _, _ := strings.Cut(from, "/")
	if from != "" && !req.cred.allows(from, registrytoken.ActionPull) {
		return false, nil // the token does not cover the source: upload
	}
	_, mounted, err := h.transfer.Mount(req.Context(), req.Caller, req.Repo.Key, digest, fromKey)
	if err != nil || !mounted {
		return false, err
	}
	return true, created(w, req, digest)
}

// monolithic stores the request body as the blob digest names. A SHA-256
// digest is verified while the bytes stream into the store; a SHA-512 one
// goes through a one-chunk session, which records the SHA-512 so that the
// blob is found by it at once.
func (h *Handler) monolithic(w http.ResponseWriter, req *request, digest string) error {
	ctx := req.Context()
	alg, _, err := parseDigest(digest)
	if err != nil {
		return err
	}
	if alg == "sha256" {
		expect := blob.Expect{Size: req.ContentLength, Digest: blob.Digest(digest)}
		if _, err := h.transfer.PutBlob(ctx, req.Caller, req.Repo.Key, req.Body, expect); err != nil {
			return digestMismatch(err)
		}
		return created(w, req, digest)
	}
	s, err := h.transfer.CreateChunked(ctx, req.Caller, req.Repo.Key)
	if err != nil {
		return err
	}
	if _, err := h.transfer.FinishChunked(ctx, req.Caller, req.Repo.Key, s.ID, digest, req.Body); err != nil {
		return uploadErr(err)
	}
	return created(w, req, digest)
}

// contentRange is the Content-Range of a PATCH: "<start>-<end>" (the spec's
// form, without "bytes ").
var contentRange = regexp.MustCompile(`^(?:bytes )?([0-9]{1,18})-([0-9]{1,18})$`)

// uploadRoute answers PATCH, PUT, GET and DELETE on
// /v2/<name>/blobs/uploads/<id>: a chunk, the finish, the status, the
// cancel.
func (h *Handler) uploadRoute(w http.ResponseWriter, req *request) error {
	ctx := req.Context()
	id := req.Ref
	switch req.Method {
	case http.MethodPatch:
		start, err := chunkStart(req)
		if err != nil {
			return err
		}
		received, err := h.transfer.AppendChunk(ctx, req.Caller, req.Repo.Key, id, start, req.Body)
		if err != nil {
			return h.rangeErr(w, req, err)
		}
		return sessionAnswer(w, req, id, received, http.StatusAccepted)
	case http.MethodPut:
		digest := req.URL.Query().Get("digest")
		if digest == "" {
			return fault.Coded(fault.KindBadRequest, codeDigestInvalid, "PUT finishes an upload and needs ?digest=")
		}
		if _, _, err := parseDigest(digest); err != nil {
			return err
		}
		// A last chunk that names its range is appended like a PATCH
		// first, so that one starting elsewhere is 416, not a mismatch.
		last := io.Reader(req.Body)
		if req.Header.Get("Content-Range") != "" {
			start, err := chunkStart(req)
			if err != nil {
				return err
			}
			if _, err := h.transfer.AppendChunk(ctx, req.Caller, req.Repo.Key, id, start, req.Body); err != nil {
				return h.rangeErr(w, req, err)
			}
			last = nil
		}
		if _, err := h.transfer.FinishChunked(ctx, req.Caller, req.Repo.Key, id, digest, last); err != nil {
			return uploadErr(err)
		}
		return created(w, req, digest)
	case http.MethodGet, http.MethodHead:
		s, err := h.transfer.ChunkedStatus(ctx, req.Caller, req.Repo.Key, id)
		if err != nil {
			return uploadErr(err)
		}
		return sessionAnswer(w, req, id, s.Received, http.StatusNoContent)
	case http.MethodDelete:
		if _, err := h.transfer.Abort(ctx, req.Caller, req.Repo.Key, id); err != nil {
			return uploadErr(err)
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return fault.Coded(fault.KindMethodNotAllowed, codeUnsupported, "%s is not allowed on an upload", req.Method)
}

// chunkStart is where a chunk says it starts (its Content-Range), -1 when
// it does not say (docker streams without one).
func chunkStart(req *request) (int64, error) {
	cr := req.Header.Get("Content-Range")
	if cr == "" {
		return -1, nil
	}
	m := contentRange.FindStringSubmatch(cr)
	if m == nil {
		return 0, fault.Coded(fault.KindRangeNotSatisfiable, codeBlobUploadInvalid, "Content-Range %q is not <start>-<end>", abbreviate(cr))
	}
	start, _ := strconv.ParseInt(m[1], 10, 64)
	end, _ := strconv.ParseInt(m[2], 10, 64)
	if end < start || req.ContentLength >= 0 && req.ContentLength != end-start+1 {
		return 0, fault.Coded(fault.KindRangeNotSatisfiable, codeBlobUploadInvalid, "Content-Range %q does not match the %d bytes sent", cr, req.ContentLength)
	}
	return start, nil
}

// rangeErr answers an append the session refused; a chunk that does not
// start where the session is gets 416 with the Range the client resumes
// from, the session unchanged.
func (h *Handler) rangeErr(w http.ResponseWriter, req *request, err error) error {
	if fe := fault.As(err); fe != nil && fe.Code == "upload_range_invalid" {
		if s, serr := h.transfer.ChunkedStatus(req.Context(), req.Caller, req.Repo.Key, req.Ref); serr == nil {
			w.Header().Set("Location", uploadLocation(req, req.Ref))
			w.Header().Set("Range", rangeOf(s.Received))
		}
	}
	return uploadErr(err)
}

// uploadErr maps the session service's answers to the spec's: a session
// that is unknown, finished or expired is 404 BLOB_UPLOAD_UNKNOWN; bytes
// that do not match the digest are 400 DIGEST_INVALID.
func uploadErr(err error) error {
	fe := fault.As(err)
	if fe == nil {
		return err
	}
	switch fe.Code {
	case "upload_not_found", "upload_state_conflict", "upload_expired", "upload_mode_conflict":
		return fault.Coded(fault.KindNotFound, codeBlobUploadUnknown, "%s", fe.Message).With("reason", fe.Code)
	}
	return digestMismatch(err)
}

// sessionAnswer answers a session's progress: Location (where to send the
// next chunk), Range (the bytes it has), its id.
func sessionAnswer(w http.ResponseWriter, req *request, id string, received int64, status int) error {
	h := w.Header()
	h.Set("Location", uploadLocation(req, id))
	h.Set("Range", rangeOf(received))
	h.Set("Docker-Upload-UUID", id)
	h.Set("Content-Length", "0")
	w.WriteHeader(status)
	return nil
}

func uploadLocation(req *request, id string) string {
	return Prefix + req.Name + "/blobs/uploads/" + id
}

// rangeOf is the Range header of a session holding received bytes:
// "0-<last byte>", and "0-0" when it holds none (as Distribution answers).
func rangeOf(received int64) string {
	return "0-" + strconv.FormatInt(max(received-1, 0), 10)
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
	if fe := fault.As(err); fe != nil && (fe.Code == "upload_verification_failed" || fe.Code == "digest_invalid") {
		out := fault.Coded(fault.KindBadRequest, codeDigestInvalid, "%s", fe.Message)
		for k, v := range fe.Details {
			out = out.With(k, v)
		}
		return out
	}
	return err
}

package oci

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/remote"
)

// remoteBlob answers GET and HEAD /v2/<name>/blobs/<digest> of a remote
// repository. The blob must belong to a cached manifest of the image that
// the caller may pull (blobOffered: 404 BLOB_UNKNOWN otherwise, 423 when
// only held ones use it). It is then served from the cache; a miss is
// fetched from the upstream (fetchBlob), or, for a HEAD, described by the
// upstream's HEAD without fetching it.
func (h *Handler) remoteBlob(w http.ResponseWriter, req *request, up upstream) error {
	digest, err := h.storedDigest(req, req.Ref)
	if err != nil {
		return err
	}
	if err := h.blobOffered(req, digest); err != nil {
		return err
	}
	_, err = h.transfer.Lookup(req.Context(), req.Caller, req.Repo.Key, digest)
	if err == nil {
		h.remote.Hit(req.Repo)
		return h.getBlob(w, req)
	}
	if !isNotFound(err) {
		return err
	}
	rr := up.request("blobs/"+digest, "", codeBlobUnknown)
	if req.Method == http.MethodHead {
		rr.Method = http.MethodHead
		resp, err := h.upstream.Do(req.Context(), req.Repo, rr)
		if err != nil {
			return err
		}
		resp.Body.Close()
		startBlob(w, digest, resp.ContentLength)
		return nil
	}
	return h.fetchBlob(w, req, rr, digest)
}

// fetchBlob fetches a blob the cache does not hold, once among concurrent
// requests. The first request streams it to its client while the store
// hashes and keeps it; a digest mismatch keeps nothing and cuts that
// answer short (heldBack never lets the last bytes out unverified). The
// store write outlives the client: one that leaves does not waste the
// fetch. The other requests wait for it, then are served from the cache,
// and so is a Range request, once the whole blob is in.
func (h *Handler) fetchBlob(w http.ResponseWriter, req *request, rr remote.RegistryRequest, digest string) error {
	ctx := context.WithoutCancel(req.Context())
	stream := req.Header.Get("Range") == ""
	var out *heldBack
	err := h.upstream.Fetch(ctx, req.Repo, "blob\x00"+digest, rr, func(resp *http.Response) error {
		var body io.Reader = resp.Body
		if stream {
			out = &heldBack{w: w, start: func() { startBlob(w, digest, resp.ContentLength) }}
			body = io.TeeReader(body, out)
		}
		_, err := h.transfer.CacheBlob(ctx, req.Caller, req.Repo.Key, body, blob.Expect{Size: resp.ContentLength, Digest: blob.Digest(digest)}, nil)
		if fe := fault.As(err); fe != nil && fe.Code == "upload_verification_failed" {
			return fault.Coded(fault.KindBadGateway, "upstream_invalid", "the upstream of repository %q sent bytes for blob %s that do not match it (%s); nothing was kept",
				req.Repo.Key, digest, fe.Message)
		}
		if err == nil && out != nil {
			out.flush()
		}
		return err
	})
	switch {
	case out != nil && out.started && err != nil:
		// The answer is under way: cutting it short is all that tells the
		// client (net/http recovers this panic quietly).
		h.log.WarnContext(req.Context(), "remote blob fetch failed while streaming; answer cut short",
			slog.String("repo", req.Repo.Key), slog.String("digest", digest), slog.String("error", err.Error()))
		panic(http.ErrAbortHandler)
	case out != nil && out.started:
		return nil
	case err != nil:
		return err // before any byte went out (a 404 upstream, a blob too large)
	}
	return h.getBlob(w, req)
}

// startBlob writes the headers of a blob answer (200) not served from the
// store: length -1 when unknown.
func startBlob(w http.ResponseWriter, digest string, length int64) {
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Docker-Content-Digest", digest)
	hd.Set("ETag", `"`+digest+`"`)
	if length >= 0 {
		hd.Set("Content-Length", strconv.FormatInt(length, 10))
	}
	w.WriteHeader(http.StatusOK)
}

// heldBack copies what the store reads to the client one chunk behind:
// the headers go out with the first chunk (a failure before it is still
// an ordinary error answer), the last chunk only when flush is called
// after the digest checked out. A failed write (the client left) ends
// the copy, never the store's read.
type heldBack struct {
	w       io.Writer
	start   func() // writes the headers
	started bool
	pending []byte
	failed  bool
}

func (b *heldBack) Write(p []byte) (int, error) {
	b.flush()
	b.pending = append(b.pending[:0], p...)
	return len(p), nil
}

// flush writes the chunk held back, after the headers.
func (b *heldBack) flush() {
	if !b.started {
		b.started = true
		b.start()
	}
	if len(b.pending) > 0 && !b.failed {
		if _, err := b.w.Write(b.pending); err != nil {
			b.failed = true
		}
	}
	b.pending = b.pending[:0]
}

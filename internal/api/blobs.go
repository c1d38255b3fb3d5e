package api

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/httprange"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/transfer"
)

type blobJSON struct {
	Digest string `json:"digest"`
	Length int64  `json:"length"`
	MD5    string `json:"md5,omitempty"`
	SHA1   string `json:"sha1,omitempty"`
	SHA512 string `json:"sha512,omitempty"`
}

// putBlob is the one-shot upload: the body is the blob.
func (a *API) putBlob(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	expect := blob.Expect{Size: r.ContentLength}
	d, err := expectedDigest(r)
	if err != nil {
		return err
	}
	expect.Digest = d
	b, err := a.transfer.PutBlob(r.Context(), p, r.PathValue("key"), r.Body, expect)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/repos/"+r.PathValue("key")+"/blobs/"+b.Digest)
	writeJSON(w, http.StatusCreated, toBlobJSON(b))
	return nil
}

func toBlobJSON(b meta.Blob) blobJSON {
	return blobJSON{Digest: b.Digest, Length: b.Size, MD5: b.MD5, SHA1: b.SHA1, SHA512: b.SHA512}
}

// expectedDigest reads the digest a client claims for a body: ?digest=,
// the Digest header (RFC 3230, sha-256=<base64>) or X-Checksum-Sha256 (hex).
func expectedDigest(r *http.Request) (blob.Digest, error) {
	var claims []string
	if v := r.URL.Query().Get("digest"); v != "" {
		claims = append(claims, v)
	}
	for _, part := range strings.Split(r.Header.Get("Digest"), ",") {
		alg, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(alg, "sha-256") {
			raw, err := base64.StdEncoding.DecodeString(val)
			if err != nil || len(raw) != 32 {
				return "", fault.BadRequest("Digest", "sha-256 must be the base64 of 32 bytes")
			}
			claims = append(claims, blob.SHA256Prefix+hex.EncodeToString(raw))
		}
	}
	if v := r.Header.Get("X-Checksum-Sha256"); v != "" {
		claims = append(claims, blob.SHA256Prefix+strings.ToLower(v))
	}
	var d blob.Digest
	for _, c := range claims {
		parsed, err := blob.ParseDigest(c)
		if err != nil {
			return "", fault.BadRequest("digest", "%v", err)
		}
		if d != "" && parsed != d {
			return "", fault.BadRequest("digest", "the request claims two different digests")
		}
		d = parsed
	}
	return d, nil
}

// getBlob serves a blob of a repository.
func (a *API) getBlob(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	dl, err := a.transfer.Lookup(r.Context(), p, r.PathValue("key"), r.PathValue("digest"))
	if err != nil {
		return err
	}
	return a.serveBlob(w, r, dl.BlobLink, dl.Repo.Settings.RedirectDownloads, "application/octet-stream")
}

// serveBlob serves a blob with ranges (RFC 9110: single, suffix,
// open-ended, multiple) and conditional requests. HEAD is answered from
// metadata alone. From the filesystem store the bytes go out through
// sendfile; from an object store a range becomes exactly that ranged read,
// or a redirect to a pre-signed URL when asked for.
func (a *API) serveBlob(w http.ResponseWriter, r *http.Request, l meta.BlobLink, redirect bool, contentType string) error {
	etag := `"` + l.Digest + `"`
	modified := l.LinkedAt.Truncate(time.Second)
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	h.Set("X-Checksum-Sha256", strings.TrimPrefix(l.Digest, blob.SHA256Prefix))
	h.Set("Accept-Ranges", "bytes")
	decision, useRanges := httprange.Evaluate(r, etag, modified)
	switch decision {
	case httprange.NotModified:
		w.WriteHeader(http.StatusNotModified)
		return nil
	case httprange.PreconditionFailed:
		return fault.Coded(fault.KindPreconditionFailed, "precondition_failed", "the blob does not match the request's preconditions")
	}
	var ranges []httprange.Range
	var err error
	if useRanges && r.Method == http.MethodGet {
		if ranges, err = httprange.Parse(r.Header.Get("Range"), l.Size); errors.Is(err, httprange.ErrUnsatisfiable) {
			h.Set("Content-Range", "bytes */"+strconv.FormatInt(l.Size, 10))
			return fault.Coded(fault.KindRangeNotSatisfiable, "range_not_satisfiable", "no requested range lies within the blob's %d bytes", l.Size)
		}
	}
	if r.Method == http.MethodHead {
		h.Set("Content-Type", contentType)
		h.Set("Content-Length", strconv.FormatInt(l.Size, 10))
		w.WriteHeader(http.StatusOK)
		return nil
	}
	store := a.transfer.Store()
	if ps, ok := store.(blob.Presigner); ok && (redirect || r.URL.Query().Get("redirect") == "true") {
		u, err := ps.PresignGet(r.Context(), blob.Digest(l.Digest), transfer.PresignTTL)
		if err != nil {
			return err
		}
		http.Redirect(w, r, u, http.StatusTemporaryRedirect)
		return nil
	}
	src := blobSource{store: store, digest: blob.Digest(l.Digest)}
	defer src.close()
	return serveRanges(w, r, src, l.Size, ranges, contentType)
}

// missingBytes: metadata says the blob exists but the store has no bytes.
func missingBytes(err error, digest blob.Digest) error {
	if errors.Is(err, blob.ErrNotFound) {
		return fault.Unavailable("blob %s is recorded but its bytes are missing from the blob store; restore them from backup (see docs/runbooks/data-plane.md)", digest)
	}
	return err
}

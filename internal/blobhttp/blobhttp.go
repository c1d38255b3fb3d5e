// Package blobhttp serves blobs over HTTP for every protocol that hands
// out bytes (the /v1 API and the native protocols): ranges per RFC 9110,
// conditional requests, sendfile from the filesystem store, and redirects
// to pre-signed URLs of object stores.
package blobhttp

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/httprange"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/transfer"
)

// Serve serves blob l from store with ranges (RFC 9110: single, suffix,
// open-ended, multiple) and conditional requests. HEAD is answered from
// metadata alone. From the filesystem store the bytes go out through
// sendfile; from an object store a range becomes exactly that ranged read,
// or a redirect to a pre-signed URL when asked for.
func Serve(w http.ResponseWriter, r *http.Request, store blob.Store, l meta.BlobLink, redirect bool, contentType string) error {
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

// blobSource opens byte ranges of one blob. On a filesystem store it keeps
// one *os.File and hands out io.LimitedReaders over it, which net/http sends
// with sendfile; on other stores each range is one ranged read.
type blobSource struct {
	store  blob.Store
	digest blob.Digest
	file   *os.File
}

func (b *blobSource) open(r *http.Request, start, length int64) (io.Reader, func(), error) {
	if fo, ok := b.store.(blob.FileOpener); ok {
		if b.file == nil {
			f, err := fo.OpenFile(r.Context(), b.digest)
			if err != nil {
				return nil, nil, missingBytes(err, b.digest)
			}
			b.file = f
		}
		if _, err := b.file.Seek(start, io.SeekStart); err != nil {
			return nil, nil, err
		}
		return &io.LimitedReader{R: b.file, N: length}, func() {}, nil
	}
	rc, err := b.store.Open(r.Context(), b.digest, start, length)
	if err != nil {
		return nil, nil, missingBytes(err, b.digest)
	}
	return rc, func() { rc.Close() }, nil
}

func (b *blobSource) close() {
	if b.file != nil {
		b.file.Close()
	}
}

// serveRanges writes the whole blob (no ranges), one range (206 with
// Content-Range), or several (206 multipart/byteranges).
func serveRanges(w http.ResponseWriter, r *http.Request, src blobSource, size int64, ranges []httprange.Range, contentType string) error {
	h := w.Header()
	switch len(ranges) {
	case 0:
		body, done, err := src.open(r, 0, size)
		if err != nil {
			return err
		}
		defer done()
		h.Set("Content-Type", contentType)
		h.Set("Content-Length", strconv.FormatInt(size, 10))
		w.WriteHeader(http.StatusOK)
		_, _ = io.Copy(w, body)
		return nil
	case 1:
		rg := ranges[0]
		body, done, err := src.open(r, rg.Start, rg.Length)
		if err != nil {
			return err
		}
		defer done()
		h.Set("Content-Type", contentType)
		h.Set("Content-Range", rg.ContentRange(size))
		h.Set("Content-Length", strconv.FormatInt(rg.Length, 10))
		w.WriteHeader(http.StatusPartialContent)
		_, _ = io.Copy(w, body)
		return nil
	}
	mw := multipart.NewWriter(w)
	h.Set("Content-Type", "multipart/byteranges; boundary="+mw.Boundary())
	w.WriteHeader(http.StatusPartialContent)
	for _, rg := range ranges {
		part, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":  {contentType},
			"Content-Range": {rg.ContentRange(size)},
		})
		if err != nil {
			return nil // the client went away; the status is already sent
		}
		body, done, err := src.open(r, rg.Start, rg.Length)
		if err != nil {
			return nil
		}
		_, cerr := io.Copy(part, body)
		done()
		if cerr != nil {
			return nil
		}
	}
	_ = mw.Close()
	return nil
}

package api

import (
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"strconv"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/httprange"
)

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

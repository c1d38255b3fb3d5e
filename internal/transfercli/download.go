package transfercli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/artifortress/artifortress/internal/admincli"
)

// downloader fetches one blob.
type downloader struct {
	client   *admincli.Client
	repo     string
	digest   string
	label    string
	progress progressOutput
}

// sink is where the bytes of a download go: written in order, hashed as
// they are written; restart empties it when the server sends the whole
// blob instead of the range asked for.
type sink struct {
	w       io.Writer // the destination alone
	h       hash.Hash
	have    int64
	restart func() error // nil: cannot start over (standard output)
}

func (s *sink) Write(b []byte) (int, error) {
	n, err := s.w.Write(b)
	s.h.Write(b[:n])
	s.have += int64(n)
	if err != nil {
		err = &localError{err}
	}
	return n, err
}

// localError marks a failure writing the local file, never retried.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

// toWriter streams the blob to w and verifies it at the end; the bytes are
// out by then, so a mismatch can only be reported.
func (d *downloader) toWriter(ctx context.Context, w io.Writer) (int64, error) {
	s := &sink{w: w, h: sha256.New()}
	if err := d.fetch(ctx, s); err != nil {
		return s.have, err
	}
	if got := "sha256:" + hex.EncodeToString(s.h.Sum(nil)); got != d.digest {
		return s.have, fmt.Errorf("the downloaded bytes hash to %s, not %s: discard the output", got, d.digest)
	}
	return s.have, nil
}

// toFile downloads the blob into path+".part", resuming a partial file,
// and renames it to path once its digest matches. It reports the length
// and whether an earlier partial download was resumed.
func (d *downloader) toFile(ctx context.Context, path string) (n int64, resumed bool, err error) {
	part := path + partSuffix
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return 0, false, err
	}
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	s := &sink{w: f, h: sha256.New()}
	defer func() {
		if err != nil && f != nil && s.have == 0 {
			// Nothing to resume: leave no empty partial file behind.
			f.Close()
			f = nil
			os.Remove(part)
		}
	}()
	// One pass over what is already there; the offset ends after it.
	if s.have, err = io.Copy(s.h, &ctxReader{ctx: ctx, r: f}); err != nil {
		return 0, false, fmt.Errorf("reading %s: %w", part, err)
	}
	resumed = s.have > 0
	s.restart = func() error {
		if err := f.Truncate(0); err != nil {
			return err
		}
		_, err := f.Seek(0, io.SeekStart)
		s.h.Reset()
		s.have = 0
		return err
	}
	if err := d.fetch(ctx, s); err != nil {
		return s.have, resumed, err
	}
	if got := "sha256:" + hex.EncodeToString(s.h.Sum(nil)); got != d.digest {
		f.Close()
		f = nil
		os.Remove(part)
		return s.have, resumed, fmt.Errorf("the downloaded bytes hash to %s, not %s: removed %s, run again to download afresh", got, d.digest, part)
	}
	if err := f.Sync(); err != nil {
		return s.have, resumed, err
	}
	err = f.Close()
	f = nil
	if err != nil {
		return s.have, resumed, err
	}
	return s.have, resumed, os.Rename(part, path)
}

// fetch downloads the bytes of the blob after the s.have already in s,
// retrying transport errors and 5xx answers from where it stopped.
func (d *downloader) fetch(ctx context.Context, s *sink) error {
	var prog *progress
	defer func() { prog.stop() }()
	err := retry(ctx, func() error {
		hdr := http.Header{}
		if s.have > 0 {
			hdr.Set("Range", fmt.Sprintf("bytes=%d-", s.have))
			hdr.Set("If-Range", `"`+d.digest+`"`)
		}
		resp, err := d.client.Open(ctx, http.MethodGet, d.path(), nil, hdr)
		var ae *admincli.APIError
		if errors.As(err, &ae) && ae.Status == http.StatusRequestedRangeNotSatisfiable && s.have > 0 {
			old := s.have
			complete, perr := d.pastEnd(ctx, s)
			if perr != nil || complete {
				return perr
			}
			prog.add(-old)
			resp, err = d.client.Open(ctx, http.MethodGet, d.path(), nil, nil)
		}
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		total := int64(-1)
		switch resp.StatusCode {
		case http.StatusPartialContent:
			start, size, ok := contentRange(resp.Header.Get("Content-Range"))
			if !ok || start != s.have {
				return fmt.Errorf("the server answered range %q to a request for bytes %d-", resp.Header.Get("Content-Range"), s.have)
			}
			total = size
		case http.StatusOK:
			if s.have > 0 {
				// The range was not honoured (If-Range did not match): start over.
				if s.restart == nil {
					return fmt.Errorf("the server sent the whole blob again after %d bytes were written", s.have)
				}
				old := s.have
				if err := s.restart(); err != nil {
					return &localError{err}
				}
				prog.add(-old)
			}
			total = resp.ContentLength
		default:
			return fmt.Errorf("unexpected answer %s", resp.Status)
		}
		if prog == nil {
			prog = d.progress.start(d.label, "pulled", total, s.have, true)
		}
		_, err = io.Copy(s, &counter{r: resp.Body, p: prog})
		var le *localError
		if errors.As(err, &le) {
			return le
		}
		if err != nil {
			return &admincli.TransportError{Method: http.MethodGet, URL: resp.Request.URL.Redacted(),
				Err: fmt.Errorf("download broke off after %d bytes: %w", s.have, err)}
		}
		if total >= 0 && s.have != total {
			return &admincli.TransportError{Method: http.MethodGet, URL: resp.Request.URL.Redacted(),
				Err: fmt.Errorf("the download ended at %d of %d bytes", s.have, total)}
		}
		return nil
	})
	var le *localError
	if errors.As(err, &le) {
		return le.err
	}
	if err == nil {
		prog.finish()
		prog = nil
	}
	return err
}

// pastEnd handles a 416 to a resumed request: the partial file holds the
// whole blob, or more. It reports complete when the partial file has the
// blob's length (the digest check decides the rest), and empties the sink
// when it is longer.
func (d *downloader) pastEnd(ctx context.Context, s *sink) (complete bool, err error) {
	resp, err := d.client.Open(ctx, http.MethodHead, d.path(), nil, nil)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	switch {
	case resp.ContentLength == s.have:
		return true, nil
	case resp.ContentLength >= 0 && resp.ContentLength < s.have && s.restart != nil:
		if err := s.restart(); err != nil {
			return false, &localError{err}
		}
		return false, nil
	}
	return false, fmt.Errorf("the server refused the range from byte %d of a %d-byte blob", s.have, resp.ContentLength)
}

func (d *downloader) path() string {
	return admincli.Pathf("/v1/repos/%s/blobs/%s", d.repo, d.digest)
}

// contentRange parses "bytes START-END/SIZE".
func contentRange(v string) (start, size int64, ok bool) {
	rest, found := strings.CutPrefix(v, "bytes ")
	if !found {
		return 0, 0, false
	}
	span, total, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	first, _, found := strings.Cut(span, "-")
	if !found {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(first, 10, 64)
	size, err2 := strconv.ParseInt(total, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return start, size, true
}

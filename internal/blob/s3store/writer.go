package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/artifortress/artifortress/internal/blob"
)

var (
	errClosed   = errors.New("s3 store: write after commit or cancel")
	errCanceled = errors.New("s3 store: write canceled")
)

type writerState int

const (
	open writerState = iota
	committed
	canceled
)

// writer buffers up to smallObjectMax bytes; beyond that it streams through
// an io.Pipe into a multipart upload (PutObject of unknown size with
// PartSize parts) running on its own goroutine.
type writer struct {
	s      *Store
	key    string
	name   string
	ctx    context.Context // bounds the streaming upload
	cancel context.CancelFunc
	state  writerState
	size   int64
	buf    []byte // bytes not yet handed to an upload

	pw   *io.PipeWriter // nil until the upload starts
	done chan struct{}  // closed when the upload has returned
	info minio.UploadInfo
	err  error // the upload's outcome, valid once done is closed
}

func (w *writer) putOptions() minio.PutObjectOptions {
	return minio.PutObjectOptions{ContentType: "application/octet-stream", PartSize: PartSize}
}

// start begins the multipart upload of whatever is written to w.pw.
func (w *writer) start() {
	pr, pw := io.Pipe()
	w.pw = pw
	w.done = make(chan struct{})
	go func() {
		defer close(w.done)
		// On any error minio-go aborts the multipart upload (with a context
		// that survives w.ctx's cancellation), so no parts are left.
		w.info, w.err = w.s.client.PutObject(w.ctx, w.s.bucket, w.key, pr, -1, w.putOptions())
		// Unblock and fail a pending Write (with io.ErrClosedPipe if the
		// upload completed).
		pr.CloseWithError(w.err)
	}()
}

func (w *writer) Write(p []byte) (int, error) {
	if w.state != open {
		return 0, errClosed
	}
	if w.pw == nil {
		if len(w.buf)+len(p) <= smallObjectMax {
			w.buf = append(w.buf, p...)
			w.size += int64(len(p))
			return len(p), nil
		}
		w.start()
		if len(w.buf) > 0 {
			if _, err := w.pw.Write(w.buf); err != nil {
				return 0, w.writeErr(err)
			}
			w.buf = nil
		}
	}
	n, err := w.pw.Write(p)
	w.size += int64(n)
	if err != nil {
		return n, w.writeErr(err)
	}
	return n, nil
}

func (w *writer) writeErr(err error) error {
	return fmt.Errorf("s3 store: upload %s: %w", w.key, err)
}

func (w *writer) Size() int64 { return w.size }

// Commit completes the upload: one PUT of the buffered bytes, or the end
// of the multipart upload. The object is visible once Commit returns.
func (w *writer) Commit(ctx context.Context) (blob.Info, error) {
	if w.state != open {
		return blob.Info{}, errors.New("s3 store: writer already committed or canceled")
	}
	w.state = committed
	defer w.cancel()
	if w.pw == nil {
		if err := w.ctx.Err(); err != nil {
			return blob.Info{}, err
		}
		var info minio.UploadInfo
		var err error
		for attempt := 1; ; attempt++ {
			info, err = w.s.client.PutObject(ctx, w.s.bucket, w.key, bytes.NewReader(w.buf), int64(len(w.buf)), w.putOptions())
			// Filesystem-backed S3 servers (versitygw posix) remove a
			// directory when its last object goes, and a PUT racing that
			// removal fails with "is a directory": the PUT is safe to repeat.
			if err == nil || attempt == 3 || !strings.Contains(err.Error(), "is a directory") {
				break
			}
		}
		w.buf = nil
		if err != nil {
			return blob.Info{}, fmt.Errorf("s3 store: put %s: %w", w.key, err)
		}
		return w.result(info)
	}
	w.pw.Close()
	select {
	case <-w.done:
	case <-ctx.Done():
		w.cancel() // aborts the upload
		<-w.done
	}
	if w.err != nil {
		return blob.Info{}, fmt.Errorf("s3 store: upload %s: %w", w.key, w.err)
	}
	return w.result(w.info)
}

func (w *writer) result(info minio.UploadInfo) (blob.Info, error) {
	if info.Size != w.size {
		return blob.Info{}, fmt.Errorf("s3 store: upload %s: stored %d bytes of %d", w.key, info.Size, w.size)
	}
	mod := info.LastModified
	if mod.IsZero() {
		mod = time.Now()
	}
	return blob.Info{Name: w.name, Size: w.size, ModTime: mod.UTC(), ETag: info.ETag}, nil
}

// Cancel discards what was written: nothing was sent yet, or the multipart
// upload is aborted. After Commit it does nothing.
func (w *writer) Cancel(ctx context.Context) error {
	if w.state != open {
		return nil
	}
	w.state = canceled
	w.buf = nil
	defer w.cancel()
	if w.pw == nil {
		return nil
	}
	w.pw.CloseWithError(errCanceled) // the upload fails and aborts
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		w.cancel()
		return ctx.Err()
	}
}

package blob

import (
	"context"
	"errors"
	"io"
)

// ReadSeeker is an io.ReadSeekCloser over a blob of known size that opens
// reads lazily at the current offset, so http.ServeContent can serve ranges
// from any Store without buffering.
type ReadSeeker struct {
	ctx  context.Context
	s    Store
	d    Digest
	size int64
	off  int64
	rc   io.ReadCloser
}

// NewReadSeeker returns a ReadSeeker over blob d of the given size.
func NewReadSeeker(ctx context.Context, s Store, d Digest, size int64) *ReadSeeker {
	return &ReadSeeker{ctx: ctx, s: s, d: d, size: size}
}

// Read implements io.Reader.
func (r *ReadSeeker) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	if r.rc == nil {
		rc, err := r.s.Open(r.ctx, r.d, r.off, -1)
		if err != nil {
			return 0, err
		}
		r.rc = rc
	}
	n, err := r.rc.Read(p)
	r.off += int64(n)
	return n, err
}

// Seek implements io.Seeker; moving the offset drops the open read.
func (r *ReadSeeker) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.off + offset
	case io.SeekEnd:
		abs = r.size + offset
	default:
		return 0, errors.New("blob: invalid whence")
	}
	if abs < 0 {
		return 0, errors.New("blob: negative position")
	}
	if abs != r.off && r.rc != nil {
		r.rc.Close()
		r.rc = nil
	}
	r.off = abs
	return abs, nil
}

// Close releases the open read, if any.
func (r *ReadSeeker) Close() error {
	if r.rc == nil {
		return nil
	}
	err := r.rc.Close()
	r.rc = nil
	return err
}

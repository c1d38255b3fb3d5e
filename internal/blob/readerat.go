package blob

import (
	"context"
	"io"
)

// OpenReaderAt gives random access to blob d, for formats whose files are
// read from the end (a wheel's zip central directory): the *os.File when
// the store is on a local filesystem, else ranged reads through Open (one
// request per read on S3). Close what it returns when done.
func OpenReaderAt(ctx context.Context, s Store, d Digest) (io.ReaderAt, io.Closer, error) {
	if fo, ok := s.(FileOpener); ok {
		f, err := fo.OpenFile(ctx, d)
		if err != nil {
			return nil, nil, err
		}
		return f, f, nil
	}
	return rangeReader{ctx: ctx, s: s, d: d}, io.NopCloser(nil), nil
}

// rangeReader reads a blob through ranged Opens.
type rangeReader struct {
	ctx context.Context
	s   Store
	d   Digest
}

func (r rangeReader) ReadAt(p []byte, off int64) (int, error) {
	rc, err := r.s.Open(r.ctx, r.d, off, int64(len(p)))
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	n, err := io.ReadFull(rc, p)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

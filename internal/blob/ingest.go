package blob

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
	"sync/atomic"
)

// Expect is what the uploader claims about the bytes, verified during ingest.
type Expect struct {
	Digest  Digest // "" when unknown
	Size    int64  // < 0 when unknown
	MaxSize int64  // 0: no limit
}

// Sums are what ingest measured while the bytes streamed through.
type Sums struct {
	Digest Digest
	Size   int64
}

// VerificationError reports bytes that do not match what was claimed.
type VerificationError struct {
	Field            string // "digest" or "length"
	Expected, Actual string
}

func (e *VerificationError) Error() string {
	return fmt.Sprintf("%s mismatch: expected %s, got %s", e.Field, e.Expected, e.Actual)
}

// ErrTooLarge reports a stream longer than Expect.MaxSize.
var ErrTooLarge = errors.New("blob: larger than the allowed maximum")

// chunkSize is the read size of ingest; chunks in flight per stream bound
// the memory one upload uses (chunkSize × chunksInFlight = 1 MiB).
const (
	chunkSize      = 256 << 10
	chunksInFlight = 4
)

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// Ingest streams r into the staged object name, computing SHA-256 and the
// size in the same pass, and checks them against exp before committing the
// staged object. Reading and hashing run on one goroutine, writing on
// another, so hashing and storage overlap. On any error nothing is staged.
// The caller promotes the staged object with Store.Promote.
func Ingest(ctx context.Context, s Store, name string, r io.Reader, exp Expect) (Sums, error) {
	w, sums, err := write(ctx, s, name, r, exp, nil)
	if err != nil {
		return Sums{}, err
	}
	if _, err := w.Commit(ctx); err != nil {
		_ = w.Cancel(context.WithoutCancel(ctx))
		return Sums{}, err
	}
	return sums, nil
}

// BlobCommitter is an optional capability of a Writer: ending the write
// as blob d, which the caller verified the bytes are, instead of as a
// staged object to promote. It has Commit and then Promote's effect in
// fewer steps (on a filesystem: one rename and one directory fsync fewer).
type BlobCommitter interface {
	CommitBlob(ctx context.Context, d Digest) error
}

// Put streams r into s as a blob: hashed and verified against exp as
// Ingest does, then checked by check (nil: no check), then stored under
// its digest, in one step when the store's writer can (BlobCommitter),
// else staged as name and promoted. Nothing is visible under the digest
// before every check passed; on any error nothing is left staged.
func Put(ctx context.Context, s Store, name string, r io.Reader, exp Expect, check func(Sums) error) (Sums, error) {
	w, sums, err := write(ctx, s, name, r, exp, check)
	if err != nil {
		return Sums{}, err
	}
	if bc, ok := w.(BlobCommitter); ok {
		if err := bc.CommitBlob(ctx, sums.Digest); err != nil {
			_ = w.Cancel(context.WithoutCancel(ctx))
			return Sums{}, err
		}
		return sums, nil
	}
	if _, err := w.Commit(ctx); err != nil {
		_ = w.Cancel(context.WithoutCancel(ctx))
		return Sums{}, err
	}
	if err := s.Promote(ctx, name, sums.Digest); err != nil {
		_ = s.DeleteStaged(context.WithoutCancel(ctx), name)
		return Sums{}, err
	}
	return sums, nil
}

// write streams r into a new writer of staged object name and verifies
// the bytes against exp, then check (when not nil); on any error the
// writer is cancelled. The caller commits it.
func write(ctx context.Context, s Store, name string, r io.Reader, exp Expect, check func(Sums) error) (Writer, Sums, error) {
	w, err := s.NewWriter(ctx, name)
	if err != nil {
		return nil, Sums{}, err
	}
	sums, err := pipe(ctx, w, r, exp.MaxSize)
	if err == nil {
		err = exp.verify(sums)
	}
	if err == nil && check != nil {
		err = check(sums)
	}
	if err != nil {
		_ = w.Cancel(context.WithoutCancel(ctx))
		return nil, Sums{}, err
	}
	return w, sums, nil
}

func (exp Expect) verify(s Sums) error {
	if exp.Size >= 0 && s.Size != exp.Size {
		return &VerificationError{Field: "length", Expected: fmt.Sprint(exp.Size), Actual: fmt.Sprint(s.Size)}
	}
	if exp.Digest != "" && s.Digest != exp.Digest {
		return &VerificationError{Field: "digest", Expected: string(exp.Digest), Actual: string(s.Digest)}
	}
	return nil
}

// pipe copies r to w (HashCopy) and returns the SHA-256 and size.
func pipe(ctx context.Context, w io.Writer, r io.Reader, maxSize int64) (Sums, error) {
	limit := int64(-1)
	if maxSize > 0 {
		limit = maxSize
	}
	h := sha256.New()
	size, err := HashCopy(ctx, w, r, h, limit)
	if err != nil {
		return Sums{}, err
	}
	return Sums{Digest: FromSum(h.Sum(nil)), Size: size}, nil
}

// HashCopy copies r to w until r ends, feeding every byte to h (which may
// be resumed: a chunked upload continues its session's hash) on the
// reading goroutine while a second goroutine writes, so hashing and
// storage overlap. Buffers form a ring of chunksInFlight slots, the memory
// one stream holds whatever its size (invariant 10): writes complete in
// order, so each "written" signal frees the oldest slot. It stops with
// ErrTooLarge as soon as more than limit bytes arrived (limit < 0: none).
// It returns the bytes copied; after an error, h and w hold an unknown
// prefix of them.
func HashCopy(ctx context.Context, w io.Writer, r io.Reader, h hash.Hash, limit int64) (int64, error) {
	ring := make([]*[]byte, chunksInFlight)
	for i := range ring {
		ring[i] = chunkPool.Get().(*[]byte)
	}
	defer func() {
		for _, b := range ring {
			chunkPool.Put(b)
		}
	}()
	chunks := make(chan []byte, chunksInFlight)
	written := make(chan struct{}, chunksInFlight)
	var writeFailed atomic.Bool
	writeErr := make(chan error, 1)
	go func() {
		var err error
		for b := range chunks {
			if err == nil {
				if _, err = w.Write(b); err != nil {
					writeFailed.Store(true)
				}
			}
			written <- struct{}{}
		}
		writeErr <- err
	}()

	var size int64
	var readErr error
	inFlight := 0
	for slot := 0; !writeFailed.Load(); slot = (slot + 1) % chunksInFlight {
		if err := ctx.Err(); err != nil {
			readErr = err
			break
		}
		if inFlight == chunksInFlight {
			<-written
			inFlight--
		}
		buf := *ring[slot]
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if size += int64(n); limit >= 0 && size > limit {
				readErr = ErrTooLarge
				break
			}
			h.Write(buf[:n])
			chunks <- buf[:n]
			inFlight++
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
	}
	close(chunks)
	werr := <-writeErr // the writer has finished with every buffer
	if readErr != nil {
		return size, readErr
	}
	return size, werr
}

// Stage streams r into the staged object name without hashing (upload parts:
// the whole object is hashed when the parts are assembled). It fails with
// ErrTooLarge past maxSize bytes (0: no limit); on any error nothing is staged.
func Stage(ctx context.Context, s Store, name string, r io.Reader, maxSize int64) (Info, error) {
	w, err := s.NewWriter(ctx, name)
	if err != nil {
		return Info{}, err
	}
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	buf := *bp
	var size int64
	for {
		if err = ctx.Err(); err != nil {
			break
		}
		n, rerr := r.Read(buf)
		if n > 0 {
			if size += int64(n); maxSize > 0 && size > maxSize {
				err = ErrTooLarge
				break
			}
			if _, err = w.Write(buf[:n]); err != nil {
				break
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
	}
	if err != nil {
		_ = w.Cancel(context.WithoutCancel(ctx))
		return Info{}, err
	}
	info, err := w.Commit(ctx)
	if err != nil {
		_ = w.Cancel(context.WithoutCancel(ctx))
		return Info{}, err
	}
	return info, nil
}

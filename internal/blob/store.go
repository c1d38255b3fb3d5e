package blob

import (
	"context"
	"errors"
	"io"
	"os"
	"time"
)

// ErrNotFound: no blob (or staged object) by that name.
var ErrNotFound = errors.New("blob: not found")

// Info describes a stored blob or staged object.
type Info struct {
	Digest  Digest // blobs only
	Name    string // staged objects only
	Size    int64
	ModTime time.Time
	ETag    string // staged objects: an opaque version tag of the object
}

// Store holds immutable, content-addressed blobs and a staging area.
//
// Staged objects have names made of path segments of [A-Za-z0-9._-]
// separated by "/" (for example "uploads/<id>/part-00001"); writing a name
// again replaces it. Promote turns a staged object into a blob atomically.
type Store interface {
	// NewWriter starts writing the staged object name. Nothing is visible
	// under that name until Commit returns.
	NewWriter(ctx context.Context, name string) (Writer, error)
	// OpenStaged reads a staged object.
	OpenStaged(ctx context.Context, name string) (io.ReadCloser, error)
	// ListStaged calls fn for every staged object whose name starts with prefix.
	ListStaged(ctx context.Context, prefix string, fn func(Info) error) error
	// DeleteStaged removes every staged object whose name starts with prefix.
	DeleteStaged(ctx context.Context, prefix string) error
	// Promote makes staged object name the blob d, atomically, and removes the
	// staged object. The caller has verified that the object's SHA-256 is d.
	// When blob d already exists the staged object is discarded (dedupe); when
	// the staged object is gone but blob d exists, Promote succeeds (a retry).
	Promote(ctx context.Context, name string, d Digest) error

	// Open reads length bytes of blob d from offset (length < 0: to the end).
	Open(ctx context.Context, d Digest, offset, length int64) (io.ReadCloser, error)
	// Stat describes blob d.
	Stat(ctx context.Context, d Digest) (Info, error)
	// Delete removes blob d. Deleting a missing blob is not an error.
	Delete(ctx context.Context, d Digest) error
	// List calls fn for every blob.
	List(ctx context.Context, fn func(Info) error) error
	// Ping reports whether the store answers and accepts writes.
	Ping(ctx context.Context) error
}

// Writer streams one staged object. It follows Distribution's writer
// contract: Write any number of times, then exactly one of Commit or Cancel.
// Cancel is safe after Commit (it does nothing then).
type Writer interface {
	io.Writer
	// Size is the number of bytes written so far.
	Size() int64
	// Commit makes the staged object durable and visible under its name.
	Commit(ctx context.Context) (Info, error)
	// Cancel discards what was written.
	Cancel(ctx context.Context) error
}

// Presigner is an optional capability: URLs a client uses to move bytes
// straight to or from the store, without passing through a node.
type Presigner interface {
	// PresignPut returns a URL accepting one PUT of the staged object name.
	PresignPut(ctx context.Context, name string, ttl time.Duration) (string, error)
	// PresignGet returns a URL serving blob d.
	PresignGet(ctx context.Context, d Digest, ttl time.Duration) (string, error)
}

// FileOpener is an optional capability of stores on a local filesystem: the
// blob as an *os.File, so that net/http can send it (or a range of it, as an
// io.LimitedReader) with sendfile.
type FileOpener interface {
	OpenFile(ctx context.Context, d Digest) (*os.File, error)
}

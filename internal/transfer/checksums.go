package transfer

import (
	"context"
	"log/slog"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/meta"
)

// Checksummer fills in the MD5, SHA-1 and SHA-512 of new blobs, off the
// ingest path: one read of the stored blob, the three hashes in parallel.
type Checksummer struct {
	db    *meta.DB
	store blob.Store
	log   *slog.Logger
	queue chan blob.Digest
}

// NewChecksummer returns a checksummer; Run does the work.
func NewChecksummer(db *meta.DB, store blob.Store, log *slog.Logger) *Checksummer {
	return &Checksummer{db: db, store: store, log: log, queue: make(chan blob.Digest, 1024)}
}

// Enqueue asks for d's checksums soon. It never blocks: when the queue is
// full, the periodic scan picks d up.
func (c *Checksummer) Enqueue(d blob.Digest) {
	select {
	case c.queue <- d:
	default:
	}
}

// Ensure computes d's checksums now unless they are stored, and returns them.
func (c *Checksummer) Ensure(ctx context.Context, d blob.Digest) (blob.Checksums, error) {
	b, err := c.db.GetBlob(ctx, string(d))
	if err != nil {
		return blob.Checksums{}, err
	}
	// All three, not one: a chunked upload records the SHA-512 alone.
	if b.MD5 != "" && b.SHA1 != "" && b.SHA512 != "" {
		return blob.Checksums{MD5: b.MD5, SHA1: b.SHA1, SHA512: b.SHA512}, nil
	}
	sums, err := blob.ComputeChecksums(ctx, c.store, d)
	if err != nil {
		return blob.Checksums{}, err
	}
	return sums, c.db.SetChecksums(ctx, string(d), sums.MD5, sums.SHA1, sums.SHA512)
}

// Run works through the queue, and every interval scans for blobs still
// missing checksums (queued ones lost to a restart), until ctx ends.
func (c *Checksummer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-c.queue:
			c.ensure(ctx, d)
		case <-t.C:
			missing, err := c.db.BlobsMissingChecksums(ctx, 100)
			if err != nil {
				c.log.WarnContext(ctx, "scan blobs missing checksums", slog.String("error", err.Error()))
				continue
			}
			for _, d := range missing {
				if ctx.Err() != nil {
					return
				}
				c.ensure(ctx, blob.Digest(d))
			}
		}
	}
}

func (c *Checksummer) ensure(ctx context.Context, d blob.Digest) {
	if _, err := c.Ensure(ctx, d); err != nil && ctx.Err() == nil {
		c.log.WarnContext(ctx, "compute checksums", slog.String("digest", string(d)), slog.String("error", err.Error()))
	}
}

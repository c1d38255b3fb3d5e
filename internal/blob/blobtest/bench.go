package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"testing"

	"github.com/artifortress/artifortress/internal/blob"
)

// benchSizes are the blob sizes every store is measured with: a small
// manifest, a typical package, a large layer.
var benchSizes = []int{4 << 10, 256 << 10, 16 << 20}

// Bench measures a store with the operations on the hot path, at
// b.SetBytes so that the output shows MB/s:
//
//   - IngestPromote: blob.Ingest (SHA-256 while streaming) of new content
//     into a staged object, then Promote — an upload;
//   - Open: Open of a whole blob and reading it to the end — a download;
//   - SHA256: hashing the same bytes in memory, the ceiling of IngestPromote,
//     measured in the same run for comparison.
func Bench(b *testing.B, newStore func(b *testing.B) blob.Store) {
	for _, size := range benchSizes {
		b.Run("IngestPromote/"+sizeName(size), func(b *testing.B) {
			s := newStore(b)
			benchIngestPromote(b, s, size)
		})
		b.Run("Open/"+sizeName(size), func(b *testing.B) {
			s := newStore(b)
			benchOpen(b, s, size)
		})
		b.Run("SHA256/"+sizeName(size), func(b *testing.B) {
			data := randomBytes(uint64(size), size)
			b.SetBytes(int64(size))
			for b.Loop() {
				sha256.Sum256(data)
			}
		})
	}
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

func benchIngestPromote(b *testing.B, s blob.Store, size int) {
	ctx := context.Background()
	data := randomBytes(uint64(size)+1, size)
	var promoted []blob.Digest
	b.Cleanup(func() {
		for _, d := range promoted {
			_ = s.Delete(context.Background(), d)
		}
	})
	b.SetBytes(int64(size))
	b.ReportAllocs()
	i := uint64(0)
	for b.Loop() {
		// New content each time, so that Promote stores rather than dedupes.
		i++
		binary.LittleEndian.PutUint64(data, i)
		name := fmt.Sprintf("bench/%d", i)
		sums, err := blob.Ingest(ctx, s, name, plainReader{bytes.NewReader(data)}, blob.Expect{Size: int64(size)})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Promote(ctx, name, sums.Digest); err != nil {
			b.Fatal(err)
		}
		promoted = append(promoted, sums.Digest)
	}
}

func benchOpen(b *testing.B, s blob.Store, size int) {
	ctx := context.Background()
	data := randomBytes(uint64(size)+2, size)
	d := promote(b, s, "bench/open", data)
	buf := make([]byte, 256<<10)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		rc, err := s.Open(ctx, d, 0, -1)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, plainReader{rc}, buf)
		rc.Close()
		if err != nil {
			b.Fatal(err)
		}
		if n != int64(size) {
			b.Fatalf("read %d bytes, want %d", n, size)
		}
	}
}

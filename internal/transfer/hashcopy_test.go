package transfer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"github.com/artifortress/artifortress/internal/meta"
)

func noise(n int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestHashCopyResumes: a stream copied in pieces, with both hash states
// saved and restored between the pieces as a session row does, hashes to
// the same sums as the whole, and every byte reaches the writer in order.
func TestHashCopyResumes(t *testing.T) {
	data := noise(3*hashBufSize + 12345)
	for _, c := range []struct {
		name   string
		cuts   []int
		reader func(io.Reader) io.Reader
	}{
		{"whole", nil, func(r io.Reader) io.Reader { return r }},
		{"three pieces", []int{1, hashBufSize + 1}, func(r io.Reader) io.Reader { return r }},
		{"small reads", []int{777}, iotest.HalfReader},
		{"one byte reads", []int{hashBufSize}, iotest.OneByteReader},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got bytes.Buffer
			u := sessionWith(t, sha256.New(), sha512.New())
			at := 0
			for _, end := range append(c.cuts, len(data)) {
				h256, h512, err := resumeHashes(u)
				if err != nil {
					t.Fatal(err)
				}
				n, err := hashCopy(t.Context(), &got, c.reader(bytes.NewReader(data[at:end])), h256, h512, -1)
				if err != nil || n != int64(end-at) {
					t.Fatalf("hashCopy [%d:%d]: %d %v", at, end, n, err)
				}
				u = sessionWith(t, h256, h512)
				at = end
			}
			sum256, sum512, err := sessionSums(u)
			if err != nil {
				t.Fatal(err)
			}
			w256, w512 := sha256.Sum256(data), sha512.Sum512(data)
			if sum256 != hexOf(w256[:]) || sum512 != hexOf(w512[:]) {
				t.Errorf("sums differ from the whole stream's")
			}
			if !bytes.Equal(got.Bytes(), data) {
				t.Errorf("the writer got other bytes (%d of %d)", got.Len(), len(data))
			}
		})
	}
}

func TestHashCopyStops(t *testing.T) {
	data := noise(2*hashBufSize + 1)
	copyAll := func(w io.Writer, r io.Reader, limit int64) (int64, error) {
		return hashCopy(context.Background(), w, r, sha256.New(), sha512.New(), limit)
	}
	if n, err := copyAll(io.Discard, bytes.NewReader(data), int64(len(data))); err != nil || n != int64(len(data)) {
		t.Errorf("at the limit: %d %v", n, err)
	}
	if _, err := copyAll(io.Discard, bytes.NewReader(data), int64(len(data))-1); !errors.Is(err, errOverLimit) {
		t.Errorf("past the limit: %v", err)
	}
	if n, err := copyAll(io.Discard, bytes.NewReader(nil), 0); err != nil || n != 0 {
		t.Errorf("empty at limit 0: %d %v", n, err)
	}
	boom := errors.New("boom")
	if _, err := copyAll(failingWriter{boom}, bytes.NewReader(data), -1); !errors.Is(err, boom) {
		t.Errorf("writer error: %v", err)
	}
	if _, err := copyAll(io.Discard, io.MultiReader(bytes.NewReader(data), iotest.ErrReader(boom)), -1); !errors.Is(err, boom) {
		t.Errorf("reader error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := hashCopy(ctx, io.Discard, bytes.NewReader(data), sha256.New(), sha512.New(), -1); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

// BenchmarkHashCopy measures a chunk's path against its two limits, each
// measured alone in the same run: SHA-256 (the one-shot ingest's limit) and
// SHA-512 (the slower hash, which hashCopy runs beside it, not after it).
// hashCopy should come close to the slower of the two, far above running
// them one after the other.
func BenchmarkHashCopy(b *testing.B) {
	data := noise(64 << 20)
	run := func(b *testing.B, fn func()) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			fn()
		}
	}
	b.Run("hashCopy", func(b *testing.B) {
		run(b, func() {
			_, _ = hashCopy(context.Background(), io.Discard, bytes.NewReader(data), sha256.New(), sha512.New(), -1)
		})
	})
	b.Run("sha256 alone", func(b *testing.B) { run(b, func() { sha256.Sum256(data) }) })
	b.Run("sha512 alone", func(b *testing.B) { run(b, func() { sha512.Sum512(data) }) })
	b.Run("sha256 then sha512", func(b *testing.B) { run(b, func() { sha256.Sum256(data); sha512.Sum512(data) }) })
}

// sessionWith is a chunked session row holding h256's and h512's states.
func sessionWith(t *testing.T, h256, h512 hash.Hash) (u meta.Upload) {
	t.Helper()
	var err error
	if u.HashState, err = marshalHash(h256); err == nil {
		u.SHA512State, err = marshalHash(h512)
	}
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }

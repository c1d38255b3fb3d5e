package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/artifortress/artifortress/internal/blob"
)

// plainReader hides any WriterTo or Seeker of the wrapped reader.
type plainReader struct{ r io.Reader }

func (p plainReader) Read(b []byte) (int, error) { return p.r.Read(b) }

func testIngestLarge(t *testing.T, s blob.Store) {
	ctx := t.Context()
	data := randomBytes(11, 5<<20+12345)
	sum := sha256.Sum256(data)
	want := blob.FromSum(sum[:])
	sums, err := blob.Ingest(ctx, s, "big/upload", plainReader{bytes.NewReader(data)},
		blob.Expect{Digest: want, Size: int64(len(data))})
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	if sums.Digest != want || sums.Size != int64(len(data)) {
		t.Fatalf("Ingest sums = %+v, want %s and %d", sums, short(want), len(data))
	}
	if infos := stagedInfos(t, s, "big/"); infos["big/upload"].Size != int64(len(data)) {
		t.Errorf("ListStaged = %+v, want size %d", infos, len(data))
	}
	if err := s.Promote(ctx, "big/upload", sums.Digest); err != nil {
		t.Fatal(err)
	}
	equalBytes(t, "large blob", readBlob(t, s, want, 0, -1), data)
	// A range crossing internal chunk and part boundaries.
	off := int64(256<<10 - 100)
	equalBytes(t, "large blob range", readBlob(t, s, want, off, 3<<20), data[off:off+3<<20])
	equalBytes(t, "large blob tail", readBlob(t, s, want, int64(len(data))-7, -1), data[len(data)-7:])

	// Unknown size and digest: Ingest reports what it measured.
	sums, err = blob.Ingest(ctx, s, "big/unknown", plainReader{bytes.NewReader(data[:1<<20])}, blob.Expect{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	if sums.Digest != digestOf(data[:1<<20]) || sums.Size != 1<<20 {
		t.Errorf("Ingest sums = %+v", sums)
	}
}

func testIngestVerification(t *testing.T, s blob.Store) {
	ctx := t.Context()
	data := randomBytes(5, 600_000)
	d := digestOf(data)
	put(t, s, "v/existing", []byte("old"))

	cases := []struct {
		name  string
		exp   blob.Expect
		field string // VerificationError.Field, or "" for ErrTooLarge
	}{
		{"wrong digest", blob.Expect{Digest: digestOf([]byte("other")), Size: -1}, "digest"},
		{"wrong length (short)", blob.Expect{Digest: d, Size: int64(len(data)) + 1}, "length"},
		{"wrong length (long)", blob.Expect{Size: int64(len(data)) - 1}, "length"},
		{"too large", blob.Expect{Size: -1, MaxSize: int64(len(data)) - 1}, ""},
		{"too large, tiny limit", blob.Expect{Size: -1, MaxSize: 1}, ""},
	}
	for _, c := range cases {
		for _, name := range []string{"v/new", "v/existing"} {
			_, err := blob.Ingest(ctx, s, name, bytes.NewReader(data), c.exp)
			if c.field == "" {
				if !errors.Is(err, blob.ErrTooLarge) {
					t.Errorf("%s: Ingest = %v, want blob.ErrTooLarge", c.name, err)
				}
			} else {
				var ve *blob.VerificationError
				if !errors.As(err, &ve) || ve.Field != c.field {
					t.Errorf("%s: Ingest = %v, want a *blob.VerificationError for %q", c.name, err, c.field)
				}
			}
		}
		wantNotStaged(t, s, "v/new")
		// A failed ingest leaves an existing object under the name untouched.
		equalBytes(t, c.name+": existing object", readStaged(t, s, "v/existing"), []byte("old"))
	}
	if got := staged(t, s, ""); !slices.Equal(got, []string{"v/existing"}) {
		t.Errorf("after failed ingests ListStaged = %q", got)
	}

	// The limit is inclusive.
	if _, err := blob.Ingest(ctx, s, "v/exact", bytes.NewReader(data),
		blob.Expect{Digest: d, Size: int64(len(data)), MaxSize: int64(len(data))}); err != nil {
		t.Errorf("Ingest at exactly MaxSize: %v", err)
	}
	equalBytes(t, "ingested at MaxSize", readStaged(t, s, "v/exact"), data)
}

// cancelingReader returns endless bytes and cancels a context after limit.
type cancelingReader struct {
	n, limit int64
	cancel   context.CancelFunc
}

func (r *cancelingReader) Read(p []byte) (int, error) {
	if r.n >= r.limit {
		r.cancel()
	}
	for i := range p {
		p[i] = byte(r.n + int64(i))
	}
	r.n += int64(len(p))
	return len(p), nil
}

func testIngestContextCanceled(t *testing.T, s blob.Store) {
	for _, limit := range []int64{0, 100_000, 3 << 20} {
		ctx, cancel := context.WithCancel(t.Context())
		r := &cancelingReader{limit: limit, cancel: cancel}
		name := fmt.Sprintf("ctx/%d", limit)
		_, err := blob.Ingest(ctx, s, name, r, blob.Expect{Size: -1})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Ingest canceled after %d bytes = %v, want context.Canceled", limit, err)
		}
		if r.n > limit+64<<20 {
			t.Errorf("Ingest read %d bytes after cancellation at %d", r.n, limit)
		}
		wantNotStaged(t, s, name)
	}
	if got := staged(t, s, ""); len(got) != 0 {
		t.Errorf("canceled ingests left %q", got)
	}
}

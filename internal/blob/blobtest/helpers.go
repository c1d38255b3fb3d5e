package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/artifortress/artifortress/internal/blob"
)

// randomBytes returns n pseudo-random bytes, the same for the same seed.
func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	var s [32]byte
	s[0], s[1], s[2], s[3] = byte(seed), byte(seed>>8), byte(seed>>16), byte(seed>>24)
	_, _ = rand.NewChaCha8(s).Read(b)
	return b
}

// digestOf returns the SHA-256 digest of b.
func digestOf(b []byte) blob.Digest {
	sum := sha256.Sum256(b)
	return blob.FromSum(sum[:])
}

// put writes data to the staged object name in a few Write calls and
// commits it.
func put(t testing.TB, s blob.Store, name string, data []byte) blob.Info {
	t.Helper()
	ctx := context.Background()
	w, err := s.NewWriter(ctx, name)
	if err != nil {
		t.Fatalf("NewWriter(%q): %v", name, err)
	}
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 1+len(rest)/3)
		if _, err := w.Write(rest[:n]); err != nil {
			_ = w.Cancel(ctx)
			t.Fatalf("Write(%q): %v", name, err)
		}
		rest = rest[n:]
	}
	if got := w.Size(); got != int64(len(data)) {
		t.Errorf("Writer.Size() = %d, want %d", got, len(data))
	}
	info, err := w.Commit(ctx)
	if err != nil {
		t.Fatalf("Commit(%q): %v", name, err)
	}
	return info
}

// readStaged returns the content of the staged object name.
func readStaged(t testing.TB, s blob.Store, name string) []byte {
	t.Helper()
	rc, err := s.OpenStaged(context.Background(), name)
	if err != nil {
		t.Fatalf("OpenStaged(%q): %v", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read staged %q: %v", name, err)
	}
	return b
}

// readBlob returns length bytes of blob d from offset.
func readBlob(t testing.TB, s blob.Store, d blob.Digest, offset, length int64) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), d, offset, length)
	if err != nil {
		t.Fatalf("Open(%s, %d, %d): %v", short(d), offset, length, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read blob %s: %v", short(d), err)
	}
	return b
}

// promote stages data under name and promotes it; it returns the digest.
func promote(t testing.TB, s blob.Store, name string, data []byte) blob.Digest {
	t.Helper()
	put(t, s, name, data)
	d := digestOf(data)
	if err := s.Promote(context.Background(), name, d); err != nil {
		t.Fatalf("Promote(%q, %s): %v", name, short(d), err)
	}
	return d
}

// staged returns the sorted names ListStaged reports for prefix.
func staged(t testing.TB, s blob.Store, prefix string) []string {
	t.Helper()
	var names []string
	if err := s.ListStaged(context.Background(), prefix, func(i blob.Info) error {
		names = append(names, i.Name)
		return nil
	}); err != nil {
		t.Fatalf("ListStaged(%q): %v", prefix, err)
	}
	slices.Sort(names)
	return names
}

// stagedInfos returns what ListStaged reports for prefix, keyed by name.
func stagedInfos(t testing.TB, s blob.Store, prefix string) map[string]blob.Info {
	t.Helper()
	m := map[string]blob.Info{}
	if err := s.ListStaged(context.Background(), prefix, func(i blob.Info) error {
		if _, dup := m[i.Name]; dup {
			t.Errorf("ListStaged(%q) reported %q twice", prefix, i.Name)
		}
		m[i.Name] = i
		return nil
	}); err != nil {
		t.Fatalf("ListStaged(%q): %v", prefix, err)
	}
	return m
}

// blobs returns every blob List reports, keyed by digest.
func blobs(t testing.TB, s blob.Store) map[blob.Digest]blob.Info {
	t.Helper()
	m := map[blob.Digest]blob.Info{}
	if err := s.List(context.Background(), func(i blob.Info) error {
		if _, dup := m[i.Digest]; dup {
			t.Errorf("List reported %s twice", short(i.Digest))
		}
		m[i.Digest] = i
		return nil
	}); err != nil {
		t.Fatalf("List: %v", err)
	}
	return m
}

// wantNotStaged fails unless the staged object name is absent, both for
// OpenStaged and for ListStaged.
func wantNotStaged(t testing.TB, s blob.Store, name string) {
	t.Helper()
	rc, err := s.OpenStaged(context.Background(), name)
	if err == nil {
		rc.Close()
		t.Errorf("OpenStaged(%q) succeeded, want blob.ErrNotFound", name)
	} else if !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("OpenStaged(%q) = %v, want blob.ErrNotFound", name, err)
	}
	if names := staged(t, s, name); slices.Contains(names, name) {
		t.Errorf("ListStaged(%q) reports %q, want it absent", name, name)
	}
}

// wantNoBlob fails unless blob d is absent.
func wantNoBlob(t testing.TB, s blob.Store, d blob.Digest) {
	t.Helper()
	if _, err := s.Stat(context.Background(), d); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat(%s) = %v, want blob.ErrNotFound", short(d), err)
	}
	rc, err := s.Open(context.Background(), d, 0, -1)
	if err == nil {
		rc.Close()
		t.Errorf("Open(%s) succeeded, want blob.ErrNotFound", short(d))
	} else if !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Open(%s) = %v, want blob.ErrNotFound", short(d), err)
	}
}

// equalBytes compares large byte slices without printing them.
func equalBytes(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		if len(got) <= 64 && len(want) <= 64 {
			t.Errorf("%s = %q, want %q", what, got, want)
			return
		}
		t.Errorf("%s: got %d bytes (sha256 %s), want %d bytes (sha256 %s)",
			what, len(got), short(digestOf(got)), len(want), short(digestOf(want)))
	}
}

// short abbreviates a digest for messages.
func short(d blob.Digest) string {
	if len(d) > 19 {
		return string(d[:19]) + "…"
	}
	return string(d)
}

package filestore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/blob/blobtest"
	"github.com/artifortress/artifortress/internal/blob/filestore"
)

func newStore(t testing.TB) (*filestore.Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := filestore.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, _ := newStore(t)
		return s
	})
}

func BenchmarkStore(b *testing.B) {
	blobtest.Bench(b, func(b *testing.B) blob.Store {
		s, _ := newStore(b)
		return s
	})
}

// BenchmarkWriteFileFsync is the peer of IngestPromote: the same bytes
// written to a file in the same directory and fsynced, no hashing, no rename.
func BenchmarkWriteFileFsync(b *testing.B) {
	for _, size := range []int{4 << 10, 256 << 10, 16 << 20} {
		b.Run(sizeName(size), func(b *testing.B) {
			dir := b.TempDir()
			data := make([]byte, size)
			b.SetBytes(int64(size))
			for b.Loop() {
				f, err := os.CreateTemp(dir, "f-*")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := f.Write(data); err != nil {
					b.Fatal(err)
				}
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
				f.Close()
				os.Remove(f.Name())
			}
		})
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return strconv.Itoa(n>>20) + "MiB"
	}
	return strconv.Itoa(n>>10) + "KiB"
}

func digestOf(b []byte) blob.Digest {
	sum := sha256.Sum256(b)
	return blob.FromSum(sum[:])
}

func write(t *testing.T, s blob.Store, name string, data []byte) {
	t.Helper()
	w, err := s.NewWriter(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// files returns the regular files under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBlobFilesAreReadOnly(t *testing.T) {
	s, dir := newStore(t)
	ctx := t.Context()
	data := []byte("read-only content")
	d := digestOf(data)
	write(t, s, "ro/1", data)
	if err := s.Promote(ctx, "ro/1", d); err != nil {
		t.Fatal(err)
	}
	h := d.Hex()
	p := filepath.Join(dir, "sha256", h[:2], h)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o400 {
		t.Errorf("blob file mode %v, want 0400", fi.Mode().Perm())
	}
	// A duplicate promoted to the same digest leaves the mode as it was.
	write(t, s, "ro/2", data)
	if err := s.Promote(ctx, "ro/2", d); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o400 {
		t.Errorf("after dedupe: %v, %v", fi.Mode(), err)
	}
	// Staged objects are private to the process owner.
	write(t, s, "ro/3", data)
	fi, err = os.Stat(filepath.Join(dir, "staging", "ro", "3"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("staged file mode %v is accessible to others", fi.Mode().Perm())
	}
}

func TestCrashMidWriteLeavesOnlyTmp(t *testing.T) {
	s, dir := newStore(t)
	w, err := s.NewWriter(t.Context(), "crash/obj")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	// The "crash": the writer is neither committed nor cancelled.
	got := files(t, dir)
	if len(got) != 1 || filepath.Dir(got[0]) != "tmp" {
		t.Fatalf("files after an abandoned write = %q, want one file in tmp/", got)
	}
	if n, err := s.CleanTmp(time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Errorf("CleanTmp(an hour ago) = %d, %v; want 0 (the file is recent)", n, err)
	}
	n, err := s.CleanTmp(time.Now().Add(time.Minute))
	if err != nil || n != 1 {
		t.Errorf("CleanTmp = %d, %v; want 1", n, err)
	}
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("files after CleanTmp = %q, want none", got)
	}
	// The store still works.
	write(t, s, "crash/obj", []byte("ok"))
}

func TestNothingVisibleBeforeCommit(t *testing.T) {
	s, dir := newStore(t)
	ctx := t.Context()
	data := make([]byte, 3<<20)
	w, err := s.NewWriter(ctx, "vis/obj")
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(data); off += 64 << 10 {
		if _, err := w.Write(data[off : off+64<<10]); err != nil {
			t.Fatal(err)
		}
		if got := files(t, filepath.Join(dir, "staging")); len(got) != 0 {
			t.Fatalf("staging/ holds %q before Commit", got)
		}
	}
	if got := files(t, filepath.Join(dir, "sha256")); len(got) != 0 {
		t.Fatalf("sha256/ holds %q before Promote", got)
	}
	if _, err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := files(t, filepath.Join(dir, "staging")); len(got) != 1 || got[0] != "vis/obj" {
		t.Errorf("staging/ after Commit = %q", got)
	}
	if got := files(t, filepath.Join(dir, "tmp")); len(got) != 0 {
		t.Errorf("tmp/ after Commit = %q", got)
	}
	if got := files(t, filepath.Join(dir, "sha256")); len(got) != 0 {
		t.Fatalf("sha256/ holds %q before Promote", got)
	}
	d := digestOf(data)
	if err := s.Promote(ctx, "vis/obj", d); err != nil {
		t.Fatal(err)
	}
	h := d.Hex()
	if got := files(t, filepath.Join(dir, "sha256")); len(got) != 1 || got[0] != h[:2]+"/"+h {
		t.Errorf("sha256/ after Promote = %q", got)
	}
	if got := files(t, filepath.Join(dir, "staging")); len(got) != 0 {
		t.Errorf("staging/ after Promote = %q", got)
	}

	// Ingest failing verification leaves nothing anywhere.
	_, err = blob.Ingest(ctx, s, "vis/bad", io.LimitReader(zeros{}, 1<<20), blob.Expect{Size: 1})
	var ve *blob.VerificationError
	if !errors.As(err, &ve) {
		t.Fatalf("Ingest = %v, want a verification error", err)
	}
	if got := files(t, filepath.Join(dir, "tmp")); len(got) != 0 {
		t.Errorf("tmp/ after a failed Ingest = %q", got)
	}
	if got := files(t, filepath.Join(dir, "staging")); len(got) != 0 {
		t.Errorf("staging/ after a failed Ingest = %q", got)
	}
}

// TestPutCommitsStraightToTheBlob: blob.Put on this store never stages
// (the writer is a blob.BlobCommitter): the fsynced temporary file becomes
// the read-only blob file, and a refused Put leaves no file anywhere.
func TestPutCommitsStraightToTheBlob(t *testing.T) {
	s, dir := newStore(t)
	ctx := t.Context()
	w, err := s.NewWriter(ctx, "any")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w.(blob.BlobCommitter); !ok {
		t.Fatalf("the writer %T is no blob.BlobCommitter", w)
	}
	if err := w.Cancel(ctx); err != nil {
		t.Fatal(err)
	}
	data := []byte("a manifest's bytes")
	d := digestOf(data)
	if _, err := blob.Put(ctx, s, "oneshot/1", bytes.NewReader(data), blob.Expect{Digest: d, Size: int64(len(data))}, nil); err != nil {
		t.Fatal(err)
	}
	h := d.Hex()
	if got := files(t, dir); len(got) != 1 || got[0] != "sha256/"+h[:2]+"/"+h {
		t.Errorf("files after Put = %q, want only the blob", got)
	}
	if fi, err := os.Stat(filepath.Join(dir, "sha256", h[:2], h)); err != nil || fi.Mode().Perm() != 0o400 {
		t.Errorf("blob file after Put: %v, %v; want mode 0400", fi, err)
	}
	if entries, err := os.ReadDir(filepath.Join(dir, "staging")); err == nil && len(entries) != 0 {
		t.Errorf("staging/ after Put holds %d entries, want none (not even a directory)", len(entries))
	}
	_, err = blob.Put(ctx, s, "oneshot/2", bytes.NewReader([]byte("other")), blob.Expect{Size: -1}, func(blob.Sums) error { return errors.New("no") })
	if err == nil {
		t.Fatal("Put refused by its check succeeded")
	}
	if got := files(t, dir); len(got) != 1 {
		t.Errorf("files after a refused Put = %q, want only the first blob", got)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestOpenFile(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	var opener blob.FileOpener = s // compile-time: the capability is there
	data := []byte("served by sendfile")
	d := digestOf(data)
	write(t, s, "of", data)
	if err := s.Promote(ctx, "of", d); err != nil {
		t.Fatal(err)
	}
	f, err := opener.OpenFile(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() != int64(len(data)) {
		t.Errorf("Stat = %v, %v", fi, err)
	}
	got, err := io.ReadAll(f)
	if err != nil || string(got) != string(data) {
		t.Errorf("read %q, %v", got, err)
	}
	if _, err := opener.OpenFile(ctx, digestOf([]byte("missing"))); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("OpenFile(missing) = %v, want blob.ErrNotFound", err)
	}
	if _, err := opener.OpenFile(ctx, "sha256:nope"); err == nil || errors.Is(err, blob.ErrNotFound) {
		t.Errorf("OpenFile(invalid) = %v, want a validation error", err)
	}
	// Open of the blob through the Store interface is the same *os.File
	// when no range is asked for, so io.Copy can use sendfile.
	rc, err := s.Open(ctx, d, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, ok := rc.(*os.File); !ok {
		t.Errorf("Open(0, -1) returned %T, want *os.File", rc)
	}
}

func TestDeleteStagedRemovesEmptyDirectories(t *testing.T) {
	s, dir := newStore(t)
	write(t, s, "dirs/a/b/c", []byte("x"))
	write(t, s, "dirs/keep", []byte("y"))
	if err := s.DeleteStaged(t.Context(), "dirs/a"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "staging", "dirs", "a")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("empty directory staging/dirs/a remains: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "staging", "dirs", "keep")); err != nil {
		t.Errorf("staging/dirs/keep: %v", err)
	}
}

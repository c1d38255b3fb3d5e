package blobtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
)

func testPromote(t *testing.T, s blob.Store) {
	ctx := t.Context()
	data := randomBytes(7, 70_000)
	d := digestOf(data)
	put(t, s, "p/1", data)
	wantNoBlob(t, s, d)
	if err := s.Promote(ctx, "p/1", d); err != nil {
		t.Fatalf("Promote: %v", err)
	}
	equalBytes(t, "promoted blob", readBlob(t, s, d, 0, -1), data)
	wantNotStaged(t, s, "p/1")
	if got := staged(t, s, "p/"); len(got) != 0 {
		t.Errorf("ListStaged after Promote = %q", got)
	}
	info, err := s.Stat(ctx, d)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if info.Digest != d || info.Size != int64(len(data)) || info.ModTime.IsZero() {
		t.Errorf("Stat = %+v, want digest %s, size %d and a ModTime", info, short(d), len(data))
	}
}

func testPromoteDedupe(t *testing.T, s blob.Store) {
	ctx := t.Context()
	data := []byte("original content")
	d := promote(t, s, "dd/1", data)
	// A second object promoted to an existing digest is discarded; the blob
	// keeps its bytes. (Different bytes make an overwrite detectable.)
	put(t, s, "dd/2", []byte("must never replace the blob"))
	if err := s.Promote(ctx, "dd/2", d); err != nil {
		t.Fatalf("Promote of a duplicate: %v", err)
	}
	wantNotStaged(t, s, "dd/2")
	equalBytes(t, "blob after dedupe", readBlob(t, s, d, 0, -1), data)
	if info, err := s.Stat(ctx, d); err != nil || info.Size != int64(len(data)) {
		t.Errorf("Stat after dedupe = %+v, %v; want size %d", info, err, len(data))
	}
	if got := blobs(t, s); len(got) != 1 {
		t.Errorf("List after dedupe: %d blobs, want 1", len(got))
	}
}

func testPromoteRetry(t *testing.T, s blob.Store) {
	ctx := t.Context()
	data := []byte("retried")
	d := promote(t, s, "retry/1", data)
	for range 2 {
		if err := s.Promote(ctx, "retry/1", d); err != nil {
			t.Errorf("Promote retry after success = %v, want nil", err)
		}
	}
	equalBytes(t, "blob", readBlob(t, s, d, 0, -1), data)
	wantNotStaged(t, s, "retry/1")
}

func testPromoteMissing(t *testing.T, s blob.Store) {
	d := digestOf([]byte("never stored"))
	if err := s.Promote(t.Context(), "missing/1", d); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Promote of a missing staged object = %v, want blob.ErrNotFound", err)
	}
	wantNoBlob(t, s, d)
}

func testOpenRange(t *testing.T, s blob.Store) {
	ctx := t.Context()
	data := randomBytes(3, 1000)
	d := promote(t, s, "range", data)
	n := int64(len(data))
	cases := []struct {
		offset, length int64
		want           []byte
	}{
		{0, -1, data},
		{0, n, data},
		{0, n + 1, data},
		{0, 1, data[:1]},
		{10, 20, data[10:30]},
		{10, -1, data[10:]},
		{n - 1, -1, data[n-1:]},
		{n - 1, 1, data[n-1:]},
		{n - 10, 100, data[n-10:]}, // length past the end
		{n, -1, nil},               // offset at the end
		{n, 5, nil},
		{0, 0, nil}, // length 0
		{500, 0, nil},
		{n, 0, nil},
	}
	for _, c := range cases {
		got := readBlob(t, s, d, c.offset, c.length)
		equalBytes(t, fmt.Sprintf("Open(offset %d, length %d)", c.offset, c.length), got, c.want)
	}
	// Beyond the end: nothing, or an error that is not ErrNotFound.
	if rc, err := s.Open(ctx, d, n+100, -1); err == nil {
		b, _ := io.ReadAll(rc)
		rc.Close()
		if len(b) != 0 {
			t.Errorf("Open(offset past the end) read %d bytes", len(b))
		}
	} else if errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Open(offset past the end) = ErrNotFound, but the blob exists")
	}
	if rc, err := s.Open(ctx, d, -1, -1); err == nil {
		rc.Close()
		t.Errorf("Open(offset -1) succeeded, want an error")
	}
}

func testMissingBlob(t *testing.T, s blob.Store) {
	ctx := t.Context()
	d := digestOf([]byte("missing"))
	wantNoBlob(t, s, d)
	for _, r := range [][2]int64{{0, 0}, {0, 10}, {5, -1}} {
		if rc, err := s.Open(ctx, d, r[0], r[1]); err == nil {
			rc.Close()
			t.Errorf("Open(missing, %d, %d) succeeded", r[0], r[1])
		} else if !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Open(missing, %d, %d) = %v, want blob.ErrNotFound", r[0], r[1], err)
		}
	}
	if err := s.Delete(ctx, d); err != nil {
		t.Errorf("Delete(missing) = %v, want nil", err)
	}
	if rc, err := s.OpenStaged(ctx, "no/such/object"); !errors.Is(err, blob.ErrNotFound) {
		if err == nil {
			rc.Close()
		}
		t.Errorf("OpenStaged(missing) = %v, want blob.ErrNotFound", err)
	}
	if err := s.DeleteStaged(ctx, "no/such/"); err != nil {
		t.Errorf("DeleteStaged(missing prefix) = %v", err)
	}

	// A prefix of existing names is not an object.
	put(t, s, "parent/child", []byte("child"))
	wantNotStaged(t, s, "parent")
	if err := s.Promote(ctx, "parent", digestOf([]byte("child"))); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Promote of a name that is only a prefix = %v, want blob.ErrNotFound", err)
	}
	wantNoBlob(t, s, digestOf([]byte("child")))
	equalBytes(t, "parent/child", readStaged(t, s, "parent/child"), []byte("child"))
}

// invalidDigests are refused by every method taking a digest.
var invalidDigests = []blob.Digest{
	"",
	"sha256:",
	"sha256:abc",
	blob.Digest("sha256:" + strings.Repeat("A", 64)),
	blob.Digest("sha256:" + strings.Repeat("a", 63)),
	blob.Digest("sha256:" + strings.Repeat("a", 65)),
	blob.Digest("sha256:" + strings.Repeat("g", 64)),
	blob.Digest("sha512:" + strings.Repeat("a", 128)),
	blob.Digest("SHA256:" + strings.Repeat("a", 64)),
	blob.Digest(strings.Repeat("a", 64)),
	blob.Digest("sha256:../../" + strings.Repeat("a", 58)),
	blob.Digest("sha256:" + strings.Repeat("a", 62) + "/a"),
}

func testInvalidDigest(t *testing.T, s blob.Store) {
	ctx := t.Context()
	put(t, s, "inv", []byte("x"))
	isValidationErr := func(err error) bool { return err != nil && !errors.Is(err, blob.ErrNotFound) }
	for _, d := range invalidDigests {
		if rc, err := s.Open(ctx, d, 0, -1); !isValidationErr(err) {
			if err == nil {
				rc.Close()
			}
			t.Errorf("Open(%q) = %v, want a validation error", d, err)
		}
		if _, err := s.Stat(ctx, d); !isValidationErr(err) {
			t.Errorf("Stat(%q) = %v, want a validation error", d, err)
		}
		if err := s.Delete(ctx, d); !isValidationErr(err) {
			t.Errorf("Delete(%q) = %v, want a validation error", d, err)
		}
		if err := s.Promote(ctx, "inv", d); !isValidationErr(err) {
			t.Errorf("Promote(%q) = %v, want a validation error", d, err)
		}
		if p, ok := s.(blob.Presigner); ok {
			if u, err := p.PresignGet(ctx, d, time.Minute); err == nil {
				t.Errorf("PresignGet(%q) = %q, want an error", d, u)
			}
		}
	}
	equalBytes(t, "staged object after refused promotions", readStaged(t, s, "inv"), []byte("x"))
	if got := blobs(t, s); len(got) != 0 {
		t.Errorf("invalid digests created blobs: %v", got)
	}
}

func testDelete(t *testing.T, s blob.Store) {
	ctx := t.Context()
	keep := promote(t, s, "del/keep", []byte("keep"))
	d := promote(t, s, "del/1", []byte("delete me"))
	if err := s.Delete(ctx, d); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantNoBlob(t, s, d)
	if err := s.Delete(ctx, d); err != nil {
		t.Errorf("second Delete = %v, want nil", err)
	}
	got := blobs(t, s)
	if _, ok := got[d]; ok || len(got) != 1 {
		t.Errorf("List after Delete = %v, want only %s", got, short(keep))
	}
	equalBytes(t, "other blob", readBlob(t, s, keep, 0, -1), []byte("keep"))
	// The digest can be stored again.
	promote(t, s, "del/2", []byte("delete me"))
	equalBytes(t, "re-promoted blob", readBlob(t, s, d, 0, -1), []byte("delete me"))
}

func testList(t *testing.T, s blob.Store) {
	if got := blobs(t, s); len(got) != 0 {
		t.Fatalf("new store lists blobs: %v", got)
	}
	want := map[blob.Digest]int64{}
	for i, data := range [][]byte{nil, []byte("one"), randomBytes(9, 300_000)} {
		d := promote(t, s, fmt.Sprintf("list/%d", i), data)
		want[d] = int64(len(data))
	}
	put(t, s, "list/staged-only", []byte("not a blob"))
	got := blobs(t, s)
	if len(got) != len(want) {
		t.Errorf("List found %d blobs, want %d", len(got), len(want))
	}
	for d, size := range want {
		info, ok := got[d]
		if !ok {
			t.Errorf("List is missing %s", short(d))
			continue
		}
		if info.Digest != d || info.Size != size || info.ModTime.IsZero() {
			t.Errorf("List info %+v, want digest %s size %d and a ModTime", info, short(d), size)
		}
	}
}

func testZeroBytes(t *testing.T, s blob.Store) {
	ctx := t.Context()
	w, err := s.NewWriter(ctx, "zero/obj")
	if err != nil {
		t.Fatal(err)
	}
	info, err := w.Commit(ctx)
	if err != nil {
		t.Fatalf("Commit of an empty object: %v", err)
	}
	if info.Size != 0 {
		t.Errorf("Commit info size %d, want 0", info.Size)
	}
	equalBytes(t, "empty staged object", readStaged(t, s, "zero/obj"), nil)
	if infos := stagedInfos(t, s, "zero/"); len(infos) != 1 || infos["zero/obj"].Size != 0 {
		t.Errorf("ListStaged = %+v, want one empty object", infos)
	}
	d := digestOf(nil)
	if err := s.Promote(ctx, "zero/obj", d); err != nil {
		t.Fatalf("Promote of an empty object: %v", err)
	}
	if info, err := s.Stat(ctx, d); err != nil || info.Size != 0 {
		t.Errorf("Stat = %+v, %v; want size 0", info, err)
	}
	equalBytes(t, "empty blob", readBlob(t, s, d, 0, -1), nil)
	equalBytes(t, "empty blob, length 0", readBlob(t, s, d, 0, 0), nil)

	sums, err := blob.Ingest(ctx, s, "zero/ingested", bytes.NewReader(nil), blob.Expect{Digest: d, Size: 0})
	if err != nil || sums.Digest != d || sums.Size != 0 {
		t.Errorf("Ingest of nothing = %+v, %v; want %s, 0", sums, err, short(d))
	}
	equalBytes(t, "ingested empty object", readStaged(t, s, "zero/ingested"), nil)
}

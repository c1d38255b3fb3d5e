package blobtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
)

// Run runs the conformance suite against the stores newStore returns. Each
// subtest calls newStore once and expects an empty store it may fill; the
// subtests run in parallel.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Store)
	}{
		{"StagedWriteCommitRead", testStagedWriteCommitRead},
		{"StagedReplace", testStagedReplace},
		{"WriterCancel", testWriterCancel},
		{"WriterClosed", testWriterClosed},
		{"InvalidNames", testInvalidNames},
		{"LongName", testLongName},
		{"ListStagedPrefix", testListStagedPrefix},
		{"ListStagedCallbackError", testListStagedCallbackError},
		{"DeleteStagedPrefix", testDeleteStagedPrefix},
		{"StagingIsNotBlobs", testStagingIsNotBlobs},
		{"Promote", testPromote},
		{"PromoteDedupe", testPromoteDedupe},
		{"PromoteRetry", testPromoteRetry},
		{"PromoteMissing", testPromoteMissing},
		{"OpenRange", testOpenRange},
		{"MissingBlob", testMissingBlob},
		{"InvalidDigest", testInvalidDigest},
		{"Delete", testDelete},
		{"List", testList},
		{"ZeroBytes", testZeroBytes},
		{"IngestLarge", testIngestLarge},
		{"IngestVerification", testIngestVerification},
		{"IngestContextCanceled", testIngestContextCanceled},
		{"ConcurrentPromoteSameDigest", testConcurrentPromoteSameDigest},
		{"ConcurrentPromoteSameName", testConcurrentPromoteSameName},
		{"ConcurrentWriters", testConcurrentWriters},
		{"ConcurrentDeleteStaged", testConcurrentDeleteStaged},
		{"Ping", testPing},
		{"PresignPut", testPresignPut},
		{"PresignGet", testPresignGet},
		{"ComputeChecksums", testComputeChecksums},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

func testStagedWriteCommitRead(t *testing.T, s blob.Store) {
	ctx := t.Context()
	names := []string{
		"a",
		"uploads/u-1/part-00001",
		"x/y/z/w.tar.gz",
		"A-Z_0.9/..a/a..",
		"deep/1/2/3/4/5/6/7/8/9/leaf",
	}
	for i, name := range names {
		data := randomBytes(uint64(i), 1000+i*777)

		w, err := s.NewWriter(ctx, name)
		if err != nil {
			t.Fatalf("NewWriter(%q): %v", name, err)
		}
		if _, err := w.Write(data[:10]); err != nil {
			t.Fatal(err)
		}
		// Nothing is visible before Commit.
		wantNotStaged(t, s, name)
		if _, err := w.Write(data[10:]); err != nil {
			t.Fatal(err)
		}
		if w.Size() != int64(len(data)) {
			t.Errorf("Size() = %d, want %d", w.Size(), len(data))
		}
		info, err := w.Commit(ctx)
		if err != nil {
			t.Fatalf("Commit(%q): %v", name, err)
		}
		if info.Name != name || info.Size != int64(len(data)) || info.ETag == "" || info.ModTime.IsZero() {
			t.Errorf("Commit(%q) info = %+v, want name, size %d, an ETag and a ModTime", name, info, len(data))
		}
		equalBytes(t, "OpenStaged("+name+")", readStaged(t, s, name), data)

		listed, ok := stagedInfos(t, s, name)[name]
		if !ok {
			t.Fatalf("ListStaged(%q) does not report it", name)
		}
		if listed.Size != info.Size || listed.ETag != info.ETag {
			t.Errorf("ListStaged(%q) = size %d etag %q; Commit said size %d etag %q",
				name, listed.Size, listed.ETag, info.Size, info.ETag)
		}
		if listed.ModTime.IsZero() {
			t.Errorf("ListStaged(%q): zero ModTime", name)
		}
		if d := time.Since(listed.ModTime); d > time.Hour || d < -time.Hour {
			t.Errorf("ListStaged(%q): ModTime %v is far from now", name, listed.ModTime)
		}
	}
	if got := staged(t, s, ""); len(got) != len(names) {
		t.Errorf("ListStaged(\"\") = %q, want the %d names written", got, len(names))
	}
}

func testStagedReplace(t *testing.T, s blob.Store) {
	first := put(t, s, "r/obj", []byte("first"))
	second := put(t, s, "r/obj", []byte("second, and longer"))
	equalBytes(t, "replaced object", readStaged(t, s, "r/obj"), []byte("second, and longer"))
	if first.ETag == second.ETag {
		t.Errorf("ETag did not change when the object was replaced: %q", first.ETag)
	}
	infos := stagedInfos(t, s, "r/")
	if len(infos) != 1 || infos["r/obj"].Size != int64(len("second, and longer")) ||
		infos["r/obj"].ETag != second.ETag {
		t.Errorf("ListStaged after replace = %+v, want one object of the second version", infos)
	}
	// Replacing with shorter content leaves no trailing bytes.
	put(t, s, "r/obj", []byte("3"))
	equalBytes(t, "replaced object", readStaged(t, s, "r/obj"), []byte("3"))
}

func testWriterCancel(t *testing.T, s blob.Store) {
	ctx := t.Context()

	w, err := s.NewWriter(ctx, "c/new")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(randomBytes(1, 100_000)); err != nil {
		t.Fatal(err)
	}
	if err := w.Cancel(ctx); err != nil {
		t.Errorf("Cancel: %v", err)
	}
	wantNotStaged(t, s, "c/new")
	if got := staged(t, s, ""); len(got) != 0 {
		t.Errorf("after Cancel, ListStaged = %q, want nothing", got)
	}

	// A cancelled replacement leaves the existing object as it was.
	put(t, s, "c/keep", []byte("kept"))
	w, err = s.NewWriter(ctx, "c/keep")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("discarded")); err != nil {
		t.Fatal(err)
	}
	if err := w.Cancel(ctx); err != nil {
		t.Errorf("Cancel: %v", err)
	}
	equalBytes(t, "object after a cancelled replacement", readStaged(t, s, "c/keep"), []byte("kept"))

	// Cancel after Commit does nothing.
	w, err = s.NewWriter(ctx, "c/committed")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("stays")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Cancel(ctx); err != nil {
		t.Errorf("Cancel after Commit = %v, want nil", err)
	}
	equalBytes(t, "object after Cancel following Commit", readStaged(t, s, "c/committed"), []byte("stays"))

	// Cancel of a writer that never wrote.
	w, err = s.NewWriter(ctx, "c/empty")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Cancel(ctx); err != nil {
		t.Errorf("Cancel without writes: %v", err)
	}
	wantNotStaged(t, s, "c/empty")
}

func testWriterClosed(t *testing.T, s blob.Store) {
	ctx := t.Context()
	w, err := s.NewWriter(ctx, "closed/a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("late")); err == nil {
		t.Error("Write after Commit succeeded, want an error")
	}
	if _, err := w.Commit(ctx); err == nil {
		t.Error("second Commit succeeded, want an error")
	}
	equalBytes(t, "object", readStaged(t, s, "closed/a"), nil)

	w, err = s.NewWriter(ctx, "closed/b")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Cancel(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("late")); err == nil {
		t.Error("Write after Cancel succeeded, want an error")
	}
	if _, err := w.Commit(ctx); err == nil {
		t.Error("Commit after Cancel succeeded, want an error")
	}
	wantNotStaged(t, s, "closed/b")
}

// invalidNames are refused by every method taking a staged name.
var invalidNames = []string{
	"",
	".",
	"..",
	"../x",
	"a/../../x",
	"a/..",
	"./a",
	"a/./b",
	"a//b",
	"a/",
	"/a",
	"/etc/passwd",
	`a\b`,
	`..\x`,
	"a b",
	"a:b",
	"a\x00b",
	"a\nb",
	"ä",
	"a?b",
	"a*b",
	"a%2fb",
	strings.Repeat("a", 513),
}

func testInvalidNames(t *testing.T, s blob.Store) {
	ctx := t.Context()
	d := digestOf([]byte("x"))
	for _, name := range invalidNames {
		if w, err := s.NewWriter(ctx, name); err == nil {
			_ = w.Cancel(ctx)
			t.Errorf("NewWriter(%q) succeeded, want an error", name)
		}
		if rc, err := s.OpenStaged(ctx, name); err == nil {
			rc.Close()
			t.Errorf("OpenStaged(%q) succeeded, want an error", name)
		} else if errors.Is(err, blob.ErrNotFound) {
			t.Errorf("OpenStaged(%q) = ErrNotFound, want a validation error", name)
		}
		if err := s.Promote(ctx, name, d); err == nil || errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Promote(%q) = %v, want a validation error", name, err)
		}
		if p, ok := s.(blob.Presigner); ok {
			if u, err := p.PresignPut(ctx, name, time.Minute); err == nil {
				t.Errorf("PresignPut(%q) = %q, want an error", name, u)
			}
		}
	}
	if got := staged(t, s, ""); len(got) != 0 {
		t.Errorf("invalid names left staged objects %q", got)
	}
	if got := blobs(t, s); len(got) != 0 {
		t.Errorf("invalid names left blobs %v", got)
	}
}

func testLongName(t *testing.T, s blob.Store) {
	// 512 bytes, the longest valid name, in segments short enough for any
	// filesystem (NAME_MAX is commonly 255).
	seg := strings.Repeat("n", 99)
	name := strings.Repeat(seg+"/", 5) + strings.Repeat("z", 12)
	if len(name) != 512 {
		t.Fatalf("test name is %d bytes", len(name))
	}
	put(t, s, name, []byte("long"))
	equalBytes(t, "long name", readStaged(t, s, name), []byte("long"))
	if got := staged(t, s, seg[:50]); !slices.Equal(got, []string{name}) {
		t.Errorf("ListStaged = %q, want [%q]", got, name)
	}
	d := digestOf([]byte("long"))
	if err := s.Promote(t.Context(), name, d); err != nil {
		t.Fatal(err)
	}
	equalBytes(t, "promoted", readBlob(t, s, d, 0, -1), []byte("long"))
}

// prefixFixture are staged names whose prefixes share segments partially.
var prefixFixture = []string{"up/a/1", "up/a/2", "up/ab/1", "up/b", "other/x", "upx", "up2/a"}

func testListStagedPrefix(t *testing.T, s blob.Store) {
	for i, name := range prefixFixture {
		put(t, s, name, []byte(strings.Repeat("x", i)))
	}
	cases := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"other/x", "up/a/1", "up/a/2", "up/ab/1", "up/b", "up2/a", "upx"}},
		{"up/", []string{"up/a/1", "up/a/2", "up/ab/1", "up/b"}},
		{"up/a", []string{"up/a/1", "up/a/2", "up/ab/1"}}, // ends mid-segment
		{"up/a/", []string{"up/a/1", "up/a/2"}},
		{"up/ab", []string{"up/ab/1"}},
		{"up/ab/", []string{"up/ab/1"}},
		{"up", []string{"up/a/1", "up/a/2", "up/ab/1", "up/b", "up2/a", "upx"}},
		{"u", []string{"up/a/1", "up/a/2", "up/ab/1", "up/b", "up2/a", "upx"}},
		{"up/a/1", []string{"up/a/1"}}, // a whole name
		{"up/a/1/", nil},
		{"up/b/", nil},
		{"up/c", nil},
		{"nope", nil},
		{"other/", []string{"other/x"}},
		{"../", nil},
	}
	for _, c := range cases {
		if got := staged(t, s, c.prefix); !slices.Equal(got, c.want) {
			t.Errorf("ListStaged(%q) = %q, want %q", c.prefix, got, c.want)
		}
	}
	for i, name := range prefixFixture {
		info, ok := stagedInfos(t, s, name)[name]
		if !ok || info.Size != int64(i) || info.ETag == "" || info.ModTime.IsZero() || info.Name != name {
			t.Errorf("ListStaged info for %q = %+v (found %v), want size %d, an ETag and a ModTime", name, info, ok, i)
		}
	}
}

func testListStagedCallbackError(t *testing.T, s blob.Store) {
	for _, name := range prefixFixture {
		put(t, s, name, []byte(name))
	}
	stop := errors.New("stop here")
	calls := 0
	err := s.ListStaged(t.Context(), "", func(blob.Info) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) {
		t.Errorf("ListStaged with a failing callback = %v, want the callback's error", err)
	}
	if calls != 1 {
		t.Errorf("callback called %d times after returning an error, want 1", calls)
	}

	promote(t, s, "b/1", []byte("one"))
	promote(t, s, "b/2", []byte("two"))
	calls = 0
	err = s.List(t.Context(), func(blob.Info) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) {
		t.Errorf("List with a failing callback = %v, want the callback's error", err)
	}
	if calls != 1 {
		t.Errorf("List callback called %d times after returning an error, want 1", calls)
	}
}

func testDeleteStagedPrefix(t *testing.T, s blob.Store) {
	ctx := t.Context()
	for _, name := range prefixFixture {
		put(t, s, name, []byte(name))
	}
	if err := s.DeleteStaged(ctx, "up/a"); err != nil { // mid-segment
		t.Fatalf("DeleteStaged: %v", err)
	}
	want := []string{"other/x", "up/b", "up2/a", "upx"}
	if got := staged(t, s, ""); !slices.Equal(got, want) {
		t.Errorf("after DeleteStaged(\"up/a\"): %q, want %q", got, want)
	}
	for _, name := range want {
		equalBytes(t, name, readStaged(t, s, name), []byte(name))
	}
	if err := s.DeleteStaged(ctx, "up/a"); err != nil {
		t.Errorf("DeleteStaged of nothing: %v", err)
	}
	if err := s.DeleteStaged(ctx, "up/"); err != nil {
		t.Fatal(err)
	}
	want = []string{"other/x", "up2/a", "upx"}
	if got := staged(t, s, ""); !slices.Equal(got, want) {
		t.Errorf("after DeleteStaged(\"up/\"): %q, want %q", got, want)
	}
	// Names under a deleted prefix can be written again.
	put(t, s, "up/a/1", []byte("again"))
	equalBytes(t, "rewritten", readStaged(t, s, "up/a/1"), []byte("again"))

	// Blobs are not staged objects: DeleteStaged("") leaves them.
	d := promote(t, s, "to-blob", []byte("blob content"))
	if err := s.DeleteStaged(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if got := staged(t, s, ""); len(got) != 0 {
		t.Errorf("after DeleteStaged(\"\"): %q, want nothing", got)
	}
	equalBytes(t, "blob after DeleteStaged", readBlob(t, s, d, 0, -1), []byte("blob content"))
}

func testStagingIsNotBlobs(t *testing.T, s blob.Store) {
	// Staged names that look like the store's own layout stay staged objects.
	data := []byte("not a blob yet")
	d := digestOf(data)
	h := d.Hex()
	for _, name := range []string{"sha256/" + h[:2] + "/" + h, h, "staging/x", "tmp/x"} {
		put(t, s, name, data)
	}
	wantNoBlob(t, s, d)
	if got := blobs(t, s); len(got) != 0 {
		t.Errorf("List reports staged objects as blobs: %v", got)
	}
	if got := staged(t, s, "sha256/"); len(got) != 1 {
		t.Errorf("ListStaged(\"sha256/\") = %q, want the one staged object", got)
	}
}

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

func testConcurrentPromoteSameDigest(t *testing.T, s blob.Store) {
	const n = 8
	data := randomBytes(13, 200_000)
	d := digestOf(data)
	for i := range n {
		put(t, s, fmt.Sprintf("cp/%d", i), data)
	}
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Go(func() {
			start.Wait()
			errs[i] = s.Promote(context.Background(), fmt.Sprintf("cp/%d", i), d)
		})
	}
	start.Done()
	done.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Promote %d: %v", i, err)
		}
	}
	if got := blobs(t, s); len(got) != 1 || got[d].Size != int64(len(data)) {
		t.Errorf("List = %v, want one blob %s", got, short(d))
	}
	equalBytes(t, "blob", readBlob(t, s, d, 0, -1), data)
	if got := staged(t, s, ""); len(got) != 0 {
		t.Errorf("staged objects left after promotion: %q", got)
	}
}

func testConcurrentPromoteSameName(t *testing.T, s blob.Store) {
	// Retries racing each other: all succeed, whichever moves the object.
	const n = 8
	data := randomBytes(17, 50_000)
	d := digestOf(data)
	put(t, s, "same/obj", data)
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Go(func() {
			start.Wait()
			errs[i] = s.Promote(context.Background(), "same/obj", d)
		})
	}
	start.Done()
	done.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Promote %d: %v", i, err)
		}
	}
	equalBytes(t, "blob", readBlob(t, s, d, 0, -1), data)
	wantNotStaged(t, s, "same/obj")
}

func testConcurrentWriters(t *testing.T, s blob.Store) {
	ctx := t.Context()
	const n = 16
	names := make([]string, n)
	datas := make([][]byte, n)
	writers := make([]blob.Writer, n)
	for i := range n {
		if i%2 == 0 {
			names[i] = fmt.Sprintf("cw/shared/%02d", i) // one directory
		} else {
			names[i] = fmt.Sprintf("cw/own-%02d/obj", i)
		}
		datas[i] = randomBytes(uint64(100+i), 10_000+i*5_000)
		w, err := s.NewWriter(ctx, names[i])
		if err != nil {
			t.Fatal(err)
		}
		writers[i] = w
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			data := datas[i]
			for len(data) > 0 {
				k := min(len(data), 4096)
				if _, err := writers[i].Write(data[:k]); err != nil {
					errs[i] = err
					_ = writers[i].Cancel(ctx)
					return
				}
				data = data[k:]
			}
			_, errs[i] = writers[i].Commit(ctx)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	for i, name := range names {
		equalBytes(t, name, readStaged(t, s, name), datas[i])
	}
	if got := staged(t, s, "cw/"); len(got) != n {
		t.Errorf("ListStaged found %d objects, want %d", len(got), n)
	}
}

func testConcurrentDeleteStaged(t *testing.T, s blob.Store) {
	// Deleting one upload's objects never disturbs a writer of a name next
	// to them, even while the deleted names' directories (in a store that
	// has them) are being removed.
	ctx := t.Context()
	const rounds = 50
	for i := range rounds {
		deleted := fmt.Sprintf("del/%d/x/part", i)
		kept := fmt.Sprintf("del/%d/keep/part", i)
		put(t, s, deleted, []byte("x"))
		var start, wg sync.WaitGroup
		start.Add(1)
		var deleteErr, putErr error
		wg.Go(func() {
			start.Wait()
			deleteErr = s.DeleteStaged(ctx, fmt.Sprintf("del/%d/x/", i))
		})
		wg.Go(func() {
			start.Wait()
			w, err := s.NewWriter(ctx, kept)
			if err != nil {
				putErr = err
				return
			}
			if _, err := w.Write([]byte("kept")); err != nil {
				putErr = err
				_ = w.Cancel(ctx)
				return
			}
			_, putErr = w.Commit(ctx)
		})
		start.Done()
		wg.Wait()
		if deleteErr != nil {
			t.Fatalf("round %d: DeleteStaged: %v", i, deleteErr)
		}
		if putErr != nil {
			t.Fatalf("round %d: writing %q next to a DeleteStaged: %v", i, kept, putErr)
		}
		equalBytes(t, kept, readStaged(t, s, kept), []byte("kept"))
		wantNotStaged(t, s, deleted)
	}
}

func testPing(t *testing.T, s blob.Store) {
	for range 2 {
		if err := s.Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	}
	if got := staged(t, s, ""); len(got) != 0 {
		t.Errorf("Ping left staged objects %q", got)
	}
	if got := blobs(t, s); len(got) != 0 {
		t.Errorf("Ping left blobs %v", got)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Ping(ctx); err == nil {
		t.Errorf("Ping with a canceled context succeeded")
	}
}

func presigner(t *testing.T, s blob.Store) blob.Presigner {
	p, ok := s.(blob.Presigner)
	if !ok {
		t.Skipf("%T does not implement blob.Presigner", s)
	}
	return p
}

func httpDo(t *testing.T, method, url string, body []byte, header http.Header) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = nil, 0
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func testPresignPut(t *testing.T, s blob.Store) {
	p := presigner(t, s)
	ctx := t.Context()
	data := randomBytes(19, 100_000)
	u, err := p.PresignPut(ctx, "direct/upload-1/data", 5*time.Minute)
	if err != nil {
		t.Fatalf("PresignPut: %v", err)
	}
	if code, body := httpDo(t, http.MethodPut, u, data, nil); code != http.StatusOK {
		t.Fatalf("PUT to the presigned URL: %d %s", code, body)
	}
	equalBytes(t, "object put through the presigned URL", readStaged(t, s, "direct/upload-1/data"), data)
	if infos := stagedInfos(t, s, "direct/"); infos["direct/upload-1/data"].Size != int64(len(data)) {
		t.Errorf("ListStaged = %+v", infos)
	}
	d := digestOf(data)
	if err := s.Promote(ctx, "direct/upload-1/data", d); err != nil {
		t.Fatal(err)
	}
	equalBytes(t, "promoted", readBlob(t, s, d, 0, -1), data)

	// The URL is for PUT of that object only: a GET with it is refused.
	if code, _ := httpDo(t, http.MethodGet, u, nil, nil); code == http.StatusOK {
		t.Errorf("GET with a presigned PUT URL succeeded")
	}
}

func testPresignGet(t *testing.T, s blob.Store) {
	p := presigner(t, s)
	ctx := t.Context()
	data := randomBytes(23, 300_000)
	d := promote(t, s, "pg", data)
	u, err := p.PresignGet(ctx, d, 5*time.Minute)
	if err != nil {
		t.Fatalf("PresignGet: %v", err)
	}
	code, body := httpDo(t, http.MethodGet, u, nil, nil)
	if code != http.StatusOK {
		t.Fatalf("GET of the presigned URL: %d %s", code, body)
	}
	equalBytes(t, "GET of the presigned URL", body, data)

	code, body = httpDo(t, http.MethodGet, u, nil, http.Header{"Range": {"bytes=1000-1999"}})
	if code != http.StatusPartialContent {
		t.Fatalf("ranged GET of the presigned URL: %d", code)
	}
	equalBytes(t, "ranged GET", body, data[1000:2000])

	// Tampering with the URL invalidates it.
	other := digestOf([]byte("other"))
	bad := strings.Replace(u, d.Hex(), other.Hex(), 1)
	if bad != u {
		if code, _ := httpDo(t, http.MethodGet, bad, nil, nil); code == http.StatusOK {
			t.Errorf("GET of a tampered presigned URL succeeded")
		}
	}
}

// checksumInput is a fixed input spanning several internal chunks.
func checksumInput() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < 700_000; i++ {
		fmt.Fprintf(&b, "line %d: the quick brown fox jumps over the lazy dog\n", i)
	}
	return b.Bytes()
}

func testComputeChecksums(t *testing.T, s blob.Store) {
	ctx := t.Context()
	for _, data := range [][]byte{nil, []byte("abc"), checksumInput()} {
		d := promote(t, s, "sums", data)
		got, err := blob.ComputeChecksums(ctx, s, d)
		if err != nil {
			t.Fatalf("ComputeChecksums: %v", err)
		}
		m, s1, s5 := md5.Sum(data), sha1.Sum(data), sha512.Sum512(data)
		want := blob.Checksums{
			MD5:    hex.EncodeToString(m[:]),
			SHA1:   hex.EncodeToString(s1[:]),
			SHA512: hex.EncodeToString(s5[:]),
		}
		if got != want {
			t.Errorf("ComputeChecksums of %d bytes = %+v, want %+v", len(data), got, want)
		}
	}
	// Well-known values for "abc".
	got, err := blob.ComputeChecksums(ctx, s, digestOf([]byte("abc")))
	if err != nil {
		t.Fatal(err)
	}
	if got.MD5 != "900150983cd24fb0d6963f7d28e17f72" || got.SHA1 != "a9993e364706816aba3e25717850c26c9cd0d89d" ||
		!strings.HasPrefix(got.SHA512, "ddaf35a193617aba") {
		t.Errorf("ComputeChecksums(\"abc\") = %+v", got)
	}
	if _, err := blob.ComputeChecksums(ctx, s, digestOf([]byte("missing"))); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("ComputeChecksums of a missing blob = %v, want blob.ErrNotFound", err)
	}
}

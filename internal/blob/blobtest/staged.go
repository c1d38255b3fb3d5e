package blobtest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
)

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

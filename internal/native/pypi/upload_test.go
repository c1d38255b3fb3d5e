package pypi

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/blake2b"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/format"
	pyformat "github.com/artifortress/artifortress/internal/format/pypi"
)

const testBoundary = "af0test0boundary"

const formContentType = "multipart/form-data; boundary=" + testBoundary

// part is one part of a test form; file parts carry a filename.
type part struct {
	name, value string
	file        bool
	filename    string
	raw         textproto.MIMEHeader // when set, the part's whole header
}

func text(name, value string) part { return part{name: name, value: value} }

func file(name, filename, content string) part {
	return part{name: name, value: content, file: true, filename: filename}
}

// form encodes parts as multipart/form-data with testBoundary.
func form(t testing.TB, parts []part) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.SetBoundary(testBoundary); err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		h := p.raw
		if h == nil {
			h = textproto.MIMEHeader{}
			if p.file {
				h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.filename))
				h.Set("Content-Type", "application/octet-stream")
			} else {
				h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p.name))
			}
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(pw, p.value)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func hexSHA256(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
func hexMD5(s string) string    { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
func hexBlake2(s string) string { h := blake2b.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// twineForm is the form twine 4.0.2 sends for a file, in its order
// (package.py metadata_dictionary, repository.py _upload): metadata the
// file lacks is sent as "", lists as repeated fields, :action and
// protocol_version next to last, content last.
func twineForm(name, version, filetype, filename, content string) []part {
	pyversion := "py3"
	if filetype == FileTypeSdist {
		pyversion = ""
	}
	return []part{
		text("name", name), text("version", version), text("filetype", filetype), text("pyversion", pyversion),
		text("metadata_version", "2.1"), text("summary", "A <b>test</b> project"), text("home_page", "https://example.invalid/"),
		text("author", "Artifortress Tests"), text("author_email", "tests@example.invalid"), text("maintainer", ""),
		text("maintainer_email", ""), text("license", "MIT"), text("description", "# Title\n\nBody & \"quotes\".\n"),
		text("keywords", "a,b"), text("classifiers", "Programming Language :: Python :: 3"),
		text("classifiers", "License :: OSI Approved :: MIT License"), text("download_url", ""), text("comment", ""),
		text("sha256_digest", hexSHA256(content)), text("project_urls", "Source, https://example.invalid/src"),
		text("requires_dist", "requests>=2"), text("requires_python", ">=3.8"), text("description_content_type", "text/markdown"),
		text("md5_digest", hexMD5(content)), text("blake2_256_digest", hexBlake2(content)),
		text(":action", "file_upload"), text("protocol_version", "1"),
		file("content", filename, content),
	}
}

const wheelName = "foo_bar-1.0rc1-py3-none-any.whl"

func wheelForm() []part {
	return twineForm("Foo.Bar", "1.0rc1", FileTypeWheel, wheelName, "wheel bytes")
}

// recorder is a store callback that keeps what it was given.
type recorder struct {
	calls    int
	filename string
	content  []byte
}

func (r *recorder) store(filename, _ string, content io.Reader) error {
	r.calls++
	r.filename = filename
	b, err := io.ReadAll(content)
	r.content = b
	return err
}

func parse(t testing.TB, body []byte, limits Limits) (*Upload, *recorder, error) {
	t.Helper()
	rec := &recorder{}
	u, err := ParseUpload(bytes.NewReader(body), formContentType, limits, rec.store)
	if err != nil && u != nil {
		t.Fatalf("ParseUpload returned both %+v and %v", u, err)
	}
	return u, rec, err
}

func TestParseUploadTwineWheel(t *testing.T) {
	u, rec, err := parse(t, form(t, wheelForm()), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if rec.calls != 1 || rec.filename != wheelName || string(rec.content) != "wheel bytes" {
		t.Fatalf("store got %d calls, %q, %q", rec.calls, rec.filename, rec.content)
	}
	want := &Upload{
		Name: "Foo.Bar", Project: "foo-bar", Version: "1.0rc1", FileType: FileTypeWheel, PyVersion: "py3", MetadataVersion: "2.1",
		Filename: wheelName, Dist: Dist{Filename: wheelName, FileType: FileTypeWheel, Name: "foo_bar", Version: "1.0rc1", Python: "py3", ABI: "none", Platform: "any"},
		Size: int64(len("wheel bytes")), SHA256: hexSHA256("wheel bytes"), MD5: hexMD5("wheel bytes"), Blake2_256: hexBlake2("wheel bytes"),
		RequiresPython: ">=3.8",
		Metadata: map[string][]string{
			"summary": {"A <b>test</b> project"}, "home_page": {"https://example.invalid/"}, "author": {"Artifortress Tests"},
			"author_email": {"tests@example.invalid"}, "license": {"MIT"}, "description": {"# Title\n\nBody & \"quotes\".\n"},
			"keywords": {"a,b"}, "classifiers": {"Programming Language :: Python :: 3", "License :: OSI Approved :: MIT License"},
			"project_urls": {"Source, https://example.invalid/src"}, "requires_dist": {"requests>=2"},
			"description_content_type": {"text/markdown"},
		},
	}
	if !reflect.DeepEqual(u, want) {
		t.Fatalf("got  %+v\nwant %+v", u, want)
	}
	raw, err := u.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if err := pyformat.New().ValidateManifest(format.Coordinates{Name: u.Project, Version: u.Version}, raw); err != nil {
		t.Fatalf("manifest %s: %v", raw, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	wantM := map[string]any{
		"metadata_version": "2.1", "name": "Foo.Bar", "version": "1.0rc1", "requires_python": ">=3.8",
		"summary": "A <b>test</b> project", "home_page": "https://example.invalid/", "author": "Artifortress Tests",
		"author_email": "tests@example.invalid", "license": "MIT", "description": "# Title\n\nBody & \"quotes\".\n",
		"keywords": "a,b", "classifiers": []any{"Programming Language :: Python :: 3", "License :: OSI Approved :: MIT License"},
		"project_urls": []any{"Source, https://example.invalid/src"}, "requires_dist": []any{"requests>=2"},
		"description_content_type": "text/markdown",
	}
	if !reflect.DeepEqual(m, wantM) {
		t.Fatalf("manifest %s", raw)
	}
}

func TestParseUploadSdist(t *testing.T) {
	u, _, err := parse(t, form(t, twineForm("foo", "2.0", FileTypeSdist, "foo-2.0.tar.gz", "sdist")), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if u.PyVersion != "source" || u.FileType != FileTypeSdist || u.Dist.FileType != FileTypeSdist {
		t.Fatalf("%+v", u)
	}
}

// TestParseUploadOrder: fields may follow the content part; they are
// checked after store.
func TestParseUploadOrder(t *testing.T) {
	parts := wheelForm()
	content := parts[len(parts)-1]
	parts = append([]part{content}, parts[:len(parts)-1]...)
	u, rec, err := parse(t, form(t, parts), Limits{})
	if err != nil || rec.calls != 1 || u.Name != "Foo.Bar" {
		t.Fatalf("%+v %v", u, err)
	}
	// A mismatch found only after the content is still refused.
	parts[len(parts)-1] = text("protocol_version", "1")
	for i, p := range parts {
		if p.name == "version" {
			parts[i].value = "2.0"
		}
	}
	_, rec, err = parse(t, form(t, parts), Limits{})
	wantCode(t, err, CodeFilenameMismatch)
	if rec.calls != 1 {
		t.Fatalf("store called %d times", rec.calls)
	}
}

// edit returns the wheel form with field name's value replaced (removed
// when value is nil) and extra parts inserted before the content.
func edit(name string, value *string, extra ...part) []part {
	var out []part
	for _, p := range wheelForm() {
		if p.name == "content" {
			out = append(out, extra...)
		}
		if p.name == name {
			if value == nil {
				continue
			}
			p.value = *value
		}
		out = append(out, p)
	}
	return out
}

func ptr(s string) *string { return &s }

func TestParseUploadRejects(t *testing.T) {
	wheel := wheelForm()
	content := wheel[len(wheel)-1]
	fields := wheel[:len(wheel)-1]
	tests := []struct {
		name   string
		parts  []part
		limits Limits
		code   string
		kind   fault.Kind
		field  string
		stored bool // whether store ran before the error
	}{
		{"missing :action", edit(":action", nil), Limits{}, CodeFieldMissing, fault.KindBadRequest, ":action", true},
		{"register", edit(":action", ptr("submit")), Limits{}, CodeActionUnsupported, fault.KindBadRequest, ":action", false},
		{"doc upload", edit(":action", ptr("doc_upload")), Limits{}, CodeActionUnsupported, fault.KindBadRequest, ":action", false},
		{"protocol 2", edit("protocol_version", ptr("2")), Limits{}, CodeProtocolUnsupported, fault.KindBadRequest, "protocol_version", false},
		{"missing name", edit("name", nil), Limits{}, CodeFieldMissing, fault.KindBadRequest, "name", true},
		{"invalid name", edit("name", ptr("foo bar")), Limits{}, CodeFieldInvalid, fault.KindBadRequest, "name", false},
		{"missing version", edit("version", nil), Limits{}, CodeFieldMissing, fault.KindBadRequest, "version", true},
		{"invalid version", edit("version", ptr("1.0-beta-gamma")), Limits{}, CodeFieldInvalid, fault.KindBadRequest, "version", false},
		{"missing filetype", edit("filetype", nil), Limits{}, CodeFieldMissing, fault.KindBadRequest, "filetype", true},
		{"egg", edit("filetype", ptr("bdist_egg")), Limits{}, CodeFieldInvalid, fault.KindBadRequest, "filetype", false},
		{"missing pyversion", edit("pyversion", nil), Limits{}, CodeFieldMissing, fault.KindBadRequest, "pyversion", true},
		{"missing metadata_version", edit("metadata_version", nil), Limits{}, CodeFieldMissing, fault.KindBadRequest, "metadata_version", true},
		{"bad metadata_version", edit("metadata_version", ptr("2")), Limits{}, CodeFieldInvalid, fault.KindBadRequest, "metadata_version", false},
		{"short sha256", edit("sha256_digest", ptr(strings.Repeat("a", 63))), Limits{}, CodeDigestInvalid, fault.KindBadRequest, "sha256_digest", false},
		{"long sha256", edit("sha256_digest", ptr(strings.Repeat("a", 66))), Limits{}, CodeDigestInvalid, fault.KindBadRequest, "sha256_digest", false},
		{"sha256 not hex", edit("sha256_digest", ptr(strings.Repeat("g", 64))), Limits{}, CodeDigestInvalid, fault.KindBadRequest, "sha256_digest", false},
		{"sha256 base64", edit("sha256_digest", ptr("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")), Limits{}, CodeDigestInvalid, fault.KindBadRequest, "sha256_digest", false},
		{"md5 of sha256 length", edit("md5_digest", ptr(strings.Repeat("a", 64))), Limits{}, CodeDigestInvalid, fault.KindBadRequest, "md5_digest", false},
		{"blake2 short", edit("blake2_256_digest", ptr(strings.Repeat("a", 32))), Limits{}, CodeDigestInvalid, fault.KindBadRequest, "blake2_256_digest", false},
		{"no digest", append(append([]part{}, filter(fields, "sha256_digest", "md5_digest", "blake2_256_digest")...), content), Limits{}, CodeDigestMissing, fault.KindBadRequest, "sha256_digest", true},
		{"sdist pyversion", twineFormWith("foo", "1.0", FileTypeSdist, "foo-1.0.tar.gz", "pyversion", "py3"), Limits{}, CodeFieldInvalid, fault.KindBadRequest, "pyversion", true},
		{"path traversal", append(append([]part{}, fields...), file("content", "../../foo_bar-1.0rc1-py3-none-any.whl", "x")), Limits{}, CodeFilenameInvalid, fault.KindBadRequest, "", false},
		{"absolute path", append(append([]part{}, fields...), file("content", "/tmp/foo_bar-1.0rc1-py3-none-any.whl", "x")), Limits{}, CodeFilenameInvalid, fault.KindBadRequest, "", false},
		{"windows path", append(append([]part{}, fields...), file("content", `C:\dist\foo_bar-1.0rc1-py3-none-any.whl`, "x")), Limits{}, CodeFilenameInvalid, fault.KindBadRequest, "", false},
		{"control character", append(append([]part{}, fields...), file("content", "foo_bar-1.0rc1-py3-none-any\r.whl", "x")), Limits{}, CodeFilenameInvalid, fault.KindBadRequest, "", false},
		{"egg file", append(append([]part{}, fields...), file("content", "foo_bar-1.0rc1-py3.12.egg", "x")), Limits{}, CodeFilenameInvalid, fault.KindBadRequest, "", false},
		{"other project", append(append([]part{}, fields...), file("content", "other-1.0rc1-py3-none-any.whl", "x")), Limits{}, CodeFilenameMismatch, fault.KindBadRequest, "name", false},
		{"other version", append(append([]part{}, fields...), file("content", "foo_bar-1.0-py3-none-any.whl", "x")), Limits{}, CodeFilenameMismatch, fault.KindBadRequest, "version", false},
		{"sdist as wheel", append(append([]part{}, fields...), file("content", "foo_bar-1.0rc1.tar.gz", "x")), Limits{}, CodeFilenameMismatch, fault.KindBadRequest, "filetype", false},
		{"two content parts", append(append([]part{}, wheel...), content), Limits{}, CodeDuplicateContent, fault.KindBadRequest, "content", true},
		{"missing content", fields, Limits{}, CodeMissingContent, fault.KindBadRequest, "content", false},
		{"content not a file", append(append([]part{}, fields...), text("content", "x")), Limits{}, CodeFormInvalid, fault.KindBadRequest, "content", false},
		{"empty filename", append(append([]part{}, fields...), file("content", "", "x")), Limits{}, CodeFormInvalid, fault.KindBadRequest, "content", false},
		{"empty content", append(append([]part{}, fields...), file("content", wheelName, "")), Limits{}, CodeContentEmpty, fault.KindBadRequest, "content", true},
		{"name twice", edit("x", nil, text("name", "Foo.Bar")), Limits{}, CodeFormInvalid, fault.KindBadRequest, "name", false},
		{"summary twice", edit("x", nil, text("summary", "again")), Limits{}, CodeFormInvalid, fault.KindBadRequest, "summary", false},
		{"not UTF-8", edit("summary", ptr("caf\xe9")), Limits{}, CodeFieldInvalid, fault.KindBadRequest, "summary", false},
		{"NUL", edit("description", ptr("a\x00b")), Limits{}, CodeFieldInvalid, fault.KindBadRequest, "description", false},
		{"field too large", edit("summary", ptr(strings.Repeat("s", 64<<10+1))), Limits{}, CodeFieldTooLarge, fault.KindTooLarge, "summary", false},
		{"description too large", edit("description", ptr(strings.Repeat("d", 1<<20+1))), Limits{}, CodeFieldTooLarge, fault.KindTooLarge, "description", false},
		{"custom field limit", edit("license", ptr(strings.Repeat("l", 101))), Limits{FieldBytes: 100}, CodeFieldTooLarge, fault.KindTooLarge, "license", false},
		{"total too large", edit("x", nil, repeat(text("classifiers", strings.Repeat("c", 1000)), 60)...), Limits{TotalBytes: 50_000}, CodeFormTooLarge, fault.KindTooLarge, "", false},
		{"too many parts", edit("x", nil, repeat(text("classifiers", "c"), 1000)...), Limits{}, CodeFormTooLarge, fault.KindTooLarge, "", false},
		{"part without name", edit("x", nil, part{raw: textproto.MIMEHeader{"Content-Disposition": {"form-data"}}, value: "x"}), Limits{}, CodeFormInvalid, fault.KindBadRequest, "", false},
		{"part without disposition", edit("x", nil, part{raw: textproto.MIMEHeader{"Content-Type": {"text/plain"}}, value: "x"}), Limits{}, CodeFormInvalid, fault.KindBadRequest, "", false},
		{"attachment disposition", edit("x", nil, part{raw: textproto.MIMEHeader{"Content-Disposition": {`attachment; name="x"`}}, value: "x"}), Limits{}, CodeFormInvalid, fault.KindBadRequest, "", false},
		{"odd field name", edit("x", nil, text("a b", "x")), Limits{}, CodeFormInvalid, fault.KindBadRequest, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rec, err := parse(t, form(t, tt.parts), tt.limits)
			fe := wantCode(t, err, tt.code)
			if fe.Kind != tt.kind {
				t.Fatalf("kind %v, want %v", fe.Kind, tt.kind)
			}
			if tt.field != "" && fe.Details["field"] != tt.field {
				t.Fatalf("details %v, want field %s", fe.Details, tt.field)
			}
			if (rec.calls > 0) != tt.stored {
				t.Fatalf("store called %d times, want stored=%v", rec.calls, tt.stored)
			}
		})
	}
}

func filter(parts []part, drop ...string) []part {
	var out []part
	for _, p := range parts {
		keep := true
		for _, d := range drop {
			keep = keep && p.name != d
		}
		if keep {
			out = append(out, p)
		}
	}
	return out
}

func repeat(p part, n int) []part {
	out := make([]part, n)
	for i := range out {
		out[i] = p
	}
	return out
}

func twineFormWith(name, version, filetype, filename, field, value string) []part {
	parts := twineForm(name, version, filetype, filename, "x")
	for i := range parts {
		if parts[i].name == field {
			parts[i].value = value
		}
	}
	return parts
}

func TestParseUploadContentType(t *testing.T) {
	body := form(t, wheelForm())
	for _, ct := range []string{"", "application/json", "application/x-www-form-urlencoded", "multipart/form-data",
		"multipart/mixed; boundary=" + testBoundary, "multipart/form-data; boundary=", "multipart/form-data; boundary=\"unterminated"} {
		t.Run(ct, func(t *testing.T) {
			called := false
			_, err := ParseUpload(bytes.NewReader(body), ct, Limits{}, func(string, string, io.Reader) error { called = true; return nil })
			fe := wantCode(t, err, CodeNotMultipart)
			if fe.Kind != fault.KindUnsupportedMedia || fe.Kind.HTTPStatus() != http.StatusUnsupportedMediaType || called {
				t.Fatalf("kind %v, store called %v", fe.Kind, called)
			}
		})
	}
	// The media type and parameter names are case-insensitive.
	if _, err := ParseUpload(bytes.NewReader(body), "Multipart/Form-Data; Boundary="+testBoundary, Limits{}, (&recorder{}).store); err != nil {
		t.Fatal(err)
	}
}

// TestParseUploadTruncated cuts a valid body at every length: each prefix
// is refused with a 4xx code and never accepted.
func TestParseUploadTruncated(t *testing.T) {
	body := form(t, wheelForm())
	for n := 0; n < len(body); n++ {
		rec := &recorder{}
		u, err := ParseUpload(bytes.NewReader(body[:n]), formContentType, Limits{}, rec.store)
		if err == nil {
			// The CRLF after the close delimiter is optional.
			if bytes.HasSuffix(body[:n], []byte("--"+testBoundary+"--")) || bytes.HasSuffix(body[:n], []byte("--"+testBoundary+"--\r")) {
				continue
			}
			t.Fatalf("a body cut at %d of %d bytes was accepted: %+v", n, len(body), u)
		}
		fe := fault.As(err)
		if fe == nil || fe.Kind.HTTPStatus() < 400 || fe.Kind.HTTPStatus() >= 500 {
			t.Fatalf("cut at %d: %v is not a 4xx fault", n, err)
		}
	}
	// Cut inside the content: the store sees the failure as a read error.
	cut := bytes.Index(body, []byte("wheel bytes")) + 5
	var storeErr error
	_, err := ParseUpload(bytes.NewReader(body[:cut]), formContentType, Limits{}, func(_, _ string, r io.Reader) error {
		_, storeErr = io.ReadAll(r)
		return fmt.Errorf("ingest: %w", storeErr)
	})
	wantCode(t, err, CodeFormInvalid)
	wantCode(t, storeErr, CodeFormInvalid)
}

func TestParseUploadStoreError(t *testing.T) {
	errIngest := errors.New("disk full")
	_, err := ParseUpload(bytes.NewReader(form(t, wheelForm())), formContentType, Limits{}, func(_, _ string, r io.Reader) error {
		io.CopyN(io.Discard, r, 3)
		return errIngest
	})
	if err != errIngest {
		t.Fatalf("store's error came back as %v", err)
	}
	// A store that stops early without an error is a bug, not a success.
	_, err = ParseUpload(bytes.NewReader(form(t, wheelForm())), formContentType, Limits{}, func(_, _ string, r io.Reader) error {
		io.CopyN(io.Discard, r, 3)
		return nil
	})
	fe := wantCode(t, err, CodeContentUnread)
	if fe.Kind != fault.KindInternal {
		t.Fatalf("kind %v", fe.Kind)
	}
}

func TestParseUploadMaxBytes(t *testing.T) {
	body := form(t, wheelForm())
	limited := http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(bytes.NewReader(body)), int64(len(body)-10))
	_, err := ParseUpload(limited, formContentType, Limits{}, (&recorder{}).store)
	fe := wantCode(t, err, CodeUploadTooLarge)
	if fe.Kind != fault.KindTooLarge {
		t.Fatalf("kind %v", fe.Kind)
	}
	// Cut inside the text fields.
	limited = http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(bytes.NewReader(body)), 100)
	_, err = ParseUpload(limited, formContentType, Limits{}, (&recorder{}).store)
	wantCode(t, err, CodeUploadTooLarge)
}

func TestParseUploadDetails(t *testing.T) {
	// Upper-case digests are accepted and lower-cased; gpg_signature is
	// dropped; unknown fields are kept; a field sent once that may repeat
	// is an array in the manifest; comment stays out of it.
	sha := strings.ToUpper(hexSHA256("wheel bytes"))
	parts := edit("sha256_digest", &sha,
		file("gpg_signature", wheelName+".asc", "-----BEGIN PGP SIGNATURE-----"),
		text("comment", "built on CI"),
		text("x_custom", "1"), text("x_custom", "2"),
		text("dynamic", "Requires-Dist"),
	)
	u, _, err := parse(t, form(t, parts), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if u.SHA256 != strings.ToLower(sha) {
		t.Fatalf("sha256 %q", u.SHA256)
	}
	if _, ok := u.Metadata["gpg_signature"]; ok {
		t.Fatal("gpg_signature kept")
	}
	if got := u.Metadata["x_custom"]; !reflect.DeepEqual(got, []string{"1", "2"}) {
		t.Fatalf("x_custom %q", got)
	}
	if got := u.Metadata["comment"]; !reflect.DeepEqual(got, []string{"built on CI"}) {
		t.Fatalf("comment %q", got)
	}
	raw, err := u.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["comment"]; ok {
		t.Fatalf("comment in manifest %s", raw)
	}
	if !reflect.DeepEqual(m["dynamic"], []any{"Requires-Dist"}) || !reflect.DeepEqual(m["x_custom"], []any{"1", "2"}) {
		t.Fatalf("manifest %s", raw)
	}
	for _, k := range []string{"sha256_digest", "md5_digest", "filetype", "pyversion", ":action", "protocol_version", "content"} {
		if _, ok := m[k]; ok {
			t.Fatalf("per-file field %s in manifest %s", k, raw)
		}
	}
	// The limits are inclusive: a description of exactly 1 MiB passes.
	u, _, err = parse(t, form(t, edit("description", ptr(strings.Repeat("d", 1<<20)))), Limits{})
	if err != nil || len(u.Metadata["description"][0]) != 1<<20 {
		t.Fatalf("1 MiB description: %v", err)
	}
	// A filename the Go multipart package would quietly shorten to its
	// base name is refused, not shortened.
	_, _, err = parse(t, form(t, append(wheelForm()[:len(wheelForm())-1], part{
		raw:   textproto.MIMEHeader{"Content-Disposition": {`form-data; name="content"; filename*=UTF-8''..%2F` + wheelName}},
		value: "x",
	})), Limits{})
	wantCode(t, err, CodeFilenameInvalid)
}

// TestParseUploadStreams checks that store reads the content while the
// body is still arriving: the writer holds back the rest of the body until
// store has seen the first bytes, which a buffering parser would never do.
func TestParseUploadStreams(t *testing.T) {
	body := form(t, edit("sha256_digest", ptr(strings.Repeat("0", 64))))
	// Replace the content with 8 MiB and split the body after its first MiB.
	cut := bytes.Index(body, []byte("wheel bytes"))
	big := bytes.Repeat([]byte("w"), 8<<20)
	full := append(append(append([]byte{}, body[:cut]...), big...), body[cut+len("wheel bytes"):]...)
	first, rest := full[:cut+1<<20], full[cut+1<<20:]

	pr, pw := io.Pipe()
	seen := make(chan struct{})
	go func() {
		pw.Write(first)
		select {
		case <-seen:
			pw.Write(rest)
			pw.Close()
		case <-time.After(10 * time.Second):
			pw.CloseWithError(errors.New("store did not see the content before the body ended"))
		}
	}()
	var n int64
	_, err := ParseUpload(pr, formContentType, Limits{}, func(_, _ string, r io.Reader) error {
		buf := make([]byte, 32<<10)
		once := false
		for {
			k, err := r.Read(buf)
			n += int64(k)
			if n > 0 && !once {
				once = true
				close(seen)
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(big)) {
		t.Fatalf("store read %d bytes, want %d", n, len(big))
	}
}

// fuzzForm expands the compact form description FuzzParseUpload mutates
// into a multipart body with the boundary "B". Short inputs keep the
// fuzzer's minimisation of each new input quick; a raw body of a few KiB
// makes it run for longer than a fuzz pass. One part per line:
// "name=value" is a text field, "@name=filename|content" a file,
// "~raw" a part written verbatim with `\n` standing for CRLF (hostile
// headers); a line "!" ends the body there, followed by the remaining
// lines raw and no closing delimiter.
func fuzzForm(spec []byte) []byte {
	var b bytes.Buffer
	lines := bytes.Split(spec, []byte("\n"))
	for i, line := range lines {
		if string(line) == "!" {
			b.Write(bytes.Join(lines[i+1:], []byte("\r\n")))
			return b.Bytes()
		}
		b.WriteString("--B\r\n")
		switch {
		case bytes.HasPrefix(line, []byte("~")):
			b.Write(bytes.ReplaceAll(line[1:], []byte(`\n`), []byte("\r\n")))
		case bytes.HasPrefix(line, []byte("@")):
			name, rest, _ := bytes.Cut(line[1:], []byte("="))
			filename, content, _ := bytes.Cut(rest, []byte("|"))
			fmt.Fprintf(&b, "Content-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n\r\n%s", name, filename, content)
		default:
			name, value, _ := bytes.Cut(line, []byte("="))
			fmt.Fprintf(&b, "Content-Disposition: form-data; name=\"%s\"\r\n\r\n%s", name, value)
		}
		b.WriteString("\r\n")
	}
	b.WriteString("--B--\r\n")
	return b.Bytes()
}

const fuzzWheel = "name=Foo.Bar\nversion=1.0rc1\nfiletype=bdist_wheel\npyversion=py3\nmetadata_version=2.1\n" +
	"md5_digest=0123456789abcdef0123456789abcdef\n:action=file_upload\n@content=foo_bar-1.0rc1-py3-none-any.whl|PK"

func TestFuzzForm(t *testing.T) {
	u, err := ParseUpload(bytes.NewReader(fuzzForm([]byte(fuzzWheel))), "multipart/form-data; boundary=B", Limits{}, (&recorder{}).store)
	if err != nil || u.Filename != "foo_bar-1.0rc1-py3-none-any.whl" || u.Size != 2 {
		t.Fatalf("%+v %v", u, err)
	}
}

func FuzzParseUpload(f *testing.F) {
	f.Add([]byte(fuzzWheel))
	f.Add([]byte("@content=foo-2.0.tar.gz|x\nname=foo\nversion=2.0\nfiletype=sdist\nmetadata_version=2.1\n" +
		"sha256_digest=" + strings.Repeat("0", 64) + "\n:action=file_upload\nclassifiers=a\nclassifiers=b\nsummary=s"))
	f.Add([]byte(fuzzWheel + "\n@content=foo_bar-1.0rc1-py3-none-any.whl|PK"))
	f.Add([]byte("name=foo\n~Content-Disposition: form-data; name=\"x\"; filename*=UTF-8''a%2Fb\\n\\nv\n@content=../foo-1.0.zip|x"))
	f.Add([]byte("name=foo\ndescription=d\n!\n--B\nContent-Disposition: form-data; name=\"content\"; filename=\"foo-1.0.zip\"\n\nabc"))
	f.Fuzz(func(t *testing.T, spec []byte) {
		var stored int64
		u, err := ParseUpload(bytes.NewReader(fuzzForm(spec)), "multipart/form-data; boundary=B", Limits{FieldBytes: 256, DescriptionBytes: 1024, TotalBytes: 4096, Fields: 64},
			func(_, _ string, r io.Reader) error {
				var err error
				stored, err = io.Copy(io.Discard, r)
				return err
			})
		if err != nil {
			fe := fault.As(err)
			if fe == nil || fe.Code == "" {
				t.Fatalf("error %v is not a coded fault", err)
			}
			if s := fe.Kind.HTTPStatus(); s < 400 || s >= 500 {
				t.Fatalf("error %v answers %d", err, s)
			}
			return
		}
		if u.Size != stored || u.Size == 0 {
			t.Fatalf("size %d, stored %d", u.Size, stored)
		}
		d, err := ParseFilename(u.Filename)
		if err != nil || d != u.Dist {
			t.Fatalf("filename %q: %+v %v", u.Filename, d, err)
		}
		if err := d.Check(u.Name, u.Version, u.FileType); err != nil {
			t.Fatalf("accepted a mismatched file: %v", err)
		}
		raw, err := u.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if err := pyformat.New().ValidateManifest(format.Coordinates{Name: u.Project, Version: u.Version}, raw); err != nil {
			t.Fatalf("manifest %s: %v", raw, err)
		}
	})
}

package pypi_test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/crypto/blake2b"

	"github.com/artifortress/artifortress/internal/native/pypi"
	"github.com/artifortress/artifortress/internal/servertest"
)

func sha256Hex(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

// wheelBytes is a minimal wheel of name-version with core metadata.
func wheelBytes(t *testing.T, dist, version, requiresPython string) []byte {
	md := "Metadata-Version: 2.1\nName: " + dist + "\nVersion: " + version + "\n"
	if requiresPython != "" {
		md += "Requires-Python: " + requiresPython + "\n"
	}
	info := dist + "-" + version + ".dist-info/"
	return pypi.GoWheel(t, [2]string{dist + ".py", "x = 1\n"}, [2]string{info + "METADATA", md},
		[2]string{info + "WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}, [2]string{info + "RECORD", ""})
}

// upload posts a twine form for content as filename, as token.
func upload(t *testing.T, env *servertest.Env, repoKey, token, name, version, filetype, filename string, content []byte) *servertest.Response {
	t.Helper()
	body, ct := pypi.TwineBody(t, name, version, filetype, filename, string(content))
	req := env.Request(t, "POST", "/r/"+repoKey+"/", body)
	req.Header.Set("Content-Type", ct)
	if token != "" {
		req.SetBasicAuth("__token__", token)
	}
	return env.Send(t, req)
}

func get(t *testing.T, env *servertest.Env, path, token, accept string) *servertest.Response {
	t.Helper()
	req := env.Request(t, "GET", path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if token != "" {
		req.SetBasicAuth("__token__", token)
	}
	return env.Send(t, req)
}

// codeOf reads the "<code>: <message>" of a PyPI error.
func codeOf(r *servertest.Response) string {
	code, _, _ := strings.Cut(string(r.Body), ":")
	return code
}

type page struct {
	Meta struct {
		APIVersion string `json:"api-version"`
	}
	Name     string
	Versions []string
	Files    []struct {
		Filename       string
		URL            string
		Hashes         map[string]string
		RequiresPython string `json:"requires-python"`
		Yanked         any
		CoreMetadata   any `json:"core-metadata"`
		Size           int64
	}
}

func startPyPI(t *testing.T) *servertest.Env {
	t.Helper()
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "py", map[string]any{"format": "pypi"})
	return env
}

// TestUploadAndSimpleIndex: a wheel and an sdist uploaded one by one make
// one release; the project page (PEP 503 HTML and PEP 691 JSON) lists both
// with their SHA-256, Requires-Python and the wheel's PEP 658 metadata,
// whose sidecar serves the wheel's METADATA; names redirect to their
// normal form; the same file again is 200, other bytes 409.
func TestUploadAndSimpleIndex(t *testing.T) {
	env := startPyPI(t)
	admin := env.AdminToken
	wheel := wheelBytes(t, "foo_bar", "1.0", ">=3.8")
	sdist := []byte("an sdist's bytes")
	if r := upload(t, env, "py", admin, "Foo.Bar", "1.0", pypi.FileTypeWheel, "foo_bar-1.0-py3-none-any.whl", wheel); r.Status != 200 {
		t.Fatalf("wheel: %d %s", r.Status, r.Body)
	}
	if r := upload(t, env, "py", admin, "Foo.Bar", "1.0", pypi.FileTypeSdist, "foo_bar-1.0.tar.gz", sdist); r.Status != 200 {
		t.Fatalf("sdist: %d %s", r.Status, r.Body)
	}
	if r := upload(t, env, "py", admin, "Foo.Bar", "1.0", pypi.FileTypeSdist, "foo_bar-1.0.tar.gz", sdist); r.Status != 200 {
		t.Errorf("the same sdist again: %d %s", r.Status, r.Body)
	}
	if r := upload(t, env, "py", admin, "Foo.Bar", "1.0", pypi.FileTypeSdist, "foo_bar-1.0.tar.gz", []byte("other")); r.Status != 409 || codeOf(r) != "file_exists" {
		t.Errorf("other bytes under a published name: %d %s", r.Status, r.Body)
	}
	// The refused bytes are not readable by digest either.
	if r := env.Do(t, "GET", "/v1/repos/py/blobs/sha256:"+sha256Hex([]byte("other")), admin, nil); r.Status != 404 {
		t.Errorf("the blob of a refused upload: %d %s", r.Status, r.Body)
	}

	// PyPI's rules beyond paths: one sdist per release; the same
	// distribution under another spelling is the file that exists.
	if r := upload(t, env, "py", admin, "Foo.Bar", "1.0", pypi.FileTypeSdist, "foo_bar-1.0.zip", []byte("zip sdist")); r.Status != 400 || codeOf(r) != "pypi_sdist_exists" {
		t.Errorf("a second sdist: %d %s", r.Status, r.Body)
	}
	if r := upload(t, env, "py", admin, "Foo.Bar", "1.0.0", pypi.FileTypeWheel, "Foo.Bar-1.0.0-py3-none-any.whl", wheel); r.Status != 409 || codeOf(r) != "file_exists" {
		t.Errorf("the wheel under another spelling: %d %s", r.Status, r.Body)
	}

	r := get(t, env, "/r/py/simple/foo-bar/", admin, pypi.MediaTypeV1JSON)
	var p page
	r.JSON(t, &p)
	if r.Header.Get("Content-Type") != pypi.MediaTypeV1JSON || p.Name != "foo-bar" || len(p.Files) != 2 || p.Meta.APIVersion != "1.1" {
		t.Fatalf("JSON page: %s %s", r.Header.Get("Content-Type"), r.Body)
	}
	for _, f := range p.Files {
		want := sdist
		if strings.HasSuffix(f.Filename, ".whl") {
			want = wheel
			if md, ok := f.CoreMetadata.(map[string]any); !ok || md["sha256"] == "" {
				t.Errorf("wheel without core-metadata: %v", f.CoreMetadata)
			}
			sidecar := get(t, env, strings.TrimPrefix(f.URL, env.URL)+".metadata", admin, "")
			if sidecar.Status != 200 || !strings.Contains(string(sidecar.Body), "Requires-Python: >=3.8") ||
				sha256Hex(sidecar.Body) != f.CoreMetadata.(map[string]any)["sha256"] {
				t.Errorf("metadata sidecar: %d %s", sidecar.Status, sidecar.Body)
			}
		}
		if f.Hashes["sha256"] != sha256Hex(want) || f.RequiresPython != ">=3.8" || f.Yanked != false {
			t.Errorf("file %+v", f)
		}
		dl := get(t, env, strings.TrimPrefix(f.URL, env.URL), admin, "")
		if dl.Status != 200 || !bytes.Equal(dl.Body, want) {
			t.Errorf("download %s: %d", f.URL, dl.Status)
		}
	}

	html := get(t, env, "/r/py/simple/foo-bar/", admin, "text/html")
	for _, want := range []string{`#sha256=` + sha256Hex(wheel), `data-requires-python="&gt;=3.8"`, `data-dist-info-metadata="sha256=`, `data-core-metadata="sha256=`} {
		if !strings.Contains(string(html.Body), want) {
			t.Errorf("HTML page lacks %s:\n%s", want, html.Body)
		}
	}
	noFollow := *env.HTTP.Client()
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for path, want := range map[string]string{
		"/r/py/simple/Foo.Bar/": env.URL + "/r/py/simple/foo-bar/",
		"/r/py/simple/foo_bar":  env.URL + "/r/py/simple/foo-bar/",
		"/r/py/simple/foo-bar":  env.URL + "/r/py/simple/foo-bar/",
		"/r/py/simple":          env.URL + "/r/py/simple/",
	} {
		req := env.Request(t, "GET", path, nil)
		req.SetBasicAuth("__token__", admin)
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 301 || resp.Header.Get("Location") != want {
			t.Errorf("%s: %d %q, want 301 %q", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	if r := get(t, env, "/r/py/simple/", admin, pypi.MediaTypeV1JSON); !strings.Contains(string(r.Body), `"name":"foo-bar"`) {
		t.Errorf("index: %s", r.Body)
	}
	if r := get(t, env, "/r/py/simple/foo-bar/", admin, "application/xml"); r.Status != 406 {
		t.Errorf("unacceptable Accept: %d", r.Status)
	}
	if r := get(t, env, "/r/py/simple/nothing/", admin, ""); r.Status != 404 {
		t.Errorf("unknown project: %d", r.Status)
	}

	// Yanking is a deprecation notice (PEP 592: pip skips the release
	// unless pinned).
	env.Must(t, 200, "PUT", "/v1/repos/py/packages/foo-bar/versions/1.0/deprecation", admin, map[string]any{"message": "broken build"})
	r = get(t, env, "/r/py/simple/foo-bar/", admin, pypi.MediaTypeV1JSON)
	r.JSON(t, &p)
	if p.Files[0].Yanked != "broken build" {
		t.Errorf("yanked: %v", p.Files[0].Yanked)
	}
}

// TestUploadRefusesBadInput: bad forms, wrong digests, mismatched names,
// hostile wheels and oversized bodies get a clear 4xx with a stable code
// and leave no release behind.
func TestUploadRefusesBadInput(t *testing.T) {
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "py", map[string]any{"format": "pypi", "settings": map[string]any{"maxBlobBytes": 4096}})
	admin := env.AdminToken
	wheel := wheelBytes(t, "pkg", "1.0", "")
	form := func(name, version, filetype, filename string, content []byte, edit func(string) string) ([]byte, string) {
		body, ct := pypi.TwineBody(t, name, version, filetype, filename, string(content))
		if edit != nil {
			body = []byte(edit(string(body)))
		}
		return body, ct
	}
	for _, tc := range []struct {
		name   string
		body   []byte
		ct     string
		status int
		code   string
	}{
		{"not multipart", []byte(`{"name":"pkg"}`), "application/json", 415, "pypi_form_not_multipart"},
		{"truncated", func() []byte {
			b, _ := form("pkg", "1.0", pypi.FileTypeWheel, "pkg-1.0-py3-none-any.whl", wheel, nil)
			return b[:len(b)/2]
		}(), "", 400, ""},
		{"name mismatch", nil, "", 400, "pypi_filename_mismatch"},
		{"wrong sha256", nil, "", 400, "pypi_digest_mismatch"},
		{"wrong md5", nil, "", 400, "pypi_digest_mismatch"},
		{"wrong blake2", nil, "", 400, "pypi_digest_mismatch"},
		{"path in the file name", nil, "", 400, "pypi_filename_invalid"},
		{"not a wheel", nil, "", 400, "pypi_wheel_invalid"},
		{"oversized", nil, "", 413, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := tc.body, tc.ct
			switch tc.name {
			case "truncated":
				_, ct = form("pkg", "1.0", pypi.FileTypeWheel, "pkg-1.0-py3-none-any.whl", wheel, nil)
			case "name mismatch":
				body, ct = form("pkg", "1.0", pypi.FileTypeWheel, "other-1.0-py3-none-any.whl", wheel, nil)
			case "wrong sha256":
				body, ct = form("pkg", "1.0", pypi.FileTypeWheel, "pkg-1.0-py3-none-any.whl", wheel, func(s string) string {
					return strings.Replace(s, sha256Hex(wheel), strings.Repeat("0", 64), 1)
				})
			case "wrong md5", "wrong blake2":
				sum := md5.Sum(wheel)
				declared := hex.EncodeToString(sum[:])
				if tc.name == "wrong blake2" {
					sum := blake2b.Sum256(wheel)
					declared = hex.EncodeToString(sum[:])
				}
				body, ct = form("pkg", "1.0", pypi.FileTypeWheel, "pkg-1.0-py3-none-any.whl", wheel, func(s string) string {
					return strings.Replace(s, declared, strings.Repeat("0", len(declared)), 1)
				})
			case "path in the file name":
				body, ct = form("pkg", "1.0", pypi.FileTypeSdist, "../pkg-1.0.tar.gz", []byte("x"), nil)
			case "not a wheel":
				body, ct = form("pkg", "1.0", pypi.FileTypeWheel, "pkg-1.0-py3-none-any.whl", []byte("not a zip"), nil)
			case "oversized":
				big := bytes.Repeat([]byte("x"), 5000)
				body, ct = form("pkg", "1.0", pypi.FileTypeSdist, "pkg-1.0.tar.gz", big, nil)
			}
			req := env.Request(t, "POST", "/r/py/", body)
			req.Header.Set("Content-Type", ct)
			req.SetBasicAuth("__token__", admin)
			r := env.Send(t, req)
			if r.Status != tc.status || (tc.code != "" && codeOf(r) != tc.code) {
				t.Errorf("%d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
		})
	}
	if r := get(t, env, "/r/py/simple/pkg/", admin, ""); r.Status != 404 {
		t.Errorf("refused uploads left a release: %d %s", r.Status, r.Body)
	}
}

// TestAuthorization: pip and twine get the Basic challenge they answer;
// each caller is held to its role on every PyPI endpoint.
func TestAuthorization(t *testing.T) {
	env := startPyPI(t)
	env.CreateRepo(t, "pub", map[string]any{"format": "pypi", "settings": map[string]any{"anonymousRead": true}})
	reader := env.Token(t, "r", "repo:py:read")
	writer := env.Token(t, "w", "repo:py:write")
	wheel := wheelBytes(t, "pkg", "1.0", "")
	if r := upload(t, env, "py", writer, "pkg", "1.0", pypi.FileTypeWheel, "pkg-1.0-py3-none-any.whl", wheel); r.Status != 200 {
		t.Fatalf("writer upload: %d %s", r.Status, r.Body)
	}
	if r := upload(t, env, "py", reader, "pkg", "1.1", pypi.FileTypeWheel, "pkg-1.1-py3-none-any.whl", wheelBytes(t, "pkg", "1.1", "")); r.Status != 403 {
		t.Errorf("reader upload: %d", r.Status)
	}
	r := upload(t, env, "py", "", "pkg", "1.1", pypi.FileTypeWheel, "pkg-1.1-py3-none-any.whl", wheel)
	if r.Status != 401 || !strings.Contains(strings.Join(r.Header.Values("WWW-Authenticate"), ","), "Basic") {
		t.Errorf("anonymous upload: %d %v", r.Status, r.Header)
	}
	for _, path := range []string{"/r/py/simple/", "/r/py/simple/pkg/", "/r/py/files/pkg/1.0/pkg-1.0-py3-none-any.whl"} {
		if r := get(t, env, path, "", ""); r.Status != 401 {
			t.Errorf("anonymous %s: %d", path, r.Status)
		}
		if r := get(t, env, path, reader, ""); r.Status != 200 {
			t.Errorf("reader %s: %d", path, r.Status)
		}
	}
	if r := upload(t, env, "pub", admin(env), "pkg", "1.0", pypi.FileTypeWheel, "pkg-1.0-py3-none-any.whl", wheel); r.Status != 200 {
		t.Fatalf("upload to pub: %d", r.Status)
	}
	if r := get(t, env, "/r/pub/simple/pkg/", "", ""); r.Status != 200 {
		t.Errorf("anonymous read of an anonymousRead repository: %d", r.Status)
	}
	if r := upload(t, env, "pub", "", "pkg", "2.0", pypi.FileTypeWheel, "pkg-2.0-py3-none-any.whl", wheel); r.Status != 401 {
		t.Errorf("anonymous upload to an anonymousRead repository: %d", r.Status)
	}
}

func admin(env *servertest.Env) string { return env.AdminToken }

// TestQuarantine: a release a policy holds is uploaded (202) but absent
// from the project page, and its files answer 423.
func TestQuarantine(t *testing.T) {
	env := startPyPI(t)
	env.Must(t, 201, "POST", "/v1/repos/py/policies", env.AdminToken, map[string]any{
		"name": "hold-all", "expression": "false", "action": "quarantine",
	})
	wheel := wheelBytes(t, "pkg", "1.0", "")
	if r := upload(t, env, "py", env.AdminToken, "pkg", "1.0", pypi.FileTypeWheel, "pkg-1.0-py3-none-any.whl", wheel); r.Status != 202 {
		t.Fatalf("held upload: %d %s", r.Status, r.Body)
	}
	if r := get(t, env, "/r/py/simple/pkg/", env.AdminToken, ""); r.Status != 404 {
		t.Errorf("project page of a held release: %d %s", r.Status, r.Body)
	}
	if r := get(t, env, "/r/py/files/pkg/1.0/pkg-1.0-py3-none-any.whl", env.AdminToken, ""); r.Status != 423 {
		t.Errorf("file of a held release: %d %s", r.Status, r.Body)
	}
	var v struct{ Items []json.RawMessage }
	env.Must(t, 200, "GET", "/v1/repos/py/quarantine", env.AdminToken, nil).JSON(t, &v)
	if len(v.Items) != 1 {
		t.Errorf("quarantine lane: %d items", len(v.Items))
	}
}

// TestPageFollowsEveryChange: a local project page is rendered once per
// package revision, and every change it shows moves the revision: a file
// added to a release, a yank, a tombstone and a restore are visible on the
// next request.
func TestPageFollowsEveryChange(t *testing.T) {
	env := startPyPI(t)
	admin := env.AdminToken
	files := func() []string {
		t.Helper()
		var p page
		r := get(t, env, "/r/py/simple/pkg/", admin, pypi.MediaTypeV1JSON)
		if r.Status == 404 {
			return nil
		}
		r.JSON(t, &p)
		var out []string
		for _, f := range p.Files {
			s := f.Filename
			if f.Yanked != false {
				s += " (yanked)"
			}
			out = append(out, s)
		}
		return out
	}
	upload(t, env, "py", admin, "pkg", "1.0", pypi.FileTypeWheel, "pkg-1.0-py3-none-any.whl", wheelBytes(t, "pkg", "1.0", ""))
	if got := strings.Join(files(), ","); got != "pkg-1.0-py3-none-any.whl" {
		t.Fatalf("first page: %s", got)
	}
	files() // served from the cache
	upload(t, env, "py", admin, "pkg", "1.0", pypi.FileTypeSdist, "pkg-1.0.tar.gz", []byte("sdist"))
	if got := strings.Join(files(), ","); got != "pkg-1.0-py3-none-any.whl,pkg-1.0.tar.gz" {
		t.Errorf("after an appended file: %s", got)
	}
	env.Must(t, 200, "PUT", "/v1/repos/py/packages/pkg/versions/1.0/deprecation", admin, map[string]any{"message": "bad"})
	if got := strings.Join(files(), ","); got != "pkg-1.0-py3-none-any.whl (yanked),pkg-1.0.tar.gz (yanked)" {
		t.Errorf("after a yank: %s", got)
	}
	var v struct{ VersionID string }
	env.Must(t, 200, "GET", "/v1/repos/py/packages/pkg/versions/1.0", admin, nil).JSON(t, &v)
	env.Must(t, 200, "DELETE", "/v1/repos/py/packages/versions/"+v.VersionID, admin, nil)
	if got := files(); got != nil {
		t.Errorf("after a tombstone: %v", got)
	}
	// twine --skip-existing takes a 409 for "the file is there": a deleted
	// release answers 400.
	if r := upload(t, env, "py", admin, "pkg", "1.0", pypi.FileTypeSdist, "pkg-1.0.zip", []byte("late")); r.Status != 400 || codeOf(r) != "version_tombstoned" {
		t.Errorf("a file for a deleted release: %d %s", r.Status, r.Body)
	}
	env.Must(t, 200, "POST", "/v1/repos/py/packages/versions/"+v.VersionID+"/restore", admin, nil)
	if got := len(files()); got != 2 {
		t.Errorf("after a restore: %d files", got)
	}
}

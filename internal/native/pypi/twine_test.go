package pypi

import (
	"archive/zip"
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/format"
	pyformat "github.com/artifortress/artifortress/internal/format/pypi"
	"github.com/artifortress/artifortress/internal/testenv"
)

// buildDists runs testdata/build_dists.py and returns the wheel and sdist
// paths it prints.
func buildDists(t *testing.T, python, name, version, dir string, args ...string) (wheel, sdist string) {
	t.Helper()
	cmd := exec.Command(python, append([]string{filepath.Join("testdata", "build_dists.py"), name, version, dir}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("build_dists.py: %v\n%s", err, out)
	}
	paths := strings.Fields(string(out))
	if len(paths) != 2 {
		t.Fatalf("build_dists.py printed %q", out)
	}
	return paths[0], paths[1]
}

// uploadServer answers the legacy upload API with ParseUpload, keeping
// each upload and the bytes store received.
type uploadServer struct {
	mu      sync.Mutex
	uploads []*Upload
	stored  map[string][]byte
	errs    []*fault.Error
}

func (s *uploadServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	if user, pass, ok := r.BasicAuth(); !ok || user != "__token__" || pass != "secret" {
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		http.Error(w, "credentials required", http.StatusUnauthorized)
		return
	}
	var buf bytes.Buffer
	u, err := ParseUpload(http.MaxBytesReader(w, r.Body, 64<<20), r.Header.Get("Content-Type"), Limits{}, func(_, _ string, content io.Reader) error {
		_, err := io.Copy(&buf, content)
		return err
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		fe := fault.As(err)
		if fe == nil {
			fe = &fault.Error{Kind: fault.KindInternal, Code: "internal", Message: err.Error()}
		}
		s.errs = append(s.errs, fe)
		http.Error(w, fe.Code+": "+fe.Message, fe.Kind.HTTPStatus())
		return
	}
	s.uploads = append(s.uploads, u)
	s.stored[u.Filename] = buf.Bytes()
}

// twine runs `twine upload` against url with an isolated home, as
// __token__ with password token; args are the files and any options.
func twine(t *testing.T, bin, url, token string, args ...string) (string, bool) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(bin, append([]string{"upload", "--non-interactive", "--disable-progress-bar",
		"--repository-url", url, "-u", "__token__", "-p", token}, args...)...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TWINE_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "HOME="+home, "PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring", "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// TestTwineUpload drives the real twine against a server whose handler is
// ParseUpload: the fields twine sends for a wheel and an sdist parse as
// expected, the stored bytes are the files, the manifest validates, and
// a wheel whose file name is of another project is refused with a 400.
func TestTwineUpload(t *testing.T) {
	twineBin := testenv.Tool(t, "twine")
	python := testenv.Tool(t, "python3")
	if out, err := exec.Command(twineBin, "--version").CombinedOutput(); err == nil {
		t.Logf("%s", bytes.TrimSpace(out))
	}
	dir := t.TempDir()
	wheel, sdist := buildDists(t, python, "Foo.Bar_baz", "1.2.0rc1", dir, "--requires-python", ">=3.8", "--requires-dist", "requests>=2")
	if filepath.Base(wheel) != "foo_bar_baz-1.2.0rc1-py3-none-any.whl" || filepath.Base(sdist) != "foo_bar_baz-1.2.0rc1.tar.gz" {
		t.Fatalf("built %s and %s", wheel, sdist)
	}
	srv := &uploadServer{stored: map[string][]byte{}}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	if out, ok := twine(t, twineBin, ts.URL+"/", "secret", wheel, sdist); !ok {
		t.Fatalf("twine upload failed (server errors %v):\n%s", srv.errs, out)
	}
	if len(srv.uploads) != 2 || len(srv.errs) != 0 {
		t.Fatalf("%d uploads, errors %v", len(srv.uploads), srv.errs)
	}
	for _, path := range []string{wheel, sdist} {
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(path)
		var u *Upload
		for _, x := range srv.uploads {
			if x.Filename == name {
				u = x
			}
		}
		if u == nil {
			t.Fatalf("no upload of %s", name)
		}
		if !bytes.Equal(srv.stored[name], want) || u.Size != int64(len(want)) {
			t.Fatalf("%s: stored %d bytes (Size %d), the file has %d", name, len(srv.stored[name]), u.Size, len(want))
		}
		sha, md := sha256.Sum256(want), md5.Sum(want)
		blake, err := exec.Command(python, "-c", "import hashlib,sys; print(hashlib.blake2b(open(sys.argv[1],'rb').read(), digest_size=32).hexdigest())", path).Output()
		if err != nil {
			t.Fatal(err)
		}
		if u.SHA256 != hex.EncodeToString(sha[:]) || u.MD5 != hex.EncodeToString(md[:]) || u.Blake2_256 != strings.TrimSpace(string(blake)) {
			t.Fatalf("%s: digests %s %s %s", name, u.SHA256, u.MD5, u.Blake2_256)
		}
		// twine sends setuptools' safe_name: "." stays, "_" becomes "-".
		if u.Name != "Foo.Bar-baz" || u.Project != "foo-bar-baz" || u.Version != "1.2.0rc1" || u.MetadataVersion != "2.1" || u.RequiresPython != ">=3.8" {
			t.Fatalf("%s: %+v", name, u)
		}
		wantType, wantPy := FileTypeWheel, "py3"
		if path == sdist {
			wantType, wantPy = FileTypeSdist, "source"
		}
		if u.FileType != wantType || u.PyVersion != wantPy || u.Dist.FileType != wantType {
			t.Fatalf("%s: filetype %s pyversion %s", name, u.FileType, u.PyVersion)
		}
		for field, want := range map[string][]string{
			"summary":                  {"A test project for Foo.Bar_baz"},
			"license":                  {"MIT"},
			"author":                   {"Artifortress Tests"},
			"author_email":             {"tests@example.invalid"},
			"home_page":                {"https://example.invalid/Foo.Bar_baz"},
			"keywords":                 {"artifortress,test"},
			"description_content_type": {"text/markdown"},
			"classifiers":              {"Programming Language :: Python :: 3", "License :: OSI Approved :: MIT License"},
			"requires_dist":            {"requests>=2"},
			"project_urls":             {"Source, https://example.invalid/Foo.Bar_baz/src", "Issues, https://example.invalid/Foo.Bar_baz/issues"},
		} {
			if got := u.Metadata[field]; !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %s = %q, want %q", name, field, got, want)
			}
		}
		if d := u.Metadata["description"]; len(d) != 1 || !strings.Contains(d[0], `with <markup> & "quotes"`) {
			t.Errorf("%s: description %q", name, d)
		}
		// Fields twine sends empty (maintainer, download_url, comment) are absent.
		for _, field := range []string{"maintainer", "maintainer_email", "download_url", "comment"} {
			if v, ok := u.Metadata[field]; ok {
				t.Errorf("%s: empty field %s kept as %q", name, field, v)
			}
		}
		raw, err := u.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if err := pyformat.New().ValidateManifest(format.Coordinates{Name: u.Project, Version: u.Version}, raw); err != nil {
			t.Fatalf("%s: manifest %s: %v", name, raw, err)
		}
		if u.FileType == FileTypeWheel {
			got, err := WheelMetadata(bytes.NewReader(srv.stored[name]), int64(len(srv.stored[name])), u.Dist)
			if err != nil {
				t.Fatal(err)
			}
			if want := zipFile(t, want, "foo_bar_baz-1.2.0rc1.dist-info/METADATA"); !bytes.Equal(got, want) {
				t.Fatalf("METADATA %q, want %q", got, want)
			}
		}
	}

	// A wheel renamed to another project: twine sends it, the parser
	// refuses it before storing a byte, and twine reports the 400.
	other := filepath.Join(t.TempDir(), "other_project-1.2.0rc1-py3-none-any.whl")
	data, _ := os.ReadFile(wheel)
	if err := os.WriteFile(other, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, ok := twine(t, twineBin, ts.URL+"/", "secret", other)
	if ok || !strings.Contains(out, "400") {
		t.Fatalf("twine upload of a misnamed wheel: ok=%v\n%s", ok, out)
	}
	t.Logf("twine on the refusal:\n%s", out)
	if len(srv.errs) != 1 || srv.errs[0].Code != CodeFilenameMismatch || len(srv.uploads) != 2 {
		t.Fatalf("server errors %v, %d uploads", srv.errs, len(srv.uploads))
	}
}

// zipFile returns one file of a zip archive.
func zipFile(t *testing.T, archive []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

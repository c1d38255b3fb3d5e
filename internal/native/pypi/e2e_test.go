package pypi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/native/pypi"
	"github.com/artifortress/artifortress/internal/servertest"
	"github.com/artifortress/artifortress/internal/testenv"
)

// pipClient runs the real pip with an isolated home and no cache or
// configuration of the machine's.
type pipClient struct {
	t      *testing.T
	python string
	home   string
}

func newPip(t *testing.T) *pipClient {
	t.Helper()
	python := testenv.Tool(t, "python3")
	if out, err := exec.Command(python, "-m", "pip", "--version").CombinedOutput(); err != nil {
		if testenv.InCI() {
			t.Fatalf("pip is required in CI: %v\n%s", err, out)
		}
		t.Skipf("pip not available: %v", err)
	}
	return &pipClient{t: t, python: python, home: t.TempDir()}
}

// run runs pip with args and reports its output and success.
func (p *pipClient) run(args ...string) (string, bool) {
	p.t.Helper()
	cmd := exec.Command(p.python, append([]string{"-m", "pip", "--no-cache-dir", "--disable-pip-version-check", "--no-input", "--isolated"}, args...)...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PIP_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "HOME="+p.home, "PIP_NO_INPUT=1")
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// install installs requirements from index into a fresh target directory
// and returns it.
func (p *pipClient) install(index string, args ...string) string {
	p.t.Helper()
	target := p.t.TempDir()
	out, ok := p.run(append([]string{"install", "--index-url", index, "--target", target}, args...)...)
	if !ok {
		p.t.Fatalf("pip install %v: %s", args, out)
	}
	return target
}

// indexURL is a repository's simple index with the token in the URL, as
// pip takes credentials.
func indexURL(base, repoKey, token string) string {
	u, _ := url.Parse(base + "/r/" + repoKey + "/simple/")
	if token != "" {
		u.User = url.UserPassword("__token__", token)
	}
	return u.String()
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestPipAndTwine proves the PyPI protocol with the real clients: twine
// uploads a wheel and an sdist of two releases (and --skip-existing skips
// what is there); pip installs from a local repository with and without
// --require-hashes, pip download fetches the sdist; through a virtual
// repository whose members are the local one and a remote whose upstream
// is another node, pip installs from both; with the upstream stopped,
// what the remote cached still installs; and a quarantine policy on the
// remote keeps a cached release from installing.
func TestPipAndTwine(t *testing.T) {
	twineBin := testenv.Tool(t, "twine")
	pip := newPip(t)
	dir := t.TempDir()

	// The upstream: another node with a project of its own.
	upstream := servertest.Start(t, servertest.Backends()[0])
	upstream.CreateRepo(t, "py", map[string]any{"format": "pypi", "settings": map[string]any{"anonymousRead": true}})
	upWheel, _ := pypi.BuildDists(t, pip.python, "upstream-lib", "2.0.0", filepath.Join(dir, "up"))
	heldWheel, _ := pypi.BuildDists(t, pip.python, "held-lib", "1.0.0", filepath.Join(dir, "held"))
	if out, ok := pypi.Twine(t, twineBin, upstream.URL+"/r/py/", upstream.AdminToken, upWheel, heldWheel); !ok {
		t.Fatalf("twine upload to the upstream: %s", out)
	}
	proxy := servertest.NewUpstreamProxy(t, upstream.URL)

	env := servertest.Start(t, servertest.Backends()[0], func(c *config.Config) { c.OutboundAllow = "127.0.0.1" })
	env.CreateRepo(t, "py-local", map[string]any{"format": "pypi"})
	env.CreateRepo(t, "py-remote", map[string]any{"format": "pypi", "type": "remote", "upstreamUrl": proxy.URL + "/r/py/simple/"})
	env.CreateRepo(t, "py", map[string]any{"format": "pypi", "type": "virtual", "members": []string{"py-local", "py-remote"}, "settings": map[string]any{"deployTo": "py-local"}})
	writer := env.Token(t, "ci", "repo:py-local:write", "repo:py:read")
	reader := env.Token(t, "dev", "repo:py:read", "repo:py-local:read", "repo:py-remote:read")

	// Two releases, a wheel and an sdist each, uploaded file by file.
	wheel1, sdist1 := pypi.BuildDists(t, pip.python, "hello-art", "1.0.0", filepath.Join(dir, "v1"))
	wheel2, sdist2 := pypi.BuildDists(t, pip.python, "hello-art", "1.1.0", filepath.Join(dir, "v2"), "--requires-python", ">=3.8")
	if out, ok := pypi.Twine(t, twineBin, env.URL+"/r/py-local/", writer, wheel1, sdist1, wheel2); !ok {
		t.Fatalf("twine upload: %s", out)
	}
	// Through the virtual repository, which deploys to py-local; files
	// already there are skipped.
	if out, ok := pypi.Twine(t, twineBin, env.URL+"/r/py/", writer, "--skip-existing", wheel1, sdist2); !ok {
		t.Fatalf("twine upload --skip-existing through the virtual repository: %s", out)
	}
	if out, ok := pypi.Twine(t, twineBin, env.URL+"/r/py-local/", reader, wheel1); ok || !strings.Contains(out, "403") {
		t.Errorf("a reader's upload: %s", out)
	}

	// pip install from the local repository: the newest release.
	target := pip.install(indexURL(env.URL, "py-local", reader), "hello-art")
	if b, err := os.ReadFile(filepath.Join(target, "hello_art.py")); err != nil || !strings.Contains(string(b), "1.1.0") {
		t.Fatalf("installed hello_art.py: %q %v", b, err)
	}
	// --require-hashes with the wheel's and the sdist's SHA-256.
	reqs := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(reqs, []byte("hello-art==1.0.0 --hash=sha256:"+fileSHA256(t, wheel1)+" --hash=sha256:"+fileSHA256(t, sdist1)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	target = pip.install(indexURL(env.URL, "py-local", reader), "--require-hashes", "-r", reqs)
	if b, _ := os.ReadFile(filepath.Join(target, "hello_art.py")); !strings.Contains(string(b), "1.0.0") {
		t.Fatalf("--require-hashes installed %q", b)
	}
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("hello-art==1.0.0 --hash=sha256:"+strings.Repeat("0", 64)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, ok := pip.run("install", "--index-url", indexURL(env.URL, "py-local", reader), "--target", t.TempDir(), "--require-hashes", "-r", bad); ok || !strings.Contains(out, "HASH") {
		t.Errorf("a wrong hash installed: %s", out)
	}
	// pip download of the sdist.
	dl := t.TempDir()
	if out, ok := pip.run("download", "--index-url", indexURL(env.URL, "py-local", reader), "--no-deps", "--no-binary", ":all:", "-d", dl, "hello-art==1.1.0"); !ok {
		t.Fatalf("pip download: %s", out)
	}
	if got, _ := os.ReadFile(filepath.Join(dl, filepath.Base(sdist2))); !bytes.Equal(got, mustRead(t, sdist2)) {
		t.Errorf("pip download did not fetch the sdist's bytes")
	}
	// Without credentials pip is challenged and fails.
	if out, ok := pip.run("install", "--index-url", indexURL(env.URL, "py-local", ""), "--target", t.TempDir(), "hello-art"); ok {
		t.Errorf("installed without credentials: %s", out)
	}

	// Through the virtual repository: local and remote projects.
	target = pip.install(indexURL(env.URL, "py", reader), "hello-art", "upstream-lib")
	for _, f := range []string{"hello_art.py", "upstream_lib.py"} {
		if _, err := os.Stat(filepath.Join(target, f)); err != nil {
			t.Errorf("%s not installed through the virtual repository: %v", f, err)
		}
	}
	if n := proxy.Count("/r/py/files/upstream-lib/2.0.0/" + filepath.Base(upWheel)); n != 1 {
		t.Errorf("the remote fetched the wheel %d times, want 1", n)
	}

	// The upstream goes away: what the remote cached still installs.
	proxy.SetAlive(false)
	target = pip.install(indexURL(env.URL, "py", reader), "upstream-lib==2.0.0")
	if _, err := os.Stat(filepath.Join(target, "upstream_lib.py")); err != nil {
		t.Errorf("not installed with the upstream down: %v", err)
	}
	proxy.SetAlive(true)

	// A quarantine policy on the remote: the release it caches is held,
	// and pip cannot install it.
	env.Must(t, 201, "POST", "/v1/repos/py-remote/policies", env.AdminToken, map[string]any{
		"name": "hold-held-lib", "expression": "version.name != 'held-lib'", "action": "quarantine",
	})
	if out, ok := pip.run("install", "--index-url", indexURL(env.URL, "py-remote", reader), "--target", t.TempDir(), "held-lib"); ok {
		t.Errorf("a quarantined release installed: %s", out)
	}
	var items struct{ Items []map[string]any }
	env.Must(t, 200, "GET", "/v1/repos/py-remote/quarantine", env.AdminToken, nil).JSON(t, &items)
	if len(items.Items) != 1 {
		t.Errorf("quarantine lane of the remote: %v", items.Items)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

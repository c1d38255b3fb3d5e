package transfercli

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// pushed stores content in repository files through push and returns its
// digest.
func (n *node) pushed(t *testing.T, name string, size int, seed uint64) (string, []byte) {
	t.Helper()
	path, content := randomFile(t, name, size, seed)
	n.run(t, "push", "files", path, "--quiet").mustSucceed(t)
	n.requests()
	return digestOf(content), content
}

func gets(reqs []seen) []seen {
	var out []seen
	for _, r := range reqs {
		if r.Method == http.MethodGet && strings.Contains(r.Path, "/blobs/") {
			out = append(out, r)
		}
	}
	return out
}

func TestPull(t *testing.T) {
	n := startNode(t)
	digest, content := n.pushed(t, "a.bin", 300000, 1)
	dir := t.TempDir()
	out := filepath.Join(dir, "a.bin")
	res := n.run(t, "pull", "files", digest, "-o", out).mustSucceed(t)
	if want := "Pulled " + digest + " (300000 bytes) to " + out + ".\n"; res.stdout != want {
		t.Errorf("stdout %q, want %q", res.stdout, want)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, content) {
		t.Error("pulled bytes differ")
	}
	noFile(t, out+partSuffix)
	g := gets(n.requests())
	if len(g) != 1 || g[0].Range != "" || g[0].Status != http.StatusOK {
		t.Errorf("requests %+v", g)
	}
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(out) + `: pulled 293\.0 KiB of 293\.0 KiB \(100%\)$`).MatchString(res.stderr) {
		t.Errorf("stderr:\n%s", res.stderr)
	}
}

// Without -o the file is named after the digest, in the current directory;
// the bare hex is accepted.
func TestPullDefaultName(t *testing.T) {
	n := startNode(t)
	digest, content := n.pushed(t, "a.bin", 10, 2)
	t.Chdir(t.TempDir())
	hexPart := strings.TrimPrefix(digest, "sha256:")
	n.run(t, "pull", "files", strings.ToUpper(hexPart), "--quiet").mustSucceed(t)
	if got, err := os.ReadFile(hexPart); err != nil || !bytes.Equal(got, content) {
		t.Errorf("%s: %v", hexPart, err)
	}
}

// A partial file is resumed with a range request; the whole file is
// verified.
func TestPullResumes(t *testing.T) {
	n := startNode(t)
	digest, content := n.pushed(t, "a.bin", 200000, 3)
	out := filepath.Join(t.TempDir(), "a.bin")
	if err := os.WriteFile(out+partSuffix, content[:123456], 0o644); err != nil {
		t.Fatal(err)
	}
	res := n.run(t, "pull", "files", digest, "-o", out).mustSucceed(t)
	if !strings.Contains(res.stdout, "(200000 bytes, resumed)") {
		t.Errorf("stdout %q", res.stdout)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, content) {
		t.Error("pulled bytes differ")
	}
	noFile(t, out+partSuffix)
	g := gets(n.requests())
	if len(g) != 1 || g[0].Range != "bytes=123456-" || g[0].IfRange != `"`+digest+`"` || g[0].Status != http.StatusPartialContent {
		t.Errorf("requests %+v", g)
	}
	if !strings.Contains(n.env.Logs.String(), `"status":206`) {
		t.Errorf("no 206 in the server's access log")
	}
}

// A partial file that already holds the whole blob, or more, is settled
// without sending the blob again, or restarted.
func TestPullPartialPastTheEnd(t *testing.T) {
	n := startNode(t)
	digest, content := n.pushed(t, "a.bin", 5000, 4)
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		partial []byte
		gets    int
	}{
		{"whole", content, 1},
		{"longer", append(append([]byte{}, content...), "trailing"...), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name)
			os.WriteFile(out+partSuffix, tc.partial, 0o644)
			n.run(t, "pull", "files", digest, "-o", out).mustSucceed(t)
			if got, _ := os.ReadFile(out); !bytes.Equal(got, content) {
				t.Error("pulled bytes differ")
			}
			if g := gets(n.requests()); len(g) != tc.gets || g[0].Status != http.StatusRequestedRangeNotSatisfiable {
				t.Errorf("requests %+v", g)
			}
		})
	}
}

// A partial file with wrong bytes fails the final check: exit 1, the
// partial file removed, no output file; the next run starts afresh.
func TestPullCorruptPartial(t *testing.T) {
	n := startNode(t)
	digest, content := n.pushed(t, "a.bin", 100000, 5)
	out := filepath.Join(t.TempDir(), "a.bin")
	bad := append([]byte{}, content[:50000]...)
	bad[100] ^= 0xff
	os.WriteFile(out+partSuffix, bad, 0o644)
	res := n.run(t, "pull", "files", digest, "-o", out)
	if res.code != 1 || !strings.Contains(res.stderr, "error: the downloaded bytes hash to sha256:") || !strings.Contains(res.stderr, "removed "+out+partSuffix) {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	noFile(t, out)
	noFile(t, out+partSuffix)
	if g := gets(n.requests()); len(g) != 1 || g[0].Range != "bytes=50000-" {
		t.Errorf("requests %+v", g)
	}
	n.run(t, "pull", "files", digest, "-o", out).mustSucceed(t)
	if got, _ := os.ReadFile(out); !bytes.Equal(got, content) {
		t.Error("pulled bytes differ")
	}
}

func TestPullToStdout(t *testing.T) {
	n := startNode(t)
	digest, content := n.pushed(t, "a.bin", 70000, 6)
	dir := t.TempDir()
	t.Chdir(dir)
	res := n.run(t, "pull", "files", digest, "-o", "-").mustSucceed(t)
	if res.stdout != string(content) {
		t.Errorf("stdout holds %d bytes, want the %d of the blob", len(res.stdout), len(content))
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left: %v", entries)
	}
}

// A download that breaks off is resumed in the same run.
func TestPullRetriesBrokenDownload(t *testing.T) {
	n := startNode(t)
	digest, content := n.pushed(t, "a.bin", 1<<20, 7)
	var broken atomic.Int64
	n.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet {
			if b := broken.Add(1); b <= 2 {
				w.(*statusWriter).limit = 100000 * b
			}
		}
		return false
	})
	for _, out := range []string{filepath.Join(t.TempDir(), "a.bin"), "-"} {
		broken.Store(0)
		res := n.run(t, "pull", "files", digest, "-o", out, "--quiet").mustSucceed(t)
		if out == "-" {
			if res.stdout != string(content) {
				t.Errorf("stdout differs (%d bytes)", len(res.stdout))
			}
		} else if got, _ := os.ReadFile(out); !bytes.Equal(got, content) {
			t.Error("pulled bytes differ")
		}
		g := gets(n.requests())
		if len(g) != 3 || g[0].Range != "" || !strings.HasPrefix(g[1].Range, "bytes=") || !strings.HasPrefix(g[2].Range, "bytes=") {
			t.Errorf("%s: requests %+v", out, g)
		}
	}
}

func TestPullErrors(t *testing.T) {
	n := startNode(t)
	digest, _ := n.pushed(t, "a.bin", 10, 8)
	n.env.CreateRepo(t, "private", nil)
	outsider := n.env.Token(t, "outsider", "repo:private:read")
	missing := "sha256:" + strings.Repeat("0", 64)
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		errHas string
	}{
		{"unknown blob", nil, []string{"files", missing}, 1, "error: blob_not_found"},
		{"blob of another repository", nil, []string{"private", digest}, 1, "error: blob_not_found"},
		// The server hides repositories the caller has no role on.
		{"no role on the repository", n.envFor(outsider), []string{"files", digest}, 1, "error: not_found"},
		{"unknown repository", nil, []string{"nope", digest}, 1, "error: not_found"},
		{"no arguments", nil, nil, 2, "error: missing arguments REPO DIGEST"},
		{"no digest", nil, []string{"files"}, 2, "error: missing argument DIGEST"},
		{"extra argument", nil, []string{"files", digest, "x"}, 2, `unexpected argument "x"`},
		{"bad digest", nil, []string{"files", "sha256:1234"}, 2, `invalid DIGEST "sha256:1234"`},
		{"other algorithm", nil, []string{"files", "md5:" + strings.Repeat("0", 32)}, 2, "only sha256"},
		{"unknown flag", nil, []string{"files", digest, "--bogus"}, 2, "unknown flag: --bogus"},
		{"output is a directory", nil, []string{"files", digest, "-o", dir}, 2, "is a directory"},
		{"no token", map[string]string{"ARTIFORTRESS_URL": n.URL}, []string{"files", digest}, 2, "no token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env
			if env == nil {
				env = n.envFor(n.env.AdminToken)
			}
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			res := runWith(t, env, append([]string{"pull", "-o", out}, tc.args...)...)
			if res.code != tc.code || !strings.Contains(res.stderr, tc.errHas) {
				t.Errorf("exit %d, want %d; stderr lacks %q:\n%s", res.code, tc.code, tc.errHas, res.stderr)
			}
			if strings.Count(res.stderr, "error:") != 1 {
				t.Errorf("errors printed %d times:\n%s", strings.Count(res.stderr, "error:"), res.stderr)
			}
			noFile(t, out)
			noFile(t, out+partSuffix) // nothing to resume: no empty partial file
		})
	}
}

func TestHelp(t *testing.T) {
	for _, name := range []string{"push", "pull"} {
		res := runWith(t, nil, name, "--help")
		if res.code != 0 || !strings.Contains(res.stdout, "Examples:\n  ") || !strings.Contains(res.stdout, "artifortress "+name+" files") {
			t.Errorf("%s --help: exit %d\n%s", name, res.code, res.stdout)
		}
		for _, flag := range []string{"--url", "--token", "--timeout", "--quiet", "--output"} {
			if !strings.Contains(res.stdout, flag) {
				t.Errorf("%s --help lacks %s", name, flag)
			}
		}
	}
}

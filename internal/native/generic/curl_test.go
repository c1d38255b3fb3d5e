package generic_test

import (
	"bytes"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/servertest"
	"github.com/artifortress/artifortress/internal/testenv"
)

// TestCurl drives the real curl as the README shows it: upload with -T and
// a checksum header, download with -O, a range with -r, a resumed download
// with -C -, a listing, and the 401 → credentials → 200 round trip of -u.
func TestCurl(t *testing.T) {
	curl := testenv.Tool(t, "curl")
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "files", nil)
	token := env.Token(t, "ci", "repo:files:write")
	dir := t.TempDir()
	run := func(args ...string) (string, error) {
		t.Helper()
		cmd := exec.Command(curl, append([]string{"-sS", "--fail-with-body"}, args...)...)
		cmd.Dir = dir
		out, err := cmd.Output()
		return string(out), err
	}
	content := make([]byte, 3<<20)
	_, _ = rand.Read(content)
	src := filepath.Join(dir, "tool.tar.gz")
	if err := os.WriteFile(src, content, 0o644); err != nil {
		t.Fatal(err)
	}
	url := env.URL + "/r/files/tool/1.0/tool.tar.gz"
	if out, err := run("-u", "ci:"+token, "-T", src, "-H", "X-Checksum-Sha256: "+sha256Hex(string(content)), url); err != nil || !strings.Contains(out, sha256Hex(string(content))) {
		t.Fatalf("curl -T: %v %s", err, out)
	}
	if out, err := run("-u", "ci:"+token, "-T", src, "-H", "X-Checksum-Sha256: "+sha256Hex("else"), env.URL+"/r/files/tool/1.1/tool.tar.gz"); err == nil || !strings.Contains(out, "upload_verification_failed") {
		t.Errorf("curl -T with a wrong checksum: %v %s", err, out)
	}

	// -O keeps the file name; the bytes are the bytes.
	if _, err := run("-u", "ci:"+token, "-O", url); err != nil {
		t.Fatal(err)
	}
	// (-O wrote over the source: compare with what was uploaded.)
	if got, _ := os.ReadFile(src); !bytes.Equal(got, content) {
		t.Error("downloaded bytes differ")
	}
	if out, err := run("-u", "ci:"+token, "-r", "100-199", url); err != nil || out != string(content[100:200]) {
		t.Errorf("curl -r: %v (%d bytes)", err, len(out))
	}
	// A download cut short resumes where it stopped.
	part := filepath.Join(dir, "partial")
	if err := os.WriteFile(part, content[:1<<20], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run("-u", "ci:"+token, "-C", "-", "-o", part, url); err != nil {
		t.Fatalf("curl -C -: %v", err)
	}
	if got, _ := os.ReadFile(part); !bytes.Equal(got, content) {
		t.Error("resumed download differs")
	}
	if out, err := run("-u", "ci:"+token, env.URL+"/r/files/tool/1.0/"); err != nil || !strings.Contains(out, `"name":"tool.tar.gz"`) {
		t.Errorf("listing: %v %s", err, out)
	}
	// Without credentials: 401, which curl reports as a failure.
	if out, err := run(url); err == nil || !strings.Contains(out, "unauthorized") {
		t.Errorf("anonymous: %v %s", err, out)
	}
	// --anyauth sends credentials only after the challenge.
	if out, err := run("--anyauth", "-u", "ci:"+token, "-r", "0-9", url); err != nil || out != string(content[:10]) {
		t.Errorf("--anyauth: %v %q", err, out)
	}
}

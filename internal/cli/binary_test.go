package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/testpg"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/artifortress once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "artifortress-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "artifortress")
		out, err := exec.Command("go", "build", "-o", binPath, "../../cmd/artifortress").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// node is a running `artifortress serve` process.
type node struct {
	cmd  *exec.Cmd
	addr string
	logs *bytes.Buffer
	mu   *sync.Mutex
	done chan error
}

func startNode(t *testing.T, dataDir string, env []string, args ...string) *node {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(binary(t), append([]string{"serve", "--listen", addr, "--data-dir", dataDir}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	n := &node{cmd: cmd, addr: addr, logs: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := sync.Once{}
		for sc.Scan() {
			n.mu.Lock()
			n.logs.WriteString(sc.Text() + "\n")
			n.mu.Unlock()
			if strings.Contains(sc.Text(), `"msg":"listening"`) {
				once.Do(func() { close(listening) })
			}
		}
	}()
	go func() { n.done <- cmd.Wait(); pw.Close() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-n.done
		}
	})
	select {
	case <-listening:
	case err := <-n.done:
		t.Fatalf("serve exited before listening: %v\n%s", err, n.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start\n%s", n.log())
	}
	return n
}

func (n *node) log() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.logs.String()
}

// stop sends SIGTERM and waits for a clean exit.
func (n *node) stop(t *testing.T) {
	t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-n.done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM\n%s", err, n.log())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop after SIGTERM")
	}
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeFirstStartAndRestart(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	n := startNode(t, dataDir, nil)
	tokenFile := filepath.Join(dataDir, "initial-admin-token")
	st, err := os.Stat(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", st.Mode().Perm())
	}
	raw, _ := os.ReadFile(tokenFile)
	token := strings.TrimSpace(string(raw))
	if code, body := get(t, "http://"+n.addr+"/v1/auth/whoami", token); code != 200 || !strings.Contains(body, `"admin"`) {
		t.Fatalf("whoami with the initial token: %d %s", code, body)
	}
	if code, _ := get(t, "http://"+n.addr+"/health/ready", ""); code != 200 {
		t.Errorf("ready: %d", code)
	}
	logs := n.log()
	if !strings.Contains(logs, tokenFile) {
		t.Errorf("the log does not name the token file:\n%s", logs)
	}
	if strings.Contains(logs, token) || strings.Contains(logs, token[strings.LastIndex(token, "_")+1:]) {
		t.Errorf("the log contains the token")
	}
	n.stop(t)

	// A restart keeps the data and does not mint another token.
	os.Remove(tokenFile)
	n = startNode(t, dataDir, nil)
	if _, err := os.Stat(tokenFile); !os.IsNotExist(err) {
		t.Errorf("a restart wrote a new initial token: %v", err)
	}
	if code, _ := get(t, "http://"+n.addr+"/v1/auth/whoami", token); code != 200 {
		t.Errorf("the initial token stopped working after restart: %d", code)
	}
	n.stop(t)
}

func TestServeOnPostgres(t *testing.T) {
	url := testpg.URL(t)
	n := startNode(t, t.TempDir(), []string{"ARTIFORTRESS_DATABASE_URL=" + url})
	if !strings.Contains(n.log(), `"metadata":"postgres"`) {
		t.Errorf("not on PostgreSQL:\n%s", n.log())
	}
	if code, body := get(t, "http://"+n.addr+"/health/ready", ""); code != 200 {
		t.Errorf("ready: %d %s", code, body)
	}
	n.stop(t)
	out, err := exec.Command(binary(t), "migrate", "status", "--database-url", url).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "applied") || strings.Contains(string(out), "pending") {
		t.Errorf("migrate status: %v\n%s", err, out)
	}
}

func TestBootstrapSecretFromEnvironment(t *testing.T) {
	dataDir := t.TempDir()
	secret := strings.Repeat("k", 40)
	n := startNode(t, dataDir, []string{"ARTIFORTRESS_BOOTSTRAP_TOKEN=" + secret})
	if code, _ := get(t, "http://"+n.addr+"/v1/auth/whoami", secret); code != 200 {
		t.Errorf("bootstrap secret refused: %d", code)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "initial-admin-token")); !os.IsNotExist(err) {
		t.Errorf("initial token file written despite a bootstrap secret")
	}
	if strings.Contains(n.log(), secret) {
		t.Errorf("the bootstrap secret is in the log")
	}
	n.stop(t)
}

func TestInvalidSettingsStopStartup(t *testing.T) {
	cases := []struct {
		args    []string
		env     []string
		setting string
	}{
		{args: []string{"--listen", "nonsense"}, setting: "listen"},
		{args: []string{"--public-url", "example.com"}, setting: "public-url"},
		{args: []string{"--max-token-ttl", "forever"}, setting: "max-token-ttl"},
		{env: []string{"ARTIFORTRESS_DATABASE_URL=mysql://x"}, setting: "database-url"},
		{env: []string{"ARTIFORTRESS_BOOTSTRAP_TOKEN=short"}, setting: "bootstrap-token"},
		{env: []string{"ARTIFORTRESS_LOG_LEVEL=loud"}, setting: "log-level"},
		{args: []string{"--auto-migrate=maybe"}, setting: "auto-migrate"},
	}
	for _, c := range cases {
		t.Run(c.setting, func(t *testing.T) {
			cmd := exec.Command(binary(t), append([]string{"serve", "--data-dir", t.TempDir()}, c.args...)...)
			cmd.Env = append(os.Environ(), c.env...)
			out, err := cmd.CombinedOutput()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 2 || !strings.Contains(strings.ToLower(string(out)), c.setting) {
				t.Errorf("exit %v, output %q: want exit 2 naming %s", err, out, c.setting)
			}
		})
	}
}

func TestServeHelpListsEverySetting(t *testing.T) {
	out, err := exec.Command(binary(t), "serve", "--help").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"--listen", "ARTIFORTRESS_LISTEN", "--data-dir", "--database-url", "--public-url", "--auto-migrate",
		"--max-token-ttl", "ARTIFORTRESS_BOOTSTRAP_TOKEN", "--max-request-bytes", "--log-level", "--otlp-endpoint", "--config", "precedence"} {
		if !strings.Contains(string(out), s) {
			t.Errorf("serve --help lacks %s", s)
		}
	}
	if out, err := exec.Command(binary(t), "version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "artifortress ") {
		t.Errorf("version: %v %s", err, out)
	}
}

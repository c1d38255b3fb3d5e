package cli

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/servertest"
	"github.com/artifortress/artifortress/internal/testpg"
)

func binary(t *testing.T) string { return servertest.Binary(t) }

func startNode(t *testing.T, dataDir string, env []string, args ...string) *servertest.Process {
	return servertest.StartProcess(t, dataDir, env, args...)
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
	if code, body := get(t, "http://"+n.Addr+"/v1/auth/whoami", token); code != 200 || !strings.Contains(body, `"admin"`) {
		t.Fatalf("whoami with the initial token: %d %s", code, body)
	}
	if code, _ := get(t, "http://"+n.Addr+"/health/ready", ""); code != 200 {
		t.Errorf("ready: %d", code)
	}
	logs := n.Logs()
	if !strings.Contains(logs, tokenFile) {
		t.Errorf("the log does not name the token file:\n%s", logs)
	}
	if strings.Contains(logs, token) || strings.Contains(logs, token[strings.LastIndex(token, "_")+1:]) {
		t.Errorf("the log contains the token")
	}
	n.Stop(t)

	// A restart keeps the data and does not mint another token.
	os.Remove(tokenFile)
	n = startNode(t, dataDir, nil)
	if _, err := os.Stat(tokenFile); !os.IsNotExist(err) {
		t.Errorf("a restart wrote a new initial token: %v", err)
	}
	if code, _ := get(t, "http://"+n.Addr+"/v1/auth/whoami", token); code != 200 {
		t.Errorf("the initial token stopped working after restart: %d", code)
	}
	n.Stop(t)
}

func TestServeOnPostgres(t *testing.T) {
	url := testpg.URL(t)
	n := startNode(t, t.TempDir(), []string{"ARTIFORTRESS_DATABASE_URL=" + url})
	if !strings.Contains(n.Logs(), `"metadata":"postgres"`) {
		t.Errorf("not on PostgreSQL:\n%s", n.Logs())
	}
	if code, body := get(t, "http://"+n.Addr+"/health/ready", ""); code != 200 {
		t.Errorf("ready: %d %s", code, body)
	}
	n.Stop(t)
	out, err := exec.Command(binary(t), "migrate", "status", "--database-url", url).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "applied") || strings.Contains(string(out), "pending") {
		t.Errorf("migrate status: %v\n%s", err, out)
	}
}

func TestBootstrapSecretFromEnvironment(t *testing.T) {
	dataDir := t.TempDir()
	secret := strings.Repeat("k", 40)
	n := startNode(t, dataDir, []string{"ARTIFORTRESS_BOOTSTRAP_TOKEN=" + secret})
	if code, _ := get(t, "http://"+n.Addr+"/v1/auth/whoami", secret); code != 200 {
		t.Errorf("bootstrap secret refused: %d", code)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "initial-admin-token")); !os.IsNotExist(err) {
		t.Errorf("initial token file written despite a bootstrap secret")
	}
	if strings.Contains(n.Logs(), secret) {
		t.Errorf("the bootstrap secret is in the log")
	}
	n.Stop(t)
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

func TestExitCodesOfTheBinary(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"push"}, 2},
		{[]string{"pull", "files"}, 2},
		{[]string{"admin", "repos", "get"}, 2},
		{[]string{"serve", "extra-arg"}, 2},
		{[]string{"migrate", "status", "--data-dir", t.TempDir(), "--bogus"}, 2},
		{[]string{"push", "files", "/nonexistent/file", "--url", "http://127.0.0.1:1", "--token", "x"}, 2},
		{[]string{"push", "files", "binary_test.go", "--url", "http://127.0.0.1:1", "--token", "x"}, 1},
	} {
		out, err := exec.Command(binary(t), c.args...).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != c.code {
			t.Errorf("%v: exit %d, want %d\n%s", c.args, code, c.code, out)
		}
		if n := strings.Count(string(out), "error:"); n > 1 {
			t.Errorf("%v: the error is printed %d times:\n%s", c.args, n, out)
		}
	}
}

func TestMigrateCommandHonoursFlags(t *testing.T) {
	dir := t.TempDir()
	out, err := exec.Command(binary(t), "migrate", "up", "--data-dir", dir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "applied 0001") {
		t.Fatalf("migrate up: %v\n%s", err, out)
	}
	out, err = exec.Command(binary(t), "migrate", "status", "--data-dir", dir).CombinedOutput()
	if err != nil || strings.Contains(string(out), "pending") || !strings.Contains(string(out), "applied") {
		t.Errorf("migrate status: %v\n%s", err, out)
	}
	out, _ = exec.Command(binary(t), "migrate", "up", "--data-dir", dir).CombinedOutput()
	if !strings.Contains(string(out), "nothing to apply") {
		t.Errorf("second migrate up: %s", out)
	}
}

// TestServeRefusesPendingMigrations: with --no-auto-migrate, serve on an
// empty store refuses to start, names the pending migration and the command
// that applies it, and changes nothing; after `migrate up` with the same
// settings it starts.
func TestServeRefusesPendingMigrations(t *testing.T) {
	for _, b := range servertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			dataDir := t.TempDir()
			var env []string
			if url := b.DatabaseURL(t); url != "" {
				env = []string{"ARTIFORTRESS_DATABASE_URL=" + url}
			}
			run := func(args ...string) (string, int) {
				t.Helper()
				ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a serve that starts is killed, and fails below
				defer cancel()
				cmd := exec.CommandContext(ctx, binary(t), append(args, "--data-dir", dataDir)...)
				cmd.Env = append(os.Environ(), env...)
				out, err := cmd.CombinedOutput()
				if ee, ok := err.(*exec.ExitError); ok {
					return string(out), ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				return string(out), 0
			}

			out, code := run("serve", "--no-auto-migrate", "--listen", "127.0.0.1:0")
			if code != 1 || !strings.Contains(out, "migration 0001_control_plane is pending") || !strings.Contains(out, "artifortress migrate up") {
				t.Fatalf("serve --no-auto-migrate on an empty store: exit %d, want 1 naming the pending migration and `migrate up`:\n%s", code, out)
			}
			if strings.Contains(out, `"msg":"listening"`) {
				t.Errorf("serve listened before refusing:\n%s", out)
			}
			if _, err := os.Stat(filepath.Join(dataDir, "initial-admin-token")); !os.IsNotExist(err) {
				t.Errorf("the refused start minted an initial token: %v", err)
			}
			if out, _ := run("migrate", "status"); strings.Contains(out, "applied") || !strings.Contains(out, "pending") {
				t.Errorf("the refused start migrated:\n%s", out)
			}

			if out, code := run("migrate", "up"); code != 0 || !strings.Contains(out, "applied 0001") {
				t.Fatalf("migrate up: exit %d\n%s", code, out)
			}
			n := startNode(t, dataDir, env, "--no-auto-migrate")
			if code, body := get(t, n.URL+"/health/ready", ""); code != 200 {
				t.Errorf("ready after migrate up: %d %s", code, body)
			}
			if strings.Contains(n.Logs(), "migration applied") {
				t.Errorf("serve --no-auto-migrate applied a migration:\n%s", n.Logs())
			}
			n.Stop(t)
		})
	}
}

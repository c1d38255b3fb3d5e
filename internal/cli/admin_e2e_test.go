package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/servertest"
)

// runCLI runs the command line in-process and returns exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestAdminAgainstRealServer drives `artifortress admin` against a real node
// on both backends: every command group, JSON and table output, exit codes.
func TestAdminAgainstRealServer(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		conn := []string{"--url", env.URL, "--token", env.AdminToken}
		admin := func(args ...string) (int, string, string) {
			t.Helper()
			return runCLI(t, append(append([]string{"admin"}, args...), conn...)...)
		}
		mustOK := func(args ...string) string {
			t.Helper()
			code, out, errOut := admin(args...)
			if code != 0 {
				t.Fatalf("admin %v: exit %d\n%s%s", args, code, out, errOut)
			}
			return out
		}

		if out := mustOK("whoami", "-o", "json"); !strings.Contains(out, `"subject": "admin"`) {
			t.Errorf("whoami: %s", out)
		}
		mustOK("repos", "create", "libs", "--type", "local", "--format", "maven", "--description", "Maven releases")
		mustOK("repos", "create", "central", "--type", "remote", "--format", "maven", "--upstream-url", "https://repo1.maven.org/maven2/")
		mustOK("repos", "create", "all", "--type", "virtual", "--format", "maven", "--member", "libs", "--member", "central")
		out := mustOK("repos", "list")
		for _, want := range []string{"libs", "central", "all", "virtual", "Maven releases"} {
			if !strings.Contains(out, want) {
				t.Errorf("repos list table lacks %q:\n%s", want, out)
			}
		}
		var got struct{ Members []string }
		if err := json.Unmarshal([]byte(mustOK("repos", "get", "all", "-o", "json")), &got); err != nil || strings.Join(got.Members, ",") != "libs,central" {
			t.Errorf("repos get all: %v %+v", err, got)
		}
		mustOK("repos", "update", "libs", "--description", "changed", "--anonymous-read=true")
		if out := mustOK("repos", "get", "libs", "-o", "json"); !strings.Contains(out, `"anonymousRead": true`) || !strings.Contains(out, "changed") {
			t.Errorf("after update: %s", out)
		}

		mustOK("bindings", "set", "libs", "alice", "--role", "write")
		if out := mustOK("bindings", "list", "libs"); !strings.Contains(out, "alice") || !strings.Contains(out, "write") {
			t.Errorf("bindings list: %s", out)
		}
		var tok struct{ Token, TokenID string }
		if err := json.Unmarshal([]byte(mustOK("pats", "create", "--subject", "alice", "--scope", "repo:libs:read", "--ttl", "2h", "-o", "json")), &tok); err != nil || !strings.HasPrefix(tok.Token, "afp_") {
			t.Fatalf("pats create: %v %+v", err, tok)
		}
		// alice's own token works through the CLI too, with her binding.
		code, out, _ := runCLI(t, "admin", "whoami", "--url", env.URL, "--token", tok.Token)
		if code != 0 || !strings.Contains(out, "alice") {
			t.Errorf("whoami as alice: %d %s", code, out)
		}
		if out := mustOK("pats", "list", "--subject", "alice"); !strings.Contains(out, tok.TokenID) || strings.Contains(out, tok.Token) {
			t.Errorf("pats list: %s", out)
		}
		mustOK("pats", "revoke", "--id", tok.TokenID)
		if code, _, _ := runCLI(t, "admin", "whoami", "--url", env.URL, "--token", tok.Token); code != 1 {
			t.Errorf("revoked token: exit %d, want 1", code)
		}
		mustOK("bindings", "delete", "libs", "alice")

		// API errors exit 1 with the code on stderr; usage errors exit 2.
		if code, _, errOut := admin("repos", "delete", "libs"); code != 1 || !strings.Contains(errOut, "conflict") {
			t.Errorf("deleting a member of a virtual repo: exit %d, %s", code, errOut)
		}
		if code, _, errOut := admin("repos", "create", "Bad Key", "--type", "local", "--format", "npm"); code != 1 || !strings.Contains(errOut, "bad_request") {
			t.Errorf("bad key: exit %d, %s", code, errOut)
		}
		if code, _, _ := admin("repos", "get"); code != 2 {
			t.Errorf("missing argument: exit %d, want 2", code)
		}
		if code, _, _ := admin("repos", "list", "--no-such-flag"); code != 2 {
			t.Errorf("unknown flag: exit %d, want 2", code)
		}

		// audit: list and export.
		if out := mustOK("audit", "list", "--action", "repo.create", "--all", "--limit", "1", "-o", "json"); strings.Count(out, `"repo.create"`) != 3 {
			t.Errorf("audit list --all: %s", out)
		}
		file := filepath.Join(t.TempDir(), "audit.ndjson")
		mustOK("audit", "export", "-f", file)
		raw, err := os.ReadFile(file)
		if err != nil || strings.Count(string(raw), "\n") < 8 {
			t.Errorf("audit export: %v, %d lines", err, strings.Count(string(raw), "\n"))
		}
		mustOK("repos", "delete", "all")
		mustOK("repos", "delete", "libs")
	})
}

package admincli

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{&UsageError{Err: errors.New("bad flag")}, 2},
		{fmt.Errorf("wrapped: %w", &UsageError{Err: errors.New("x")}), 2},
		{&APIError{Status: 403, Code: "forbidden", Message: "no"}, 1},
		{fmt.Errorf("wrapped: %w", &APIError{Status: 500}), 1},
		{&TransportError{Method: "GET", URL: "http://x", Err: errors.New("refused")}, 1},
		{errors.New("anything else"), 1},
		{inStep(&APIError{Status: 409}, "uploading %s", "a.tgz"), 1},
		{inStep(&UsageError{Err: errors.New("x")}, "step"), 2},
	} {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// Command line mistakes exit 2 and send nothing.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    map[string]string
		args   []string
		errHas string
	}{
		{"unknown flag", nil, []string{"repos", "list", "--bogus"}, "error: unknown flag: --bogus\nRun 'admin repos list --help' for usage.\n"},
		{"unknown persistent-position flag", nil, []string{"--bogus", "whoami"}, "unknown flag: --bogus"},
		{"bad flag value", nil, []string{"audit", "list", "--limit", "ten"}, `invalid argument "ten"`},
		{"bad timeout", nil, []string{"whoami", "--timeout", "soon"}, "--timeout"},
		{"negative timeout", nil, []string{"whoami", "--timeout", "-1s"}, "--timeout"},
		{"missing argument", nil, []string{"bindings", "list"}, "error: missing argument REPO\n"},
		{"too many arguments", nil, []string{"repos", "get", "a", "b"}, `unexpected argument "b"`},
		{"unknown command", nil, []string{"bogus"}, `unknown command "bogus" for "admin"`},
		{"unknown subcommand", nil, []string{"pats", "bogus"}, `unknown command "bogus" for "admin pats"`},
		{"bad output", nil, []string{"whoami", "-o", "yaml"}, `invalid --output "yaml"`},
		{"no token", map[string]string{}, []string{"whoami"}, "no token: set ARTIFORTRESS_TOKEN"},
		{"blank token", map[string]string{envToken: "  \n"}, []string{"repos", "list"}, "no token"},
		{"bad url scheme", nil, []string{"whoami", "--url", "ftp://host"}, "scheme must be http or https"},
		{"url without host", nil, []string{"whoami", "--url", "http://"}, "no host"},
		{"url with credentials", nil, []string{"whoami", "--url", "https://u:p@host"}, "must not carry credentials"},
		{"bad url from env", map[string]string{envURL: "localhost:8080", envToken: testToken}, []string{"whoami"}, "invalid server URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := newRequestRecorder(t)
			env := tc.env
			if env == nil {
				env = map[string]string{envURL: rec.URL(), envToken: testToken}
			}
			res := runCommand(t, env, tc.args...)
			if res.code != 2 {
				t.Errorf("exit code %d (err %v), want 2", res.code, res.err)
			}
			var ue *UsageError
			if !errors.As(res.err, &ue) {
				t.Errorf("error %T, want *UsageError", res.err)
			}
			if !strings.Contains(res.stderr, tc.errHas) {
				t.Errorf("stderr lacks %q:\n%s", tc.errHas, res.stderr)
			}
			if n := strings.Count(res.stderr, "error:"); n != 1 {
				t.Errorf("stderr reports %d errors, want 1:\n%s", n, res.stderr)
			}
			if res.stdout != "" {
				t.Errorf("stdout not empty:\n%s", res.stdout)
			}
			if n := len(rec.Requests()); n != 0 {
				t.Errorf("sent %d requests", n)
			}
		})
	}
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{}, {"--help"}, {"pats"}, {"repos", "create", "-h"}, {"help", "audit"}} {
		res := runCommand(t, nil, args...)
		if res.code != 0 || !strings.Contains(res.stdout, "Usage:") {
			t.Errorf("%v: exit code %d, stdout:\n%s", args, res.code, res.stdout)
		}
	}
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	addr := refusingAddr(t)
	res := runCommand(t, map[string]string{envURL: "http://" + addr, envToken: testToken}, "repos", "list")
	if res.code != 1 {
		t.Fatalf("exit code %d, want 1", res.code)
	}
	var te *TransportError
	if !errors.As(res.err, &te) {
		t.Errorf("error %T, want *TransportError", res.err)
	}
	if !strings.HasPrefix(res.stderr, "error: GET http://"+addr+"/v1/repos: ") || !strings.Contains(res.stderr, "refused") {
		t.Errorf("stderr: %q", res.stderr)
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	rec := newRequestRecorder(t, cannedReply{handle: func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}})
	defer close(release)
	res := runAgainst(t, rec, "repos", "list", "--timeout", "50ms")
	if res.code != 1 || !strings.Contains(res.stderr, "no answer within 50ms (see --timeout)") {
		t.Errorf("exit code %d, stderr %q", res.code, res.stderr)
	}
}

func TestExportHeaderTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	rec := newRequestRecorder(t, cannedReply{handle: func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}})
	defer close(release)
	res := runAgainst(t, rec, "audit", "export", "--timeout", "50ms")
	if res.code != 1 || !strings.Contains(res.stderr, "no answer within 50ms") {
		t.Errorf("exit code %d, stderr %q", res.code, res.stderr)
	}
}

func TestRequestHeaders(t *testing.T) {
	old := Version
	Version = "1.2.3"
	defer func() { Version = old }()
	rec := newRequestRecorder(t, reply(200, `{"repo":"r","subject":"s","roles":["read"]}`))
	if res := runAgainst(t, rec, "bindings", "set", "r", "s", "--role", "read"); res.code != 0 {
		t.Fatalf("exit code %d: %s", res.code, res.stderr)
	}
	h := rec.Requests()[0].Header
	for k, want := range map[string]string{
		"Authorization": "Bearer " + testToken,
		"User-Agent":    "artifortress-admin/1.2.3",
		"Content-Type":  "application/json",
		"Accept":        "application/json",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
}

func TestServerAndTokenSources(t *testing.T) {
	t.Parallel()
	t.Run("flags win over the environment", func(t *testing.T) {
		rec := newRequestRecorder(t, reply(200, whoamiBody))
		env := map[string]string{envURL: "http://127.0.0.1:1", envToken: "afp_env_token"}
		res := runCommand(t, env, "whoami", "--url", rec.URL(), "--token", "afp_flag_token")
		if res.code != 0 {
			t.Fatalf("exit code %d: %s", res.code, res.stderr)
		}
		if got := rec.Requests()[0].Header.Get("Authorization"); got != "Bearer afp_flag_token" {
			t.Errorf("Authorization %q", got)
		}
	})
	t.Run("base URL path prefix is kept", func(t *testing.T) {
		rec := newRequestRecorder(t, reply(200, whoamiBody))
		res := runCommand(t, map[string]string{envURL: rec.URL() + "/artifortress/", envToken: " " + testToken + "\n"}, "whoami")
		if res.code != 0 {
			t.Fatalf("exit code %d: %s", res.code, res.stderr)
		}
		checkRequests(t, rec.Requests(), []wantRequest{{method: "GET", path: "/artifortress/v1/auth/whoami"}})
		if got := rec.Requests()[0].Header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("Authorization %q", got)
		}
	})
	t.Run("default URL", func(t *testing.T) {
		o := &options{output: outputTable, conn: Connection{Getenv: func(string) string { return "" }, Token: "afp_x"}}
		s, err := o.session(&cobra.Command{}, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.client.endpoint("/v1/repos", nil).String(); got != defaultURL+"/v1/repos" {
			t.Errorf("endpoint %q", got)
		}
	})
}

func TestUnexpectedAnswers(t *testing.T) {
	runCases(t, []commandCase{
		{
			name:    "2xx with broken JSON",
			args:    []string{"repos", "list"},
			replies: []cannedReply{reply(200, `{"items":[`)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos"}},
			code:    1,
			errHas:  []string{"unreadable JSON"},
		},
		{
			name:    "error without the error shape",
			args:    []string{"repos", "list"},
			replies: []cannedReply{{status: 500, body: "panic: boom\ngoroutine 1", header: map[string]string{"Content-Type": "text/plain"}}},
			want:    []wantRequest{{method: "GET", path: "/v1/repos"}},
			code:    1,
			errHas:  []string{"error: http_500: Internal Server Error: panic: boom\n"},
		},
		{
			name:    "control characters do not reach the terminal",
			args:    []string{"repos", "get", "x"},
			replies: []cannedReply{reply(400, `{"error":{"code":"bad_request","message":"bad \u001b[31mred\u001b[0m"}}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/x"}},
			code:    1,
			errHas:  []string{"error: bad_request: bad  [31mred [0m\n"},
		},
	})
}

// Every command documents itself.
func TestCommandsAreDocumented(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Short == "" || c.Example == "" {
			t.Errorf("%q lacks Short or Example", c.CommandPath())
		}
		for _, line := range strings.Split(c.Example, "\n") {
			if !strings.Contains(line, "artifortress admin") && !strings.HasPrefix(strings.TrimSpace(line), "export ") {
				t.Errorf("%q: example line %q is not an invocation", c.CommandPath(), line)
			}
		}
		if c.Args == nil || c.RunE == nil {
			t.Errorf("%q lacks Args or RunE", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewCommand())
}

// The error the tree returns is the one it printed, once.
func TestAPIErrorPrintedOnce(t *testing.T) {
	t.Parallel()
	rec := newRequestRecorder(t, reply(403, `{"error":{"code":"forbidden","message":"admin role required"}}`))
	root := &cobra.Command{Use: "artifortress"} // as the binary's root, unsilenced
	root.AddCommand(newCommand(func(k string) string {
		return map[string]string{envURL: rec.URL(), envToken: testToken}[k]
	}))
	var out, errOut strings.Builder
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs([]string{"admin", "repos", "delete", "npm-local"})
	err := root.Execute()
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 403 || ae.Code != "forbidden" || ae.RequestID != "req-test" {
		t.Fatalf("error %#v", err)
	}
	if ExitCode(err) != 1 {
		t.Errorf("exit code %d", ExitCode(err))
	}
	if want := "error: forbidden: admin role required\nrequest id: req-test\n"; errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut.String(), want)
	}
	if out.String() != "" {
		t.Errorf("stdout %q", out.String())
	}
}

package transfercli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/artifortress/artifortress/internal/admincli"
	"github.com/artifortress/artifortress/internal/servertest"
)

func TestMain(m *testing.M) {
	// Retries wait a moment, not seconds; plain progress lines come at every
	// update so tests see them.
	retryDelays = []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond}
	plainEvery = 0
	os.Exit(m.Run())
}

// seen is one request as the node's front saw it.
type seen struct {
	Method, Path, RawQuery string
	Range, IfRange, Auth   string
	Status                 int
}

// node is a real server (servertest) behind a recording front: every
// request passes through the front, which records it and may inject a
// fault before the real handler runs.
type node struct {
	env *servertest.Env
	URL string

	mu    sync.Mutex
	reqs  []*seen
	fault func(w http.ResponseWriter, r *http.Request) bool // true: handled (the real handler is skipped)
}

func startNode(t *testing.T) *node {
	t.Helper()
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "files", nil)
	n := &node{env: env}
	inner := env.Server.Handler()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The request is recorded before it is served, and its status as
		// soon as it is written: a client may finish before the handler
		// returns.
		n.mu.Lock()
		entry := &seen{
			Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
			Range: r.Header.Get("Range"), IfRange: r.Header.Get("If-Range"), Auth: r.Header.Get("Authorization"),
			Status: http.StatusOK,
		}
		n.reqs = append(n.reqs, entry)
		fault := n.fault
		n.mu.Unlock()
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK, onStatus: func(code int) {
			n.mu.Lock()
			entry.Status = code
			n.mu.Unlock()
		}}
		handled := fault != nil && fault(rec, r)
		if !handled {
			inner.ServeHTTP(rec, r)
		}
		if rec.abort {
			panic(http.ErrAbortHandler) // cut the connection
		}
	}))
	t.Cleanup(front.Close)
	n.URL = front.URL
	return n
}

// statusWriter records the status; with limit set it fails writes past
// limit bytes and marks the exchange for an abrupt end.
type statusWriter struct {
	http.ResponseWriter
	status   int
	limit    int64
	written  int64
	abort    bool
	onStatus func(code int)
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	if s.onStatus != nil {
		s.onStatus(code)
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.limit > 0 && s.written+int64(len(b)) > s.limit {
		b = b[:s.limit-s.written]
		n, _ := s.ResponseWriter.Write(b)
		s.written += int64(n)
		s.abort = true
		return n, http.ErrAbortHandler
	}
	n, err := s.ResponseWriter.Write(b)
	s.written += int64(n)
	return n, err
}

func (n *node) setFault(f func(w http.ResponseWriter, r *http.Request) bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.fault = f
}

// requests returns the requests seen so far and forgets them.
func (n *node) requests() []seen {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]seen, 0, len(n.reqs))
	for _, r := range n.reqs {
		out = append(out, *r)
	}
	n.reqs = nil
	return out
}

// env is the environment the commands see: this node, the admin token.
func (n *node) envFor(token string) map[string]string {
	return map[string]string{"ARTIFORTRESS_URL": n.URL, "ARTIFORTRESS_TOKEN": token}
}

// result is the outcome of one command run.
type result struct {
	err    error
	code   int
	stdout string
	stderr string
}

// run executes push or pull in-process against the node as the
// administrator.
func (n *node) run(t *testing.T, args ...string) result {
	t.Helper()
	return runWith(t, n.envFor(n.env.AdminToken), args...)
}

func runWith(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	getenv := func(k string) string { return env[k] }
	var cmd *cobra.Command
	switch args[0] {
	case "push":
		cmd = newPushCommand(getenv)
	case "pull":
		cmd = newPullCommand(getenv)
	default:
		t.Fatalf("bad test: command %q", args[0])
	}
	var stdout, stderr bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs(args[1:])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return result{err: err, code: admincli.ExitCode(err), stdout: stdout.String(), stderr: stderr.String()}
}

func (r result) mustSucceed(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d (%v)\nstdout:\n%s\nstderr:\n%s", r.code, r.err, r.stdout, r.stderr)
	}
	return r
}

// pushResults decodes push -o json.
func (r result) pushResults(t *testing.T) []pushResult {
	t.Helper()
	var out []pushResult
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("push -o json printed %q: %v", r.stdout, err)
	}
	return out
}

// randomFile writes size pseudo-random bytes (seeded) to a new file in a
// temporary directory and returns its path and content.
func randomFile(t *testing.T, name string, size int, seed uint64) (string, []byte) {
	t.Helper()
	b := make([]byte, size)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, b
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// blob reads a blob back through the API as the administrator.
func (n *node) blob(t *testing.T, repo, digest string) []byte {
	t.Helper()
	return n.env.Must(t, http.StatusOK, "GET", "/v1/repos/"+repo+"/blobs/"+digest, n.env.AdminToken, nil).Body
}

// count returns how many requests match method and a path containing part.
func count(reqs []seen, method, part string) int {
	c := 0
	for _, r := range reqs {
		if r.Method == method && strings.Contains(r.Path, part) {
			c++
		}
	}
	return c
}

// partPuts returns the part numbers of the part uploads among reqs (through
// the API or direct), in arrival order.
func partPuts(reqs []seen) []string {
	var out []string
	for _, r := range reqs {
		if r.Method != http.MethodPut || !strings.Contains(r.Path, "/parts/") {
			continue
		}
		rest := r.Path[strings.Index(r.Path, "/parts/")+len("/parts/"):]
		out = append(out, strings.TrimSuffix(rest, "/direct"))
	}
	return out
}

func noFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		t.Errorf("%s exists", path)
	}
}

// countOf counts the elements of list equal to v.
func countOf(list []string, v string) int {
	c := 0
	for _, x := range list {
		if x == v {
			c++
		}
	}
	return c
}

package admincli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// testToken is the token the tests hand the commands through the environment.
const testToken = "afp_testid_testsecret"

// recordedRequest is one request as it reached the requestRecorder.
type recordedRequest struct {
	Method   string
	Path     string // escaped, exactly as sent on the request line
	RawQuery string // exactly as sent
	Header   http.Header
	Body     []byte
}

// cannedReply is an answer the requestRecorder gives, in order. When handle
// is set it writes the answer itself (for streamed or broken answers).
type cannedReply struct {
	status int
	body   string
	header map[string]string
	handle func(w http.ResponseWriter, r *http.Request)
}

// requestRecorder is the test-side stand-in for the server: it records every
// request and answers with the next canned reply. It holds no server logic
// (no state, no validation); end-to-end tests against the real server check
// behaviour.
type requestRecorder struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	requests []recordedRequest
	replies  []cannedReply
}

func newRequestRecorder(t *testing.T, replies ...cannedReply) *requestRecorder {
	t.Helper()
	rec := &requestRecorder{t: t, replies: replies}
	rec.srv = httptest.NewServer(http.HandlerFunc(rec.serve))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *requestRecorder) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		rec.t.Errorf("recorder: reading body: %v", err)
	}
	path, query, _ := strings.Cut(r.RequestURI, "?")
	rec.mu.Lock()
	rec.requests = append(rec.requests, recordedRequest{
		Method: r.Method, Path: path, RawQuery: query, Header: r.Header.Clone(), Body: body,
	})
	var reply cannedReply
	ok := len(rec.replies) > 0
	if ok {
		reply, rec.replies = rec.replies[0], rec.replies[1:]
	}
	rec.mu.Unlock()
	if !ok {
		rec.t.Errorf("recorder: unexpected request %s %s", r.Method, r.RequestURI)
		w.WriteHeader(http.StatusTeapot)
		return
	}
	if reply.handle != nil {
		reply.handle(w, r)
		return
	}
	w.Header().Set("X-Request-Id", "req-test")
	if reply.body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	for k, v := range reply.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(reply.status)
	io.WriteString(w, reply.body)
}

// URL is the base URL to hand the commands.
func (rec *requestRecorder) URL() string { return rec.srv.URL }

// Requests returns the requests recorded so far.
func (rec *requestRecorder) Requests() []recordedRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recordedRequest(nil), rec.requests...)
}

// reply is a canned JSON answer.
func reply(status int, body string) cannedReply { return cannedReply{status: status, body: body} }

// result is the outcome of one command run.
type result struct {
	err    error
	code   int
	stdout string
	stderr string
}

// runCommand runs the admin tree with args and the given environment
// (nothing is read from the real environment).
func runCommand(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	cmd := newCommand(func(k string) string { return env[k] })
	var stdout, stderr bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetIn(strings.NewReader(""))
	cmd.SetArgs(append([]string{}, args...))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return result{err: err, code: ExitCode(err), stdout: stdout.String(), stderr: stderr.String()}
}

// runAgainst runs the admin tree against rec with the test token.
func runAgainst(t *testing.T, rec *requestRecorder, args ...string) result {
	t.Helper()
	return runCommand(t, map[string]string{envURL: rec.URL(), envToken: testToken}, args...)
}

// wantRequest is what a command must have sent.
type wantRequest struct {
	method string
	path   string // escaped
	query  string // raw, as encoded by the client (keys sorted)
	body   string // JSON compared structurally; "" means no body
	// rawBody, when set, is the exact body instead (uploads, bodies sent
	// byte for byte).
	rawBody string
}

func checkRequests(t *testing.T, got []recordedRequest, want []wantRequest) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d requests %v, want %d", len(got), summarize(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Method != w.method || g.Path != w.path || g.RawQuery != w.query {
			t.Errorf("request %d: got %s %s?%s, want %s %s?%s", i, g.Method, g.Path, g.RawQuery, w.method, w.path, w.query)
		}
		if w.rawBody != "" {
			if string(g.Body) != w.rawBody {
				t.Errorf("request %d: got body %q, want %q", i, g.Body, w.rawBody)
			}
			continue
		}
		checkJSONBody(t, i, g.Body, w.body)
	}
}

func checkJSONBody(t *testing.T, i int, got []byte, want string) {
	t.Helper()
	if want == "" {
		if len(got) != 0 {
			t.Errorf("request %d: got body %s, want none", i, got)
		}
		return
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("request %d: body %q is not JSON: %v", i, got, err)
		return
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad test: want body %q: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("request %d: got body %s, want %s", i, got, want)
	}
}

func summarize(reqs []recordedRequest) []string {
	var s []string
	for _, r := range reqs {
		s = append(s, r.Method+" "+r.Path+"?"+r.RawQuery)
	}
	return s
}

package servertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/server"
	"github.com/artifortress/artifortress/internal/telemetry"
	"github.com/artifortress/artifortress/internal/testpg"
)

// Backend names a metadata store to run a test against.
type Backend struct {
	Name string
	// DatabaseURL returns the store's URL for one test ("" for SQLite in the
	// data directory).
	DatabaseURL func(t testing.TB) string
}

// Backends returns SQLite and PostgreSQL. The PostgreSQL backend skips the
// test when no server is configured, or fails it in CI (see testpg).
func Backends() []Backend {
	return []Backend{
		{Name: "sqlite", DatabaseURL: func(testing.TB) string { return "" }},
		{Name: "postgres", DatabaseURL: testpg.URL},
	}
}

// ForEachBackend runs fn as a subtest per backend.
func ForEachBackend(t *testing.T, fn func(t *testing.T, b Backend)) {
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, b) })
	}
}

// Env is a running node.
type Env struct {
	Server     *server.Server
	HTTP       *httptest.Server
	URL        string
	AdminToken string
	DataDir    string
	Logs       *SyncBuffer
	Config     config.Config
}

// Start builds a node on backend with a fresh data directory; options adjust
// the configuration. The node stops when the test ends.
func Start(t testing.TB, b Backend, options ...func(*config.Config)) *Env {
	t.Helper()
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.DatabaseURL = b.DatabaseURL(t)
	for _, o := range options {
		o(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	logs := &SyncBuffer{}
	log := telemetry.NewLogger(logs, -4)
	srv, err := server.New(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	env := &Env{Server: srv, HTTP: hs, URL: hs.URL, DataDir: cfg.DataDir, Logs: logs, Config: cfg}
	if cfg.BootstrapToken != "" {
		env.AdminToken = cfg.BootstrapToken
	} else {
		raw, err := os.ReadFile(filepath.Join(cfg.DataDir, auth.InitialTokenFile))
		if err != nil {
			t.Fatalf("read initial admin token: %v", err)
		}
		env.AdminToken = strings.TrimSpace(string(raw))
	}
	return env
}

// Response is an answered request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// ErrorCode returns error.code of a /v1 error body ("" if none).
func (r *Response) ErrorCode() string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// Do sends a request with token as Bearer ("" for none). body may be nil, a
// string or []byte (sent as is), or anything else (sent as JSON).
func (e *Env) Do(t testing.TB, method, path, token string, body any) *Response {
	t.Helper()
	req := e.Request(t, method, path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.Send(t, req)
}

// Request builds a request to the node.
func (e *Env) Request(t testing.TB, method, path string, body any) *http.Request {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// Send sends req and reads the whole answer.
func (e *Env) Send(t testing.TB, req *http.Request) *Response {
	t.Helper()
	resp, err := e.HTTP.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// Must sends a request as token and fails the test unless it answers want.
func (e *Env) Must(t testing.TB, want int, method, path, token string, body any) *Response {
	t.Helper()
	r := e.Do(t, method, path, token, body)
	if r.Status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	return r
}

// Token issues a token for subject with scopes, as the administrator.
func (e *Env) Token(t testing.TB, subject string, scopes ...string) string {
	t.Helper()
	r := e.Must(t, http.StatusCreated, "POST", "/v1/auth/pats", e.AdminToken,
		map[string]any{"subject": subject, "scopes": scopes, "ttlMinutes": 60})
	var out struct{ Token string }
	r.JSON(t, &out)
	return out.Token
}

// CreateRepo creates a repository as the administrator. spec holds extra
// fields (type defaults to local, format to generic).
func (e *Env) CreateRepo(t testing.TB, key string, spec map[string]any) {
	t.Helper()
	body := map[string]any{"key": key, "type": "local", "format": "generic"}
	for k, v := range spec {
		body[k] = v
	}
	e.Must(t, http.StatusCreated, "POST", "/v1/repos", e.AdminToken, body)
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers (the logger) and
// readers (the test).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

package admincli

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	auditRecord1 = `{"id":42,"at":"2026-11-26T18:00:00.123Z","actor":"admin","action":"repo.create","resource":"repo/npm-local","repo":"npm-local","requestId":"r1","details":{"format":"npm"}}`
	auditRecord2 = `{"id":41,"at":"2026-11-26T17:00:00Z","actor":"alice","action":"binding.put","resource":"repo/npm-local/bindings/bob","repo":"npm-local","requestId":"r2","details":{"roles":["write"]}}`
	auditRecord3 = `{"id":40,"at":"2026-11-26T16:00:00Z","actor":"admin","action":"token.issue","resource":"token/k3v9","repo":"","requestId":"r3","details":null}`
)

func TestAuditList(t *testing.T) {
	runCases(t, []commandCase{
		{
			name:    "one page with a next cursor",
			args:    []string{"audit", "list"},
			replies: []cannedReply{reply(200, `{"items":[`+auditRecord1+`,`+auditRecord2+`],"nextCursor":"c2"}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/audit"}},
			stdout: "ID  AT                        ACTOR  ACTION       RESOURCE                     DETAILS\n" +
				"42  2026-11-26T18:00:00.123Z  admin  repo.create  repo/npm-local               {\"format\":\"npm\"}\n" +
				"41  2026-11-26T17:00:00Z      alice  binding.put  repo/npm-local/bindings/bob  {\"roles\":[\"write\"]}\n",
			errHas: []string{"--cursor c2"},
		},
		{
			name:    "json keeps the cursor",
			args:    []string{"audit", "list", "-o", "json", "--limit", "1"},
			replies: []cannedReply{reply(200, `{"items":[`+auditRecord3+`],"nextCursor":"c9"}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/audit", query: "limit=1"}},
			outHas:  []string{`"nextCursor": "c9"`, `"details": null`},
		},
		{
			name: "filters are encoded",
			args: []string{"audit", "list", "--actor", "ci bot", "--action", "repo.create", "--repo", "npm-local",
				"--since", "2026-11-26T18:00:00+02:00", "--until", "2026-11-27T00:00:00.500Z", "--limit", "1000", "--cursor", "a+b/c=="},
			replies: []cannedReply{reply(200, `{"items":[]}`)},
			want: []wantRequest{{method: "GET", path: "/v1/audit",
				query: "action=repo.create&actor=ci+bot&cursor=a%2Bb%2Fc%3D%3D&limit=1000&repo=npm-local" +
					"&since=2026-11-26T16%3A00%3A00Z&until=2026-11-27T00%3A00%3A00.5Z"}},
			stdout: "ID  AT  ACTOR  ACTION  RESOURCE  DETAILS\n",
		},
		{
			name: "--all follows the cursors",
			args: []string{"audit", "list", "--all", "--limit", "1", "--action", "repo.create"},
			replies: []cannedReply{
				reply(200, `{"items":[`+auditRecord1+`],"nextCursor":"c1"}`),
				reply(200, `{"items":[`+auditRecord2+`],"nextCursor":"c2"}`),
				reply(200, `{"items":[`+auditRecord3+`]}`),
			},
			want: []wantRequest{
				{method: "GET", path: "/v1/audit", query: "action=repo.create&limit=1"},
				{method: "GET", path: "/v1/audit", query: "action=repo.create&cursor=c1&limit=1"},
				{method: "GET", path: "/v1/audit", query: "action=repo.create&cursor=c2&limit=1"},
			},
			outHas: []string{"\n42 ", "\n41 ", "\n40 "},
		},
		{
			name: "--all json merges the pages",
			args: []string{"audit", "list", "--all", "-o", "json", "--cursor", "c0"},
			replies: []cannedReply{
				reply(200, `{"items":[`+auditRecord1+`],"nextCursor":"c1"}`),
				reply(200, `{"items":[`+auditRecord2+`]}`),
			},
			want: []wantRequest{
				{method: "GET", path: "/v1/audit", query: "cursor=c0"},
				{method: "GET", path: "/v1/audit", query: "cursor=c1"},
			},
			outHas: []string{`"id": 42`, `"id": 41`, `"requestId": "r2"`},
		},
		{
			name: "--all stops on a repeated cursor",
			args: []string{"audit", "list", "--all"},
			replies: []cannedReply{
				reply(200, `{"items":[],"nextCursor":"same"}`),
				reply(200, `{"items":[],"nextCursor":"same"}`),
			},
			want: []wantRequest{
				{method: "GET", path: "/v1/audit"},
				{method: "GET", path: "/v1/audit", query: "cursor=same"},
			},
			code:   1,
			errHas: []string{"repeated cursor"},
		},
		{
			name: "--all fails on an error page",
			args: []string{"audit", "list", "--all"},
			replies: []cannedReply{
				reply(200, `{"items":[`+auditRecord1+`],"nextCursor":"c1"}`),
				reply(503, `{"error":{"code":"unavailable","message":"metadata store does not answer"}}`),
			},
			want: []wantRequest{
				{method: "GET", path: "/v1/audit"},
				{method: "GET", path: "/v1/audit", query: "cursor=c1"},
			},
			code:   1,
			errHas: []string{"error: unavailable: metadata store does not answer"},
		},
		{name: "bad --since", args: []string{"audit", "list", "--since", "yesterday"}, code: 2, errHas: []string{`invalid --since "yesterday"`}},
		{name: "until before since", args: []string{"audit", "list", "--since", "2026-11-02T00:00:00Z", "--until", "2026-11-01T00:00:00Z"}, code: 2},
		{name: "limit zero", args: []string{"audit", "list", "--limit", "0"}, code: 2, errHas: []string{"--limit"}},
		{name: "limit too big", args: []string{"audit", "list", "--limit", "1001"}, code: 2},
		{
			name:    "export to stdout",
			args:    []string{"audit", "export", "--repo", "npm-local", "--since", "2026-11-01T00:00:00Z"},
			replies: []cannedReply{{status: 200, body: auditRecord3 + "\n" + auditRecord2 + "\n", header: map[string]string{"Content-Type": "application/x-ndjson"}}},
			want:    []wantRequest{{method: "GET", path: "/v1/audit/export", query: "repo=npm-local&since=2026-11-01T00%3A00%3A00Z"}},
			stdout:  auditRecord3 + "\n" + auditRecord2 + "\n",
		},
		{
			name:    "export forbidden",
			args:    []string{"audit", "export"},
			replies: []cannedReply{reply(403, `{"error":{"code":"forbidden","message":"global administrators only"}}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/audit/export"}},
			code:    1,
			errHas:  []string{"error: forbidden: global administrators only"},
		},
		{name: "export takes no limit", args: []string{"audit", "export", "--limit", "5"}, code: 2, errHas: []string{"unknown flag: --limit"}},
	})
}

func TestAuditExportToFile(t *testing.T) {
	t.Parallel()
	body := auditRecord3 + "\n" + auditRecord2 + "\n" + auditRecord1 + "\n"
	rec := newRequestRecorder(t, cannedReply{status: 200, body: body, header: map[string]string{"Content-Type": "application/x-ndjson"}})
	dir := t.TempDir()
	file := filepath.Join(dir, "audit.ndjson")
	if err := os.WriteFile(file, []byte("old content\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runAgainst(t, rec, "audit", "export", "--action", "token.issue", "-f", file)
	if res.code != 0 {
		t.Fatalf("exit code %d: %s", res.code, res.stderr)
	}
	checkRequests(t, rec.Requests(), []wantRequest{{method: "GET", path: "/v1/audit/export", query: "action=token.issue"}})
	if got := rec.Requests()[0].Header.Get("Accept"); got != "application/x-ndjson" {
		t.Errorf("Accept %q", got)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != body {
		t.Errorf("file holds:\n%s\nwant:\n%s", got, body)
	}
	if res.stdout != "" {
		t.Errorf("stdout not empty: %q", res.stdout)
	}
	if !strings.Contains(res.stderr, "Exported 3 audit record(s) to "+file) {
		t.Errorf("stderr: %q", res.stderr)
	}
	assertOnlyFile(t, dir, "audit.ndjson")
}

// A broken export leaves the target untouched and no temporary file behind.
func TestAuditExportToFileBroken(t *testing.T) {
	t.Parallel()
	rec := newRequestRecorder(t, cannedReply{handle: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		io.WriteString(w, auditRecord3+"\n")
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // drop the connection mid-stream
	}})
	dir := t.TempDir()
	file := filepath.Join(dir, "audit.ndjson")
	res := runAgainst(t, rec, "audit", "export", "-f", file)
	if res.code != 1 {
		t.Fatalf("exit code %d, want 1; stderr: %s", res.code, res.stderr)
	}
	var te *TransportError
	if !errors.As(res.err, &te) {
		t.Errorf("error %T %v, want *TransportError", res.err, res.err)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("target exists after a failed export: %v", err)
	}
	assertOnlyFile(t, dir)
}

func TestAuditExportToUnwritableDir(t *testing.T) {
	t.Parallel()
	rec := newRequestRecorder(t)
	res := runAgainst(t, rec, "audit", "export", "-f", filepath.Join(t.TempDir(), "missing", "audit.ndjson"))
	if res.code != 1 || !strings.Contains(res.stderr, "creating the export file") {
		t.Errorf("exit code %d, stderr %q", res.code, res.stderr)
	}
}

// The export reaches the output while the server is still sending: the
// recorder's canned answer holds the second record back until the first one
// has been written out.
func TestAuditExportStreams(t *testing.T) {
	t.Parallel()
	firstSeen := make(chan struct{})
	rec := newRequestRecorder(t, cannedReply{handle: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		io.WriteString(w, auditRecord3+"\n")
		w.(http.Flusher).Flush()
		select {
		case <-firstSeen:
		case <-time.After(10 * time.Second):
			t.Error("the first record did not reach the output before the answer ended: export buffers")
		}
		io.WriteString(w, auditRecord2+"\n")
	}})
	out := &signalWriter{want: auditRecord3 + "\n", seen: firstSeen}
	cmd := newCommand(func(k string) string {
		return map[string]string{envURL: rec.URL(), envToken: testToken}[k]
	})
	cmd.SetOut(out)
	cmd.SetErr(io.Discard)
	cmd.SetArgs([]string{"audit", "export", "--timeout", "5s"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), auditRecord3+"\n"+auditRecord2+"\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

// signalWriter closes seen once its content starts with want.
type signalWriter struct {
	mu   sync.Mutex
	buf  strings.Builder
	want string
	seen chan struct{}
	done bool
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.done && strings.HasPrefix(w.buf.String(), w.want) {
		w.done = true
		close(w.seen)
	}
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func assertOnlyFile(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}

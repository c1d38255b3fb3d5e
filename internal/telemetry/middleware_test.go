package telemetry

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMiddlewareRecordsAbortedResponses: a handler that cuts its response
// short (panic with http.ErrAbortHandler) still gets its log line, as an
// error marked "aborted"; the panic still reaches net/http.
func TestMiddlewareRecordsAbortedResponses(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	m := NewMetrics("test", "")
	mux := http.NewServeMux()
	mux.HandleFunc("/cut", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("partial"))
		panic(http.ErrAbortHandler)
	})
	mux.HandleFunc("/fine", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	srv := httptest.NewServer(m.Middleware(log, mux))
	defer srv.Close()
	if resp, err := http.Get(srv.URL + "/fine"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("fine: %v %v", resp, err)
	}
	if resp, err := http.Get(srv.URL + "/cut"); err == nil {
		// A chunked answer cut short ends without its terminator.
		if _, err := new(bytes.Buffer).ReadFrom(resp.Body); err == nil {
			t.Error("the client read an aborted answer as complete")
		}
		resp.Body.Close()
	}
	srv.Close()
	lines := map[string]string{}
	for _, line := range strings.Split(logs.String(), "\n") {
		for _, path := range []string{"/cut", "/fine"} {
			if strings.Contains(line, `"path":"`+path+`"`) {
				lines[path] = line
			}
		}
	}
	if !strings.Contains(lines["/cut"], `"aborted":true`) || !strings.Contains(lines["/cut"], `"level":"ERROR"`) {
		t.Fatalf("log line of the aborted request: %q", lines["/cut"])
	}
	if lines["/fine"] == "" || strings.Contains(lines["/fine"], "aborted") {
		t.Fatalf("log line of a fine request: %q", lines["/fine"])
	}
}

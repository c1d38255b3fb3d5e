package server_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/servertest"
)

func TestRequestIDs(t *testing.T) {
	env := servertest.Start(t, servertest.Backends()[0])
	req := env.Request(t, "GET", "/v1/repos", nil)
	req.Header.Set("X-Request-Id", "client-chosen-id.42")
	req.Header.Set("Authorization", "Bearer "+env.AdminToken)
	if got := env.Send(t, req).Header.Get("X-Request-Id"); got != "client-chosen-id.42" {
		t.Errorf("valid client id not echoed: %q", got)
	}
	req = env.Request(t, "GET", "/health/live", nil)
	req.Header.Set("X-Request-Id", "evil\tid with spaces and \"quotes\"")
	got := env.Send(t, req).Header.Get("X-Request-Id")
	if len(got) != 32 || strings.ContainsAny(got, " \t\"") {
		t.Errorf("hostile client id not replaced: %q", got)
	}
	r := env.Do(t, "GET", "/v1/auth/whoami", "", nil)
	id := r.Header.Get("X-Request-Id")
	if id == "" {
		t.Fatal("a 401 carries no request id")
	}
	found := false
	for _, line := range strings.Split(strings.TrimSpace(env.Logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["request_id"] == id && rec["msg"] == "request" && rec["status"] == float64(401) {
			found = true
		}
	}
	if !found {
		t.Errorf("no access log line carries request id %s", id)
	}
}

func TestMetrics(t *testing.T) {
	env := servertest.Start(t, servertest.Backends()[0])
	env.Must(t, 200, "GET", "/v1/repos", env.AdminToken, nil)
	env.Do(t, "GET", "/v1/repos", "", nil)
	body := string(env.Must(t, 200, "GET", "/metrics", "", nil).Body)
	for _, want := range []string{
		`artifortress_http_requests_total{method="GET",route="GET /v1/repos",status="200"} 1`,
		`artifortress_http_requests_total{method="GET",route="GET /v1/repos",status="401"} 1`,
		`artifortress_http_request_duration_seconds_bucket{method="GET",route="GET /v1/repos",status="200",le="0.5"} 1`,
		`artifortress_build_info{`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestReadiness(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.Must(t, 200, "GET", "/health/live", "", nil)
		r := env.Must(t, 200, "GET", "/health/ready", "", nil)
		if !strings.Contains(string(r.Body), `"metadata":{"status":"ok"}`) || !strings.Contains(string(r.Body), `"blobs":{"status":"ok"}`) {
			t.Errorf("ready body %s", r.Body)
		}

		// The blob directory becomes unusable: readiness says which dependency.
		blobs := filepath.Join(env.DataDir, "blobs")
		if err := os.RemoveAll(blobs); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(blobs, []byte("not a directory"), 0o600); err != nil {
			t.Fatal(err)
		}
		r = env.Do(t, "GET", "/health/ready", "", nil)
		var body struct {
			Status string
			Checks map[string]struct{ Status, Error string }
		}
		r.JSON(t, &body)
		if r.Status != 503 || body.Status != "unavailable" || body.Checks["blobs"].Status != "unavailable" || body.Checks["metadata"].Status != "ok" {
			t.Errorf("with a broken blob directory: %d %s", r.Status, r.Body)
		}
		os.Remove(blobs)
		os.Mkdir(blobs, 0o700)
		env.Must(t, 200, "GET", "/health/ready", "", nil)

		// The metadata store goes away.
		env.Server.DB().Close()
		r = env.Do(t, "GET", "/health/ready", "", nil)
		r.JSON(t, &body)
		if r.Status != 503 || body.Checks["metadata"].Status != "unavailable" {
			t.Errorf("with the metadata store closed: %d %s", r.Status, r.Body)
		}
		env.Must(t, 200, "GET", "/health/live", "", nil)
	})
}

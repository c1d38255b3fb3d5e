package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Check reports whether one dependency answers.
type Check func(ctx context.Context) error

type checkResult struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

func liveHandler(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// readyHandler runs every check concurrently with a deadline and answers 200
// when all pass, 503 otherwise, with a per-dependency breakdown.
func readyHandler(checks map[string]Check, timeout time.Duration, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		results := make(map[string]checkResult, len(checks))
		var mu sync.Mutex
		var wg sync.WaitGroup
		for name, check := range checks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := checkResult{Status: "ok"}
				if err := check(ctx); err != nil {
					// The endpoint needs no credentials: say which dependency
					// fails, keep hosts and paths for the log.
					res = checkResult{Status: "unavailable", Error: name + " does not answer; see the server log"}
					log.WarnContext(r.Context(), "readiness check failed", slog.String("check", name), slog.String("error", err.Error()))
				}
				mu.Lock()
				results[name] = res
				mu.Unlock()
			}()
		}
		wg.Wait()
		status, code := "ok", http.StatusOK
		for _, res := range results {
			if res.Status != "ok" {
				status, code = "unavailable", http.StatusServiceUnavailable
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{"status": status, "checks": results})
	}
}

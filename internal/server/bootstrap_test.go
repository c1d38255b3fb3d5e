package server_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/server"
	"github.com/artifortress/artifortress/internal/telemetry"
	"github.com/artifortress/artifortress/internal/testpg"
)

// TestConcurrentBootstrap starts several nodes on one fresh PostgreSQL
// database at once: migrations serialize, and exactly one node mints the
// initial administrator token.
func TestConcurrentBootstrap(t *testing.T) {
	url := testpg.URL(t)
	const nodes = 4
	dirs := make([]string, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		dirs[i] = t.TempDir()
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := config.Defaults()
			cfg.DataDir, cfg.DatabaseURL = dirs[i], url
			srv, err := server.New(context.Background(), cfg, telemetry.NewLogger(io.Discard, 0))
			if err != nil {
				errs[i] = err
				return
			}
			errs[i] = srv.Close()
		}()
	}
	wg.Wait()
	files := 0
	for i := range nodes {
		if errs[i] != nil {
			t.Errorf("node %d: %v", i, errs[i])
		}
		if _, err := os.Stat(filepath.Join(dirs[i], "initial-admin-token")); err == nil {
			files++
		}
	}
	if files != 1 {
		t.Errorf("%d nodes wrote an initial admin token, want exactly 1", files)
	}
}

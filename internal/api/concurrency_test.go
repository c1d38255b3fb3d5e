package api_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/servertest"
)

// TestConcurrentMutations races many writers at the same rows: exactly one
// create of a key wins, every binding change lands once, and the audit trail
// holds one record per successful change.
func TestConcurrentMutations(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		const n = 24
		var wg sync.WaitGroup
		statuses := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = env.Do(t, "POST", "/v1/repos", env.AdminToken,
					map[string]any{"key": "contested", "type": "local", "format": "npm"}).Status
			}()
		}
		wg.Wait()
		won := 0
		for _, s := range statuses {
			switch s {
			case 201:
				won++
			case 409:
			default:
				t.Errorf("concurrent create answered %d", s)
			}
		}
		if won != 1 {
			t.Fatalf("%d concurrent creates of one key succeeded, want 1", won)
		}
		creates, err := env.Server.DB().ListAudit(t.Context(), meta.AuditFilter{Action: "repo.create", Repo: "contested"})
		if err != nil || len(creates) != 1 {
			t.Fatalf("audit records of the create: %d (%v)", len(creates), err)
		}

		// Distinct writers, each with its own subject, all land.
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := env.Do(t, "PUT", fmt.Sprintf("/v1/repos/contested/bindings/user%d", i), env.AdminToken,
					map[string]any{"roles": []string{"read"}})
				if r.Status != 200 {
					t.Errorf("binding user%d: %d %s", i, r.Status, r.Body)
				}
			}()
		}
		wg.Wait()
		var list struct{ Items []struct{ Subject string } }
		env.Must(t, 200, "GET", "/v1/repos/contested/bindings", env.AdminToken, nil).JSON(t, &list)
		if len(list.Items) != n {
			t.Errorf("%d bindings after %d concurrent puts", len(list.Items), n)
		}
		puts, err := env.Server.DB().ListAudit(t.Context(), meta.AuditFilter{Action: "binding.put"})
		if err != nil || len(puts) != n {
			t.Errorf("audit records of the puts: %d (%v)", len(puts), err)
		}
	})
}

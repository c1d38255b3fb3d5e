package metatest

import (
	"context"
	"sync"
	"testing"

	"github.com/artifortress/artifortress/internal/meta"
)

// migrators is how many goroutines race to migrate the same store.
const migrators = 8

func testMigrations(t *testing.T, open Opener) {
	t.Run("idempotent", func(t *testing.T) {
		db := open(t)
		ctx := context.Background()
		for i := range 2 {
			applied, err := db.Migrate(ctx)
			must(t, err, "Migrate call %d on a migrated store", i+1)
			if len(applied) != 0 {
				t.Fatalf("Migrate call %d applied %d migrations on a migrated store, want 0", i+1, len(applied))
			}
		}
		checkAllApplied(t, db)
	})
	t.Run("status_all_applied", func(t *testing.T) {
		checkAllApplied(t, open(t))
	})
	t.Run("concurrent_on_migrated_store", func(t *testing.T) {
		db := open(t)
		applied := migrateConcurrently(t, db)
		if len(applied) != 0 {
			t.Fatalf("concurrent Migrate on a migrated store applied %v, want nothing", applied)
		}
		checkAllApplied(t, db)
	})
}

// RunMigrate checks migrating a store that has never been migrated:
// MigrationStatus reports everything pending, several goroutines calling
// Migrate at once succeed and apply each migration exactly once in total,
// and the schema is usable afterwards. openUnmigrated must return a brand-new
// store on which Migrate was never called.
func RunMigrate(t *testing.T, openUnmigrated func(t *testing.T) *meta.DB) {
	t.Helper()
	t.Run("pending_before_migrate", func(t *testing.T) {
		db := openUnmigrated(t)
		status, err := db.MigrationStatus(context.Background())
		must(t, err, "MigrationStatus")
		if len(status) == 0 {
			t.Fatal("MigrationStatus lists no migrations")
		}
		for _, m := range status {
			if m.Applied || !m.AppliedAt.IsZero() {
				t.Errorf("migration %04d_%s reported applied (at %v) before Migrate", m.Version, m.Name, m.AppliedAt)
			}
		}
	})
	t.Run("concurrent_exactly_once", func(t *testing.T) {
		db := openUnmigrated(t)
		ctx := context.Background()
		before, err := db.MigrationStatus(ctx)
		must(t, err, "MigrationStatus")
		applied := migrateConcurrently(t, db)
		seen := map[int]int{}
		for _, m := range applied {
			seen[m.Version]++
			if !m.Applied || m.AppliedAt.IsZero() {
				t.Errorf("Migrate returned %04d_%s with Applied=%v AppliedAt=%v", m.Version, m.Name, m.Applied, m.AppliedAt)
			}
		}
		for _, m := range before {
			if seen[m.Version] != 1 {
				t.Errorf("migration %04d_%s applied %d times in total by %d concurrent Migrate calls, want exactly 1",
					m.Version, m.Name, seen[m.Version], migrators)
			}
		}
		if len(applied) != len(before) {
			t.Errorf("concurrent Migrate applied %d migrations in total, want %d", len(applied), len(before))
		}
		checkAllApplied(t, db)
		again, err := db.Migrate(ctx)
		must(t, err, "Migrate after concurrent Migrate")
		if len(again) != 0 {
			t.Errorf("Migrate after concurrent Migrate applied %d migrations, want 0", len(again))
		}
		// The schema is usable.
		must(t, db.InsertState(ctx, "metatest.migrated", "yes"), "InsertState after Migrate")
		insertRepos(t, db, repo("after-migrate"))
	})
}

// migrateConcurrently starts migrators goroutines that call Migrate at once,
// fails the test if any call fails, and returns everything they applied.
func migrateConcurrently(t *testing.T, db *meta.DB) []meta.Migration {
	t.Helper()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		applied []meta.Migration
		start   = make(chan struct{})
	)
	for i := range migrators {
		wg.Go(func() {
			<-start
			got, err := db.Migrate(context.Background())
			if err != nil {
				t.Errorf("concurrent Migrate %d: %v", i, err)
				return
			}
			mu.Lock()
			applied = append(applied, got...)
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return applied
}

// checkAllApplied asserts that MigrationStatus lists at least one migration,
// in strictly increasing version order, every one applied with a time.
func checkAllApplied(t *testing.T, db *meta.DB) {
	t.Helper()
	status, err := db.MigrationStatus(context.Background())
	must(t, err, "MigrationStatus")
	if len(status) == 0 {
		t.Fatal("MigrationStatus lists no migrations")
	}
	for i, m := range status {
		if !m.Applied || m.AppliedAt.IsZero() {
			t.Errorf("migration %04d_%s: Applied=%v AppliedAt=%v, want applied", m.Version, m.Name, m.Applied, m.AppliedAt)
		}
		if m.Name == "" {
			t.Errorf("migration %04d has no name", m.Version)
		}
		if i > 0 && m.Version <= status[i-1].Version {
			t.Errorf("MigrationStatus out of order: %d after %d", m.Version, status[i-1].Version)
		}
	}
}

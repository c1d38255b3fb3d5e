package metatest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/meta"
)

// Opener opens a store for one test. The store must be empty and migrated
// (for Run) and closed by the opener's own t.Cleanup.
type Opener = func(t *testing.T) *meta.DB

// Run runs the whole contract suite against the backend that open returns.
// open is called once per subtest and must return a freshly migrated, empty
// store that it closes in a t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) *meta.DB) {
	t.Helper()
	for _, group := range []struct {
		name string
		run  func(t *testing.T, open Opener)
	}{
		{"migrations", testMigrations},
		{"tokens", testTokens},
		{"repos", testRepos},
		{"bindings", testBindings},
		{"audit", testAudit},
		{"transactions", testTransactions},
		{"on_events", testOnEvents},
		{"system_state", testState},
	} {
		t.Run(group.name, func(t *testing.T) { group.run(t, open) })
	}
}

// base is the suite's reference time. It has nanoseconds on purpose: the
// store keeps microseconds, and the suite checks that it truncates rather than
// rounds or drops them.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)

// at returns base plus d.
func at(d time.Duration) time.Time { return base.Add(d) }

// micro is what the store must return for t: t truncated to microseconds, in UTC.
func micro(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

// sameTime reports whether got is exactly micro(want), location included.
func sameTime(got, want time.Time) bool {
	return got.Equal(micro(want)) && got.Location() == time.UTC
}

// samePtrTime compares optional times.
func samePtrTime(got, want *time.Time) bool {
	if got == nil || want == nil {
		return got == nil && want == nil
	}
	return sameTime(*got, *want)
}

func fmtPtrTime(p *time.Time) string {
	if p == nil {
		return "<nil>"
	}
	return p.Format(time.RFC3339Nano)
}

// must fails the test when err is not nil.
func must(t testing.TB, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}

// wantErr fails the test unless errors.Is(err, want).
func wantErr(t testing.TB, err, want error, what string, args ...any) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error = %v, want %v", fmt.Sprintf(what, args...), err, want)
	}
}

// tx runs fn in a transaction that must commit.
func tx(t testing.TB, db *meta.DB, fn func(tx *meta.Tx) error) {
	t.Helper()
	must(t, db.Tx(context.Background(), fn), "transaction")
}

// repo returns a repository fixture. Virtual when members are given, local otherwise.
func repo(key string, members ...string) meta.Repo {
	r := meta.Repo{
		Key: key, Type: "local", Format: "generic", Description: "repo " + key,
		Settings: `{"k":"` + key + `"}`, CreatedAt: at(0), UpdatedAt: at(time.Second),
	}
	if len(members) > 0 {
		r.Type, r.Members = "virtual", members
	}
	return r
}

// insertRepos stores repositories in one committed transaction, in order.
func insertRepos(t testing.TB, db *meta.DB, repos ...meta.Repo) {
	t.Helper()
	tx(t, db, func(tx *meta.Tx) error {
		for _, r := range repos {
			if err := tx.InsertRepo(context.Background(), r); err != nil {
				return fmt.Errorf("insert repo %s: %w", r.Key, err)
			}
		}
		return nil
	})
}

// insertPackage adds a package row with RawExec: the catalog API does not
// exist yet, but repositories must already cascade and count packages.
func insertPackage(t testing.TB, db *meta.DB, id, repoKey, name string) {
	t.Helper()
	n, err := db.RawExec(context.Background(),
		"INSERT INTO packages (id, repo_key, format, namespace, name, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		id, repoKey, "generic", "", name, meta.Micros(base))
	must(t, err, "insert package %s into %s", id, repoKey)
	if n != 1 {
		t.Fatalf("insert package %s: %d rows affected, want 1", id, n)
	}
}

// sameStrings compares string slices, treating nil and empty as equal.
func sameStrings(a, b []string) bool {
	return len(a) == 0 && len(b) == 0 || slices.Equal(a, b)
}

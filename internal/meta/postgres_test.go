package meta_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/meta/metatest"
	"github.com/artifortress/artifortress/internal/testpg"
)

// openPostgres opens a store on a brand-new PostgreSQL database (dropped
// after the test).
func openPostgres(tb testing.TB, migrate bool) *meta.DB {
	tb.Helper()
	return openPostgresURL(tb, testpg.URL(tb), migrate)
}

func openPostgresURL(tb testing.TB, dsn string, migrate bool) *meta.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := meta.Open(ctx, dsn, "")
	if err != nil {
		tb.Fatalf("open PostgreSQL: %v", err)
	}
	tb.Cleanup(func() { db.Close() }) // runs before testpg drops the database
	if db.Dialect() != meta.Postgres {
		tb.Fatalf("Dialect() = %q, want %q", db.Dialect(), meta.Postgres)
	}
	if migrate {
		if _, err := db.Migrate(ctx); err != nil {
			tb.Fatalf("migrate PostgreSQL: %v", err)
		}
	}
	return db
}

func TestPostgres(t *testing.T) {
	metatest.Run(t, func(t *testing.T) *meta.DB { return openPostgres(t, true) })
}

func TestPostgresMigrate(t *testing.T) {
	metatest.RunMigrate(t, func(t *testing.T) *meta.DB { return openPostgres(t, false) })
}

func BenchmarkPostgres(b *testing.B) {
	metatest.Bench(b, func(b *testing.B) *meta.DB { return openPostgres(b, true) })
}

// TestPostgresFullPool: as many transactions as the pool has connections,
// all open at once, each running a query the node has not prepared yet.
// Preparing one on the pool would need a connection none of them gives
// back: the statement cache must not wait for one inside a transaction
// (it deadlocked before).
func TestPostgresFullPool(t *testing.T) {
	db := openPostgres(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var all sync.WaitGroup
	all.Add(meta.PostgresPoolSize)
	errs := make(chan error, meta.PostgresPoolSize)
	var wg sync.WaitGroup
	for i := range meta.PostgresPoolSize {
		wg.Go(func() {
			errs <- db.Tx(ctx, func(tx *meta.Tx) error {
				all.Done()
				all.Wait() // every connection is now held by a transaction
				_, err := tx.GetRepo(ctx, fmt.Sprintf("r%d", i))
				if errors.Is(err, meta.ErrNotFound) {
					err = nil
				}
				return err
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestPostgresSchemes checks that both URL schemes select PostgreSQL.
func TestPostgresSchemes(t *testing.T) {
	dsn := testpg.URL(t)
	rest, ok := strings.CutPrefix(dsn, "postgres://")
	if !ok {
		rest, ok = strings.CutPrefix(dsn, "postgresql://")
	}
	if !ok {
		t.Fatalf("testpg URL %q has an unexpected scheme", dsn)
	}
	for _, scheme := range []string{"postgres://", "postgresql://"} {
		t.Run(strings.TrimSuffix(scheme, "://"), func(t *testing.T) {
			db := openPostgresURL(t, scheme+rest, true)
			if err := db.Ping(context.Background()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
		})
	}
}

// TestOpenRejectsBadURL needs no server: every case fails before or at connect.
func TestOpenRejectsBadURL(t *testing.T) {
	for _, c := range []struct{ name, url, wantInErr string }{
		{"mysql", "mysql://user@localhost/db", "unsupported scheme"},
		{"http", "http://localhost:5432/db", "unsupported scheme"},
		{"file", "file:/tmp/x.db", "unsupported scheme"},
		{"bare_path", "/tmp/x.db", "unsupported scheme"},
		{"uppercase_scheme", "POSTGRES://localhost/db", "unsupported scheme"},
		{"sqlite_no_colon", "sqlite", "unsupported scheme"},
		{"postgres_bad_escape", "postgres://localhost/%zz", "database URL"},
		{"postgres_unreachable", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=5", "connect"},
	} {
		t.Run(c.name, func(t *testing.T) {
			db, err := meta.Open(context.Background(), c.url, t.TempDir())
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded, want an error", c.url)
			}
			if !strings.Contains(err.Error(), c.wantInErr) {
				t.Errorf("Open(%q) error %q does not mention %q", c.url, err, c.wantInErr)
			}
		})
	}
}

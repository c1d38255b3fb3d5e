package testpg_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/artifortress/artifortress/internal/testpg"
)

func TestURLCreatesAndDropsDatabase(t *testing.T) {
	admin := os.Getenv(testpg.EnvVar)
	var dsns []string
	t.Run("create", func(t *testing.T) {
		a, b := testpg.URL(t), testpg.URL(t)
		dsns = append(dsns, a, b)
		if a == b {
			t.Fatalf("two calls returned the same DSN %q", a)
		}
		for _, dsn := range dsns {
			checkFreshDatabase(t, admin, dsn)
		}
	})
	if len(dsns) == 0 {
		if !t.Failed() {
			t.Skip("no PostgreSQL configured") // URL skipped the subtest
		}
		return
	}

	// The subtest has finished, so its cleanups must have dropped both databases.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect admin: %v", err)
	}
	defer conn.Close(ctx)
	for _, dsn := range dsns {
		name := dbName(t, dsn)
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
			t.Fatalf("query pg_database: %v", err)
		}
		if n != 0 {
			t.Errorf("database %s still exists after test cleanup", name)
		}
	}
}

// checkFreshDatabase verifies that dsn points at a new, empty, writable
// database distinct from the admin one and that the admin query is kept.
func checkFreshDatabase(t *testing.T, admin, dsn string) {
	t.Helper()
	name := dbName(t, dsn)
	if !strings.HasPrefix(name, "af_test_") {
		t.Errorf("database name %q lacks the af_test_ prefix", name)
	}
	au, _ := url.Parse(admin)
	du, _ := url.Parse(dsn)
	if au.RawQuery != du.RawQuery || au.Host != du.Host || au.User.String() != du.User.String() {
		t.Errorf("DSN %q should differ from %q only in its path", du.Redacted(), au.Redacted())
	}

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", du.Redacted(), err)
	}
	// Deliberately left open: the cleanup must drop the database anyway.
	t.Cleanup(func() { conn.Close(context.Background()) })

	var current string
	var tables int
	err = conn.QueryRow(ctx, `SELECT current_database(),
		(SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public')`).Scan(&current, &tables)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	if current != name {
		t.Errorf("current_database() = %q, want %q", current, name)
	}
	if tables != 0 {
		t.Errorf("new database has %d tables in public, want 0", tables)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE t (id int PRIMARY KEY)"); err != nil {
		t.Errorf("create table in test database: %v", err)
	}
}

func dbName(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse DSN: %v", err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

func TestAvailable(t *testing.T) {
	t.Setenv(testpg.EnvVar, "")
	if testpg.Available() {
		t.Error("Available() = true with the variable empty")
	}
	t.Setenv(testpg.EnvVar, "postgres://example.invalid/postgres")
	if !testpg.Available() {
		t.Error("Available() = false with the variable set")
	}
}

func TestURLWithoutDatabase(t *testing.T) {
	for _, tc := range []struct {
		ci                    string
		wantSkip, wantFailure bool
	}{
		{ci: "", wantSkip: true},
		{ci: "false", wantSkip: true},
		{ci: "true", wantFailure: true},
	} {
		t.Setenv(testpg.EnvVar, "")
		t.Setenv("CI", tc.ci)
		r := &recorder{TB: t}
		r.run(func() { testpg.URL(r) })
		if r.skipped != tc.wantSkip || r.failed != tc.wantFailure {
			t.Errorf("CI=%q: skipped=%v failed=%v, want skipped=%v failed=%v (message %q)",
				tc.ci, r.skipped, r.failed, tc.wantSkip, tc.wantFailure, r.msg)
		}
		if !strings.Contains(r.msg, "scripts/test.sh") {
			t.Errorf("CI=%q: message %q does not mention scripts/test.sh", tc.ci, r.msg)
		}
	}
}

// recorder is a testing.TB that records, rather than performs, Skip and
// Fatal so that URL's behaviour without a database can be observed.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls f on its own goroutine, as the testing package does, so that
// Skipf and Fatalf can stop it with runtime.Goexit.
func (r *recorder) run(f func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		f()
	}()
	wg.Wait()
}

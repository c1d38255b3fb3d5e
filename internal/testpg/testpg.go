package testpg

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/testenv"
	"github.com/jackc/pgx/v5"
)

// EnvVar is the environment variable holding the URL (postgres://...) of
// the PostgreSQL server on which test databases are created. The user it
// names must be allowed to create and drop databases.
const EnvVar = "ARTIFORTRESS_TEST_DATABASE_URL"

// opTimeout bounds each administrative statement (connect, create, drop).
const opTimeout = 30 * time.Second

// Available reports whether a PostgreSQL server for tests is configured,
// that is whether ARTIFORTRESS_TEST_DATABASE_URL is set.
func Available() bool {
	return os.Getenv(EnvVar) != ""
}

// URL creates a new, empty database for the calling test and returns a DSN
// for it. The database is dropped (forcibly closing leftover connections)
// when the test and its subtests have finished.
//
// If ARTIFORTRESS_TEST_DATABASE_URL is unset, URL skips the test, or fails
// it when running in CI (CI=true).
func URL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvVar)
	if admin == "" {
		msg := EnvVar + " is not set; run scripts/test.sh, which starts a throw-away PostgreSQL, " +
			"or point " + EnvVar + " at a server where this user may CREATE DATABASE"
		if testenv.InCI() {
			t.Fatalf("testpg: PostgreSQL is required in CI: %s", msg)
		}
		t.Skipf("testpg: skipping PostgreSQL test: %s", msg)
	}

	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("testpg: parse %s: %v", EnvVar, err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		t.Fatalf("testpg: %s must be a postgres:// URL, not %q", EnvVar, u.Redacted())
	}

	name := "af_test_" + randomHex(8)
	ident := pgx.Identifier{name}.Sanitize()
	adminExec(t, admin, "CREATE DATABASE "+ident)
	t.Cleanup(func() {
		adminExec(t, admin, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
	})

	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// adminExec runs a single statement on a fresh connection to dsn.
func adminExec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("testpg: connect to %s: %v", redact(dsn), err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("testpg: %s: %v", sql, err)
	}
}

// randomHex returns 2n random hexadecimal characters.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error.
	return hex.EncodeToString(b)
}

// redact hides any password in dsn so that it can be logged.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Redacted()
}

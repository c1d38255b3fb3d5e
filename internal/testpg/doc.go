// Package testpg gives tests their own throw-away PostgreSQL database.
//
// Tests call [URL] to obtain the DSN of a brand-new, empty database that is
// dropped automatically when the test finishes. The databases are created
// on the server named by the ARTIFORTRESS_TEST_DATABASE_URL environment
// variable, which scripts/test.sh sets after starting a temporary
// PostgreSQL cluster:
//
//	func TestStore(t *testing.T) {
//		dsn := testpg.URL(t)
//		// open dsn, run migrations, exercise the store...
//	}
//
// When the variable is unset, tests that need PostgreSQL are skipped, except
// in CI (CI=true), where a missing database is a test failure so that
// suites cannot silently stop running.
package testpg

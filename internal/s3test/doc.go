// Package s3test gives tests their own empty bucket on a real S3 server.
//
// Tests call [Config] to obtain an [s3store.Config] for a brand-new bucket
// that is emptied and removed automatically when the test finishes. The
// buckets are created on the server named by the ARTIFORTRESS_TEST_S3_URL
// environment variable (with ARTIFORTRESS_TEST_S3_ACCESS_KEY and
// ARTIFORTRESS_TEST_S3_SECRET_KEY), which scripts/test.sh sets after
// starting a throw-away versitygw:
//
//	func TestStore(t *testing.T) {
//		s, err := s3store.New(t.Context(), s3test.Config(t))
//		// exercise the store...
//	}
//
// When the variable is unset, tests that need S3 are skipped, except in CI
// (CI=true), where a missing server is a test failure so that suites cannot
// silently stop running.
package s3test

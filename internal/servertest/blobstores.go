package servertest

import (
	"testing"

	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/s3test"
)

// BlobStore names a blob store to run a test against.
type BlobStore struct {
	Name string
	// Option configures a node for the store ("" fields for the default
	// filesystem store). It may skip the test (see s3test).
	Option func(t testing.TB) func(*config.Config)
}

// BlobStores returns the filesystem store and an S3 store on a fresh bucket
// of the test S3 server (versitygw, started by scripts/test.sh).
func BlobStores() []BlobStore {
	return []BlobStore{
		{Name: "fs", Option: func(testing.TB) func(*config.Config) { return func(*config.Config) {} }},
		{Name: "s3", Option: S3},
	}
}

// S3 points a node at a fresh bucket of the test S3 server.
func S3(t testing.TB) func(*config.Config) {
	sc := s3test.Config(t)
	return func(c *config.Config) {
		c.BlobStore = "s3://" + sc.Bucket
		if sc.Prefix != "" {
			c.BlobStore += "/" + sc.Prefix
		}
		c.S3Endpoint, c.S3Region, c.S3AccessKey, c.S3SecretKey, c.S3PathStyle = sc.Endpoint, sc.Region, sc.AccessKey, sc.SecretKey, true
	}
}

// ForEachStack runs fn for SQLite and PostgreSQL on the filesystem store,
// and SQLite on the S3 store: every combination a deployment uses, without
// the full product of the two.
func ForEachStack(t *testing.T, fn func(t *testing.T, b Backend, opt func(*config.Config))) {
	stacks := []struct {
		name  string
		b     Backend
		store BlobStore
	}{
		{"sqlite+fs", Backends()[0], BlobStores()[0]},
		{"postgres+fs", Backends()[1], BlobStores()[0]},
		{"sqlite+s3", Backends()[0], BlobStores()[1]},
	}
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) { fn(t, s.b, s.store.Option(t)) })
	}
}

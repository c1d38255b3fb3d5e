package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/artifortress/artifortress/internal/blob/s3store"
	"github.com/artifortress/artifortress/internal/testenv"
)

// Environment variables naming the S3 server tests use.
const (
	// EnvURL is the endpoint, for example http://127.0.0.1:7070. The
	// credentials must allow creating and deleting buckets.
	EnvURL = "ARTIFORTRESS_TEST_S3_URL"
	// EnvAccessKey and EnvSecretKey are the credentials.
	EnvAccessKey = "ARTIFORTRESS_TEST_S3_ACCESS_KEY"
	EnvSecretKey = "ARTIFORTRESS_TEST_S3_SECRET_KEY"
	// EnvRegion is the region (default us-east-1).
	EnvRegion = "ARTIFORTRESS_TEST_S3_REGION"
)

// opTimeout bounds bucket creation and each cleanup step.
const opTimeout = time.Minute

// Available reports whether an S3 server for tests is configured, that is
// whether ARTIFORTRESS_TEST_S3_URL is set.
func Available() bool {
	return os.Getenv(EnvURL) != ""
}

// Config creates a new, empty bucket for the calling test and returns the
// configuration of a store on it (path-style addressing, no prefix). When
// the test and its subtests have finished, the bucket's objects, incomplete
// multipart uploads and the bucket itself are deleted.
//
// If ARTIFORTRESS_TEST_S3_URL is unset, Config skips the test, or fails it
// when running in CI (CI=true).
func Config(t testing.TB) s3store.Config {
	t.Helper()
	cfg, client := config(t)
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
		t.Fatalf("s3test: create bucket %s at %s: %v", cfg.Bucket, cfg.Endpoint, err)
	}
	return cfg
}

// ConfigNoBucket is like Config, but the bucket it names does not exist
// yet; it is removed at the end of the test if the test created it.
func ConfigNoBucket(t testing.TB) s3store.Config {
	t.Helper()
	cfg, _ := config(t)
	return cfg
}

// Client returns a client of the server cfg (from Config) names, for
// inspecting a bucket's raw keys.
func Client(t testing.TB, cfg s3store.Config) *minio.Client {
	t.Helper()
	u, err := url.Parse(cfg.Endpoint)
	if err != nil {
		t.Fatalf("s3test: endpoint %q: %v", cfg.Endpoint, err)
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       u.Scheme == "https",
		Region:       cfg.Region,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatalf("s3test: client for %s: %v", u.Redacted(), err)
	}
	return client
}

// config returns a configuration for a new bucket name and a client, and
// registers the bucket's removal.
func config(t testing.TB) (s3store.Config, *minio.Client) {
	t.Helper()
	endpoint := os.Getenv(EnvURL)
	if endpoint == "" {
		msg := EnvURL + " is not set; run scripts/test.sh, which starts a throw-away versitygw, " +
			"or point " + EnvURL + " (with " + EnvAccessKey + " and " + EnvSecretKey +
			") at an S3 server where these credentials may create buckets"
		if testenv.InCI() {
			t.Fatalf("s3test: S3 is required in CI: %s", msg)
		}
		t.Skipf("s3test: skipping S3 test: %s", msg)
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		t.Fatalf("s3test: %s must be an http(s)://host:port URL, not %q", EnvURL, endpoint)
	}
	region := os.Getenv(EnvRegion)
	if region == "" {
		region = "us-east-1"
	}
	cfg := s3store.Config{
		Endpoint:  endpoint,
		Region:    region,
		AccessKey: os.Getenv(EnvAccessKey),
		SecretKey: os.Getenv(EnvSecretKey),
		Bucket:    "af-test-" + randomHex(8),
		PathStyle: true,
	}
	client := Client(t, cfg)
	t.Cleanup(func() { removeBucket(t, client, cfg.Bucket) })
	return cfg, client
}

// removeBucket deletes every object and incomplete upload in bucket, then
// the bucket.
func removeBucket(t testing.TB, client *minio.Client, bucket string) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if ok, err := client.BucketExists(ctx, bucket); err == nil && !ok {
		return // never created
	}
	objects := client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true})
	for r := range client.RemoveObjects(ctx, bucket, objects, minio.RemoveObjectsOptions{}) {
		t.Errorf("s3test: cleanup: delete %s/%s: %v", bucket, r.ObjectName, r.Err)
	}
	for u := range client.ListIncompleteUploads(ctx, bucket, "", true) {
		if u.Err != nil {
			t.Errorf("s3test: cleanup: list uploads in %s: %v", bucket, u.Err)
			break
		}
		if err := client.RemoveIncompleteUpload(ctx, bucket, u.Key); err != nil {
			t.Errorf("s3test: cleanup: abort upload of %s/%s: %v", bucket, u.Key, err)
		}
	}
	if err := client.RemoveBucket(ctx, bucket); err != nil {
		t.Errorf("s3test: cleanup: remove bucket %s: %v", bucket, err)
	}
}

// randomHex returns 2n random hexadecimal characters.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error.
	return hex.EncodeToString(b)
}

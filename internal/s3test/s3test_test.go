package s3test_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/artifortress/artifortress/internal/s3test"
)

func TestConfigCreatesAndRemovesBucket(t *testing.T) {
	var buckets []string
	var client *minio.Client
	t.Run("create", func(t *testing.T) {
		a, b := s3test.Config(t), s3test.Config(t)
		if a.Bucket == b.Bucket {
			t.Fatalf("two calls returned the same bucket %q", a.Bucket)
		}
		client = s3test.Client(t, a)
		for _, cfg := range []string{a.Bucket, b.Bucket} {
			ok, err := client.BucketExists(t.Context(), cfg)
			if err != nil || !ok {
				t.Fatalf("bucket %s: exists=%v, %v", cfg, ok, err)
			}
			n := 0
			for o := range client.ListObjects(t.Context(), cfg, minio.ListObjectsOptions{Recursive: true}) {
				if o.Err != nil {
					t.Fatal(o.Err)
				}
				n++
			}
			if n != 0 {
				t.Errorf("new bucket %s holds %d objects", cfg, n)
			}
			buckets = append(buckets, cfg)
		}
		// Leave objects and an incomplete multipart upload behind: cleanup
		// must remove them all, and then the bucket.
		if _, err := client.PutObject(t.Context(), a.Bucket, "x/y", bytes.NewReader([]byte("z")), 1,
			minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		core := minio.Core{Client: client}
		if _, err := core.NewMultipartUpload(t.Context(), a.Bucket, "pending", minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	if len(buckets) == 0 {
		if !t.Failed() {
			t.Skip("no S3 server configured") // Config skipped the subtest
		}
		return
	}
	for _, b := range buckets {
		ok, err := client.BucketExists(context.Background(), b)
		if err != nil || ok {
			t.Errorf("bucket %s after the test: exists=%v, %v; want it removed", b, ok, err)
		}
	}
}

func TestConfigNoBucket(t *testing.T) {
	cfg := s3test.ConfigNoBucket(t)
	ok, err := s3test.Client(t, cfg).BucketExists(t.Context(), cfg.Bucket)
	if err != nil || ok {
		t.Errorf("bucket %s: exists=%v, %v; want it absent", cfg.Bucket, ok, err)
	}
}

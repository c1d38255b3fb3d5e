package server

import (
	"context"
	"fmt"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/blob/s3store"
)

// openS3 opens the S3-compatible blob store named by --blob-store
// s3://bucket[/prefix] and the --s3-* settings.
func openS3(ctx context.Context, cfg blobConfig) (blob.Store, error) {
	bucket, prefix, err := s3store.ParseURL(cfg.url)
	if err != nil {
		return nil, fmt.Errorf("blob-store: %w", err)
	}
	st, err := s3store.New(ctx, s3store.Config{
		Endpoint: cfg.s3.endpoint, Region: cfg.s3.region, AccessKey: cfg.s3.accessKey, SecretKey: cfg.s3.secretKey,
		Bucket: bucket, Prefix: prefix, PathStyle: cfg.s3.pathStyle,
	})
	if err != nil {
		return nil, fmt.Errorf("blob-store %s: %w", cfg.url, err)
	}
	return st, nil
}

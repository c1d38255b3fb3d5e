package server

import (
	"context"
	"fmt"

	"github.com/artifortress/artifortress/internal/blob"
)

// openS3 opens an S3-compatible blob store.
func openS3(_ context.Context, cfg blobConfig) (blob.Store, error) {
	return nil, fmt.Errorf("blob-store: %s: the S3 store is not built into this binary yet", cfg.url)
}

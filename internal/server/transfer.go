package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/blob/filestore"
	"github.com/artifortress/artifortress/internal/publicurl"
	"github.com/artifortress/artifortress/internal/repo"
	"github.com/artifortress/artifortress/internal/transfer"
)

// openBlobStore opens the configured blob store.
func openBlobStore(ctx context.Context, cfg blobConfig) (blob.Store, error) {
	if cfg.url == "" {
		st, err := filestore.New(cfg.dir)
		if err != nil {
			return nil, fmt.Errorf("blob-store: %w", err)
		}
		// Writes interrupted by a crash of this node leave temporary files;
		// the sweeper removes old ones, start-up removes these at once.
		if _, err := st.CleanTmp(time.Now().Add(-time.Minute)); err != nil {
			return nil, fmt.Errorf("blob-store: clean temporary files: %w", err)
		}
		return st, nil
	}
	return openS3(ctx, cfg)
}

type blobConfig struct {
	url, dir string
	s3       struct {
		endpoint, region, accessKey, secretKey string
		pathStyle                              bool
	}
}

func (s *Server) initTransfer(ctx context.Context) error {
	bc := blobConfig{url: s.cfg.BlobStore, dir: BlobDir(s.cfg.DataDir)}
	bc.s3.endpoint, bc.s3.region, bc.s3.pathStyle = s.cfg.S3Endpoint, s.cfg.S3Region, s.cfg.S3PathStyle
	bc.s3.accessKey, bc.s3.secretKey = s.cfg.S3AccessKey, s.cfg.S3SecretKey
	store, err := openBlobStore(ctx, bc)
	if err != nil {
		return err
	}
	signer, err := transfer.LoadSigner(ctx, s.db)
	if err != nil {
		return err
	}
	s.store = store
	s.repos = repo.NewService(s.db, s.auth.SubjectChanged, s.cfg.AuthCacheTTL)
	s.checksums = transfer.NewChecksummer(s.db, store, s.log)
	opt := transfer.DefaultOptions()
	opt.SessionTTL = s.cfg.UploadSessionTTL
	opt.MaxBlobBytes = s.cfg.MaxBlobBytes
	opt.MaxSessions = s.cfg.MaxUploadSessions
	opt.Log = s.log
	opt.DirectURLBase = publicurl.FromContext
	opt.OnBlobCommited = s.checksums.Enqueue
	if s.cfg.AuthCacheTTL > 0 {
		opt.LinkCacheTTL = transfer.DefaultLinkCacheTTL
	}
	s.transfer = transfer.New(s.db, store, s.repos, signer, opt)
	return nil
}

// sweepLoop runs the upload sweeper every --sweep-interval until ctx ends.
func (s *Server) sweepLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			st, err := s.transfer.Sweep(ctx)
			if err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "upload sweep", slog.String("error", err.Error()))
			}
			if st != (transfer.SweepStats{}) {
				s.log.InfoContext(ctx, "upload sweep", slog.Int("expired", st.Expired), slog.Int("reopened", st.Reopened),
					slog.Int("deleted", st.Deleted), slog.Int("orphans", st.OrphansRemoved), slog.Int("tmp", st.TmpRemoved))
			}
		}
	}
}

// Transfer is the upload and download service (tests).
func (s *Server) Transfer() *transfer.Service { return s.transfer }

// Checksums is the node's checksummer, which Serve runs in the background
// (tests without Serve run its steps).
func (s *Server) Checksums() *transfer.Checksummer { return s.checksums }

// Store is the blob store (tests).
func (s *Server) Store() blob.Store { return s.store }

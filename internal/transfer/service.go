package transfer

import (
	"context"
	"log/slog"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/repo"
	"github.com/artifortress/artifortress/internal/ttlcache"
)

// Options tune the service.
type Options struct {
	SessionTTL     time.Duration // how long a session may stay unfinished
	PartSize       int64         // recommended part size announced to clients
	MaxPartSize    int64         // largest accepted part
	MaxParts       int           // highest part number
	MaxBlobBytes   int64         // default per-blob limit (0: none); repositories may set their own
	MaxSessions    int           // default unfinished sessions per repository
	PresignTTL     time.Duration // lifetime of pre-signed part URLs
	DirectURLBase  func(ctx context.Context) string
	Now            func() time.Time
	Log            *slog.Logger
	OnBlobCommited func(d blob.Digest) // called after a new blob is committed (checksum filler)
	// LinkCacheTTL is how long a download may reuse a blob's link to a
	// repository read for an earlier download (0: read it every time);
	// DefaultLinkCacheTTL when caches are on.
	LinkCacheTTL time.Duration
}

// DefaultOptions are the defaults the server starts with.
func DefaultOptions() Options {
	return Options{
		SessionTTL:  24 * time.Hour,
		PartSize:    64 << 20,
		MaxPartSize: 5 << 30,
		MaxParts:    10000,
		MaxSessions: 64,
		PresignTTL:  time.Hour,
	}
}

// Service runs upload sessions.
type Service struct {
	db     *meta.DB
	store  blob.Store
	repos  *repo.Service
	signer *Signer
	opt    Options
	links  *ttlcache.Cache[linkKey, meta.BlobLink]
}

// New returns an upload service. signer makes node-served direct-upload URLs
// for stores without their own pre-signing.
func New(db *meta.DB, store blob.Store, repos *repo.Service, signer *Signer, opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	return &Service{db: db, store: store, repos: repos, signer: signer, opt: opt,
		links: ttlcache.New[linkKey, meta.BlobLink](opt.LinkCacheTTL, maxCachedLinks)}
}

// Staged object names of a session.
func partName(id string, n int) string { return "uploads/" + id + "/part-" + pad5(n) }
func assembledName(id string) string   { return "uploads/" + id + "/assembled" }
func sessionPrefix(id string) string   { return "uploads/" + id + "/" }

func pad5(n int) string {
	b := []byte("00000")
	for i := 4; i >= 0 && n > 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b)
}

// Session states.
const (
	StateOpen       = "open"
	StateAssembling = "assembling"
	StateCompleted  = "completed"
	StateCommitted  = "committed"
	StateAborted    = "aborted"
	StateExpired    = "expired"
)

// unfinished are the states that count against a repository's session quota.
var unfinished = []string{StateOpen, StateAssembling, StateCompleted}

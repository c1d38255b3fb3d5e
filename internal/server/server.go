package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/artifortress/artifortress/internal/api"
	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/events"
	"github.com/artifortress/artifortress/internal/format/formats"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/native"
	"github.com/artifortress/artifortress/internal/native/generic"
	"github.com/artifortress/artifortress/internal/native/npm"
	"github.com/artifortress/artifortress/internal/native/oci"
	"github.com/artifortress/artifortress/internal/native/pypi"
	"github.com/artifortress/artifortress/internal/netguard"
	"github.com/artifortress/artifortress/internal/publicurl"
	"github.com/artifortress/artifortress/internal/registrytoken"
	"github.com/artifortress/artifortress/internal/remote"
	"github.com/artifortress/artifortress/internal/repo"
	"github.com/artifortress/artifortress/internal/search"
	"github.com/artifortress/artifortress/internal/telemetry"
	"github.com/artifortress/artifortress/internal/transfer"
	"github.com/artifortress/artifortress/internal/webhook"
)

// Version is the release version, set at build time with
// -ldflags "-X github.com/artifortress/artifortress/internal/server.Version=v1.2.3".
var Version = "dev"

// Server is one assembled node.
type Server struct {
	cfg   config.Config
	log   *slog.Logger
	db    *meta.DB
	auth  *auth.Service
	repos *repo.Service
	store blob.Store
	// transfer runs uploads and downloads; checksums fills lazy checksums.
	transfer  *transfer.Service
	checksums *transfer.Checksummer
	catalog   *catalog.Service
	// The event side: worker and handlers, search, webhooks, event admin.
	worker     *events.Worker
	handlers   []events.Handler
	search     *search.Service
	webhooks   *webhook.Service
	eventAdmin *events.Admin
	api        *api.API
	metrics    *telemetry.Metrics
	handler    http.Handler
}

// BlobDir is where blobs live under the data directory.
func BlobDir(dataDir string) string { return filepath.Join(dataDir, "blobs") }

// New opens the stores, migrates (unless disabled), bootstraps the first
// administrator and builds the HTTP handler. Close releases what it opened.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*Server, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data-dir: %w", err)
	}
	if err := os.MkdirAll(BlobDir(cfg.DataDir), 0o700); err != nil {
		return nil, fmt.Errorf("data-dir: %w", err)
	}
	db, err := meta.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("database-url: %w", err)
	}
	s := &Server{cfg: cfg, log: log, db: db}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) init(ctx context.Context) error {
	if s.cfg.AutoMigrate {
		applied, err := s.db.Migrate(ctx)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		for _, m := range applied {
			s.log.InfoContext(ctx, "migration applied", slog.Int("version", m.Version), slog.String("name", m.Name))
		}
	}
	status, err := s.db.MigrationStatus(ctx)
	if err != nil {
		return fmt.Errorf("migration status: %w", err)
	}
	for _, m := range status {
		if !m.Applied {
			return fmt.Errorf("migration %04d_%s is pending; run `artifortress migrate up` or start with --auto-migrate", m.Version, m.Name)
		}
	}
	s.auth = auth.NewService(s.db, auth.Options{MaxTTL: s.cfg.MaxTokenTTL, BootstrapToken: s.cfg.BootstrapToken, CacheTTL: s.cfg.AuthCacheTTL})
	path, err := s.auth.Bootstrap(ctx, s.cfg.DataDir)
	if err != nil {
		return err
	}
	if path != "" {
		s.log.InfoContext(ctx, "initial admin token written; read it, store it safely, then delete the file", slog.String("path", path))
	}
	if err := s.initTransfer(ctx); err != nil {
		return err
	}
	s.catalog = catalog.New(s.db, s.repos, formats.Lookup)
	s.catalog.SetTombstoneRetention(s.cfg.TombstoneRetention)
	metrics := telemetry.NewMetrics(Version, telemetry.Revision())
	s.metrics = metrics
	if err := s.initEvents(metrics); err != nil {
		return err
	}
	s.api = api.New(api.Deps{
		Auth: s.auth, Repos: s.repos, Transfer: s.transfer, Catalog: s.catalog,
		Search: s.search, Webhooks: s.webhooks, Events: s.eventAdmin,
		DB: s.db, Log: s.log, MaxBodyBytes: s.cfg.MaxRequestBytes,
	})
	mux := http.NewServeMux()
	s.api.Register(mux)
	mux.HandleFunc("GET /health/live", liveHandler)
	mux.HandleFunc("GET /health/ready", readyHandler(map[string]Check{
		"metadata": s.db.Ping,
		"blobs":    s.store.Ping,
	}, 5*time.Second, s.log))
	mux.Handle("GET /metrics", promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{}))
	// Remote repositories fetch through the same SSRF guard as webhooks,
	// with room for large artifacts and a CDN's redirects.
	remoteGuard, err := netguard.New(netguard.Config{Allow: s.cfg.OutboundAllowList(), Timeout: 30 * time.Minute, MaxRedirects: 5})
	if err != nil {
		return fmt.Errorf("outbound-allow: %w", err)
	}
	remotes := remote.New(s.db, remoteGuard, s.log, metrics.Registry)
	mux.Handle(native.Prefix, native.New(s.auth, s.repos, s.log, map[string]native.Handler{
		"npm":     npm.New(s.catalog, s.transfer, s.checksums.Ensure, s.search, remotes, s.repos),
		"generic": generic.New(s.catalog, s.transfer, s.repos, remotes),
		"pypi":    pypi.New(s.catalog, s.transfer, remotes, s.repos),
	}))
	tokenKey, kid, err := registrytoken.LoadOrCreateKey(ctx, s.db)
	if err != nil {
		return fmt.Errorf("registry token key: %w", err)
	}
	issuer, err := registrytoken.NewIssuer(tokenKey, kid)
	if err != nil {
		return err
	}
	mux.Handle(oci.Prefix, oci.New(s.auth, s.repos, s.catalog, s.transfer, issuer, remotes, s.log))
	// The public-URL middleware goes outermost: the metrics middleware must
	// hand the mux the very request whose matched pattern it then reads.
	trusted, err := publicurl.ParseTrusted(s.cfg.TrustedProxies)
	if err != nil {
		return fmt.Errorf("trusted-proxies: %w", err)
	}
	s.handler = publicurl.Resolver{Configured: s.cfg.PublicURL, Trusted: trusted}.Middleware(metrics.Middleware(s.log, mux))
	return nil
}

// Handler is the node's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// API is the /v1 API (for tests that enumerate its routes).
func (s *Server) API() *api.API { return s.api }

// Auth is the token service.
func (s *Server) Auth() *auth.Service { return s.auth }

// DB is the metadata store.
func (s *Server) DB() *meta.DB { return s.db }

// Close releases the stores, flushing token usage first.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ferr := s.auth.Usage().Flush(ctx, s.db)
	return errors.Join(ferr, s.db.Close())
}

// Serve listens on cfg.Listen and serves until ctx ends, then stops
// accepting, lets in-flight requests finish within the shutdown timeout and
// returns. ready, if not nil, receives the bound address once listening.
func (s *Server) Serve(ctx context.Context, ready func(addr net.Addr)) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var background sync.WaitGroup
	background.Go(func() {
		s.auth.Usage().Run(bg, s.db, s.cfg.TokenUsageInterval, func(err error) {
			s.log.WarnContext(bg, "flush token usage", slog.String("error", err.Error()))
		})
	})
	background.Go(func() { s.checksums.Run(bg, time.Minute) })
	background.Go(func() { s.sweepLoop(bg) })
	if s.cfg.Worker {
		background.Go(func() { s.runEvents(bg) })
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.InfoContext(ctx, "listening", slog.String("addr", ln.Addr().String()), slog.String("version", Version),
		slog.String("metadata", string(s.db.Dialect())), slog.String("data_dir", s.cfg.DataDir))
	if ready != nil {
		ready(ln.Addr())
	}
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
		s.log.InfoContext(ctx, "shutting down", slog.String("timeout", s.cfg.ShutdownTimeout.String()))
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
		serveErr = srv.Shutdown(sctx)
		cancel()
	}
	stopBG()
	background.Wait()
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return serveErr
}

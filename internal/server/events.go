package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/artifortress/artifortress/internal/events"
	"github.com/artifortress/artifortress/internal/format/formats"
	"github.com/artifortress/artifortress/internal/netguard"
	"github.com/artifortress/artifortress/internal/search"
	"github.com/artifortress/artifortress/internal/telemetry"
	"github.com/artifortress/artifortress/internal/webhook"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// initEvents builds what reacts to committed changes: the event worker with
// its handlers (search indexer, webhook dispatcher), the search service, the
// webhook service and the operators' event admin.
func (s *Server) initEvents(metrics *telemetry.Metrics) error {
	guard, err := netguard.New(netguard.Config{Allow: s.cfg.OutboundAllowList()})
	if err != nil {
		return fmt.Errorf("outbound-allow: %w", err)
	}
	dispatcher := webhook.NewDispatcher(s.db, guard, webhook.DispatcherOptions{})
	s.webhooks = webhook.NewService(s.db, dispatcher)
	s.search = search.New(s.db, s.repos, formats.Lookup, search.Options{Logger: s.log})
	s.eventAdmin = events.NewAdmin(s.db, nil)
	s.handlers = []events.Handler{s.search.Indexer(), dispatcher}
	if s.cfg.Worker {
		s.startWorker(metrics)
	}
	return nil
}

// startWorker builds the event worker with its handlers. Only a process
// that runs it builds it, so its backlog gauges come from real workers.
func (s *Server) startWorker(metrics *telemetry.Metrics) {
	s.worker = events.New(s.db, s.log, metrics.Registry, events.Options{Lease: s.cfg.EventLease})
	for _, h := range s.handlers {
		s.worker.Register(h)
	}
	// Events written by this process are picked up at once; those written
	// by other nodes at the next poll.
	s.db.OnEvents(s.worker.Wake)
}

// runEvents runs the event worker and the search rebuild loop until ctx ends.
func (s *Server) runEvents(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.search.Run(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "search rebuild loop stopped", slog.String("error", err.Error()))
		}
	}()
	if err := s.worker.Run(ctx); err != nil && ctx.Err() == nil {
		s.log.ErrorContext(ctx, "event worker stopped", slog.String("error", err.Error()))
	}
	<-done
}

// Worker is the event worker (tests drain it with RunOnce); nil when this
// process does not run it (--worker=false).
func (s *Server) Worker() *events.Worker { return s.worker }

// ServeWorker runs the event worker alone (`artifortress worker`), so a
// deployment can scale it apart from the nodes that serve clients. It
// answers only /health/live, /health/ready and /metrics on --listen.
func (s *Server) ServeWorker(ctx context.Context) error {
	if s.worker == nil {
		s.startWorker(s.metrics)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health/live", liveHandler)
	mux.HandleFunc("GET /health/ready", readyHandler(map[string]Check{"metadata": s.db.Ping}, 5*time.Second, s.log))
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{}))
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	s.log.InfoContext(ctx, "event worker running", slog.String("addr", ln.Addr().String()), slog.String("worker", s.worker.ID()),
		slog.Any("handlers", s.worker.Handlers()))
	s.runEvents(ctx)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	return srv.Shutdown(sctx)
}

// SearchStep runs one batch of a search rebuild (tests drive it without
// the background loop).
func (s *Server) SearchStep(ctx context.Context) (bool, error) { return s.search.Step(ctx) }

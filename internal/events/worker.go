package events

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/telemetry"
)

// Worker delivers outbox events to its registered handlers (see the package
// documentation for the lease, retry and dead-letter rules). Any number of
// Workers, in one process or on many nodes, may share a store.
type Worker struct {
	db   *meta.DB
	log  *slog.Logger
	opts Options
	id   string
	m    *metrics
	wake chan struct{}

	mu       sync.Mutex // guards handlers and names
	handlers map[string]Handler
	names    []string // in registration order

	runMu     sync.Mutex         // one pass at a time
	lastStats time.Time          // guarded by runMu
	horizon   meta.OutboxHorizon // guarded by runMu
}

// New returns a worker over db that logs to log and registers its metrics on
// reg (nil: none). Register handlers, then call Run.
func New(db *meta.DB, log *slog.Logger, reg prometheus.Registerer, opts Options) *Worker {
	opts = opts.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	id := opts.WorkerID
	if id == "" {
		id = newWorkerID()
	}
	return &Worker{
		db: db, log: log.With(slog.String("worker", id)), opts: opts, id: id,
		m: newMetrics(reg), wake: make(chan struct{}, 1), handlers: map[string]Handler{},
	}
}

// newWorkerID returns "<host>-<pid>-<random>": random, so that a restarted
// process never mistakes its predecessor's leases for its own.
func newWorkerID() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "worker"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// ID returns the worker's id, which its leases carry.
func (w *Worker) ID() string { return w.id }

// Register adds a handler. It panics when the name is invalid or already
// registered (a programming error). A handler registered while Run is
// running takes part from the next pass.
func (w *Worker) Register(h Handler) {
	name := h.Name()
	if err := checkName(name); err != nil {
		panic(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, dup := w.handlers[name]; dup {
		panic(fmt.Sprintf("events: handler %q registered twice", name))
	}
	w.handlers[name] = h
	w.names = append(w.names, name)
	w.m.init(name)
}

// Handlers returns the names of the registered handlers.
func (w *Worker) Handlers() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.names)
}

// Wake makes a waiting Run start its next pass now rather than after the
// poll interval, for instance after this process wrote an event. It never
// blocks.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers events until ctx ends, then returns nil. It passes over the
// outbox again at once while there is work, after Options.PollInterval when
// there was none (or on Wake), and backs off when the store fails. On
// shutdown the events it holds and has not finished are released at once for
// another worker, their attempt not counted.
func (w *Worker) Run(ctx context.Context) error {
	w.log.InfoContext(ctx, "event worker started", slog.Any("handlers", w.Handlers()))
	failures := 0
	for {
		n, err := w.RunOnce(ctx)
		if ctx.Err() != nil {
			w.log.InfoContext(context.WithoutCancel(ctx), "event worker stopped")
			return nil
		}
		var wait time.Duration
		switch {
		case err != nil:
			failures++
			wait = BackoffLimit(w.opts.PollInterval, time.Minute, failures)
			w.log.ErrorContext(ctx, "event worker pass failed", slog.String("error", err.Error()), slog.Duration("retry_in", wait))
		case n == 0:
			failures = 0
			wait = w.opts.PollInterval
		default:
			failures = 0
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				w.log.InfoContext(context.WithoutCancel(ctx), "event worker stopped")
				return nil
			case <-w.wake:
			case <-t.C:
			}
			t.Stop()
		}
	}
}

// RunOnce makes one pass: it turns new outbox events into deliveries,
// claims one batch of due deliveries with a lease, runs their handlers and
// records the outcomes. It returns how many deliveries it ran (succeeded or
// failed); 0 means nothing was due. Tests and drains call it in a loop until
// it returns 0.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	w.runMu.Lock()
	defer w.runMu.Unlock()
	w.mu.Lock()
	names := slices.Clone(w.names)
	handlers := make(map[string]Handler, len(w.handlers))
	subs := make([]meta.EventSubscription, 0, len(names))
	for _, name := range names {
		h := w.handlers[name]
		handlers[name] = h
		subs = append(subs, meta.EventSubscription{Handler: name, Types: eventTypes(h)})
	}
	w.mu.Unlock()
	if len(names) == 0 {
		return 0, ctx.Err()
	}
	defer w.refreshStats(ctx, names)

	if err := w.db.Tx(ctx, func(tx *meta.Tx) error {
		_, err := tx.DiscoverEvents(ctx, &w.horizon, subs, w.opts.DiscoverLimit, w.opts.Now())
		return err
	}); err != nil {
		return 0, fmt.Errorf("events: discover: %w", err)
	}

	now := w.opts.Now()
	var claim meta.ClaimResult
	if err := w.db.Tx(ctx, func(tx *meta.Tx) error {
		var err error
		claim, err = tx.ClaimDeliveries(ctx, meta.ClaimRequest{
			Handlers: names, Owner: w.id, Now: now, LeaseUntil: now.Add(w.opts.Lease),
			Limit: w.opts.BatchSize, MaxAttempts: w.opts.MaxAttempts,
		})
		return err
	}); err != nil {
		return 0, fmt.Errorf("events: claim: %w", err)
	}
	for _, d := range claim.Dead {
		w.m.dead.WithLabelValues(d.Handler).Inc()
		w.log.ErrorContext(ctx, "event delivery dead", deliveryAttrs(d, slog.String("error", d.LastError))...)
	}
	return w.record(ctx, w.runBatch(ctx, handlers, claim.Claimed))
}

func eventTypes(h Handler) []string {
	if f, ok := h.(TypeFilter); ok {
		return f.EventTypes()
	}
	return nil
}

// outcome is what became of one claimed delivery.
type outcome int

const (
	outcomeRan      outcome = iota // the handler ran: err says how it went
	outcomeReleased                // shutting down: give it back uncounted
	outcomeLost                    // the lease could not be kept: leave it
)

type result struct {
	d       meta.Delivery
	outcome outcome
	err     error
}

// runBatch runs the claimed deliveries, Options.Concurrency at a time.
func (w *Worker) runBatch(ctx context.Context, handlers map[string]Handler, ds []meta.Delivery) []result {
	results := make([]result, len(ds))
	sem := make(chan struct{}, w.opts.Concurrency)
	var wg sync.WaitGroup
	for i, d := range ds {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			results[i] = w.deliver(ctx, handlers[d.Handler], d)
		})
	}
	wg.Wait()
	return results
}

// deliver runs one delivery under the per-event timeout, first renewing its
// lease if the handler could otherwise outlive it (late in a long batch).
func (w *Worker) deliver(ctx context.Context, h Handler, d meta.Delivery) result {
	if ctx.Err() != nil {
		return result{d: d, outcome: outcomeReleased}
	}
	if types := eventTypes(h); types != nil && !slices.Contains(types, d.Event.Type) {
		return result{d: d} // created before the handler narrowed its types
	}
	now := w.opts.Now()
	if d.LeaseUntil.Sub(now) < w.opts.HandlerTimeout+w.opts.Lease/10 {
		until := now.Add(w.opts.Lease)
		var kept bool
		err := w.db.Tx(ctx, func(tx *meta.Tx) error {
			var err error
			kept, err = tx.RenewDeliveryLease(ctx, d.Event.ID, d.Handler, w.id, until, now)
			return err
		})
		switch {
		case ctx.Err() != nil:
			return result{d: d, outcome: outcomeReleased}
		case err != nil:
			w.log.WarnContext(ctx, "event lease renewal failed; leaving the event to expire", deliveryAttrs(d, slog.String("error", err.Error()))...)
			return result{d: d, outcome: outcomeLost}
		case !kept:
			return result{d: d, outcome: outcomeLost}
		}
		d.LeaseUntil = until
	}
	hctx, cancel := context.WithTimeout(telemetry.WithRequestID(ctx, d.Event.RequestID), w.opts.HandlerTimeout)
	start := time.Now()
	err := w.handle(hctx, h, d)
	cancel()
	w.m.duration.WithLabelValues(d.Handler).Observe(time.Since(start).Seconds())
	if err != nil && ctx.Err() != nil {
		return result{d: d, outcome: outcomeReleased} // stopped by shutdown, not the handler's fault
	}
	return result{d: d, err: err}
}

// handle calls h, turning a panic into an error.
func (w *Worker) handle(ctx context.Context, h Handler, d meta.Delivery) (err error) {
	defer func() {
		if p := recover(); p != nil {
			w.log.ErrorContext(ctx, "event handler panicked", deliveryAttrs(d, slog.Any("panic", p), slog.String("stack", string(debug.Stack())))...)
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return h.Handle(ctx, d.Event)
}

// recordTimeout bounds writing a batch's outcomes, which goes on after
// shutdown began so that finished work is not redone.
const recordTimeout = 10 * time.Second

// maxErrorLen bounds the error text kept per delivery.
const maxErrorLen = 2000

// record writes the outcomes of a batch in one transaction and, once it has
// committed, updates the counters and logs. It returns how many deliveries
// ran.
func (w *Worker) record(ctx context.Context, results []result) (int, error) {
	if len(results) == 0 {
		return 0, nil
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	now := w.opts.Now()
	type effect struct {
		kept, dead bool
		next       time.Time
	}
	effects := make([]effect, len(results))
	err := w.db.Tx(rctx, func(tx *meta.Tx) error {
		for i, r := range results {
			var kept bool
			var err error
			id, h := r.d.Event.ID, r.d.Handler
			switch {
			case r.outcome == outcomeLost:
				continue
			case r.outcome == outcomeReleased:
				kept, err = tx.ReleaseDelivery(rctx, id, h, w.id, now)
			case r.err == nil:
				kept, err = tx.CompleteDelivery(rctx, id, h, w.id, now)
			case r.d.Attempts >= w.opts.MaxAttempts:
				effects[i].dead = true
				kept, err = tx.BuryDelivery(rctx, id, h, w.id, errorText(r.err), now)
			default:
				effects[i].next = now.Add(w.opts.backoff(r.d.Attempts))
				kept, err = tx.RetryDelivery(rctx, id, h, w.id, errorText(r.err), effects[i].next, now)
			}
			if err != nil {
				return err
			}
			effects[i].kept = kept
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("events: record outcomes: %w", err)
	}
	ran := 0
	for i, r := range results {
		if r.outcome != outcomeRan {
			continue
		}
		ran++
		e := effects[i]
		if !e.kept {
			w.log.WarnContext(ctx, "event lease lost before the outcome was recorded; another worker delivers it again", deliveryAttrs(r.d)...)
			continue
		}
		switch {
		case r.err == nil:
			w.m.processed.WithLabelValues(r.d.Handler).Inc()
		case e.dead:
			w.m.failed.WithLabelValues(r.d.Handler).Inc()
			w.m.dead.WithLabelValues(r.d.Handler).Inc()
			w.log.ErrorContext(ctx, "event delivery dead", deliveryAttrs(r.d, slog.String("error", r.err.Error()))...)
		default:
			w.m.failed.WithLabelValues(r.d.Handler).Inc()
			w.log.WarnContext(ctx, "event handler failed; will retry", deliveryAttrs(r.d,
				slog.String("error", r.err.Error()), slog.Duration("retry_in", e.next.Sub(now)))...)
		}
	}
	return ran, nil
}

func errorText(err error) string {
	s := err.Error()
	if len(s) > maxErrorLen {
		s = s[:maxErrorLen] + "…"
	}
	return s
}

func deliveryAttrs(d meta.Delivery, extra ...any) []any {
	return append([]any{
		slog.Int64("event_id", d.Event.ID), slog.String("event_type", d.Event.Type),
		slog.String("handler", d.Handler), slog.Int("attempt", d.Attempts),
		slog.String("request_id", d.Event.RequestID),
	}, extra...)
}

// Stats returns the backlog of each registered handler.
func (w *Worker) Stats(ctx context.Context) ([]meta.EventStats, error) {
	return w.db.EventStats(ctx, w.Handlers())
}

// refreshStats recomputes the pending gauges, at most once per
// Options.StatsInterval (by the worker's clock).
func (w *Worker) refreshStats(ctx context.Context, names []string) {
	now := w.opts.Now()
	if since := now.Sub(w.lastStats); !w.lastStats.IsZero() && since >= 0 && since < w.opts.StatsInterval {
		return
	}
	stats, err := w.db.EventStats(ctx, names)
	if err != nil {
		if ctx.Err() == nil {
			w.log.WarnContext(ctx, "event stats failed", slog.String("error", err.Error()))
		}
		return
	}
	w.lastStats = now
	for _, s := range stats {
		w.m.pending.WithLabelValues(s.Handler).Set(float64(s.Pending))
		age := 0.0
		if !s.OldestPending.IsZero() {
			age = max(now.Sub(s.OldestPending).Seconds(), 0)
		}
		w.m.oldest.WithLabelValues(s.Handler).Set(age)
	}
}

package events_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/events"
	"github.com/artifortress/artifortress/internal/events/eventstest"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/testpg"
)

// forEachBackend runs fn on a fresh, migrated SQLite store and on a fresh
// PostgreSQL database (skipped, or failed in CI, when none is configured).
func forEachBackend(t *testing.T, fn func(t *testing.T, db *meta.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, openStore(t, "", t.TempDir())) })
	t.Run("postgres", func(t *testing.T) { fn(t, openStore(t, testpg.URL(t), "")) })
}

// openStore opens and migrates a store; it is closed when the test ends.
func openStore(t *testing.T, url, dataDir string) *meta.DB {
	t.Helper()
	db, err := meta.Open(t.Context(), url, dataDir)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// base is the tests' reference time.
var base = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

// clock is a controllable clock shared by workers and tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: base} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// appendN writes n events of rotating types, created at the clock's time.
func appendN(t *testing.T, db *meta.DB, clk *clock, n int, prefix string) []meta.Event {
	t.Helper()
	types := []string{"version.published", "tag.updated", "version.tombstoned"}
	evs := make([]meta.Event, n)
	for i := range evs {
		evs[i] = meta.Event{
			Type: types[i%len(types)], Aggregate: fmt.Sprintf("version/%s-%d", prefix, i),
			Payload: map[string]any{"n": i}, RequestID: fmt.Sprintf("req-%s-%d", prefix, i), CreatedAt: clk.Now(),
		}
	}
	return eventstest.Append(t, db, evs...)
}

// recorder is a handler that counts deliveries per event and fails while
// fail returns an error.
type recorder struct {
	name  string
	types []string // nil: all

	mu    sync.Mutex
	calls map[int64]int
	fail  func(e meta.Event) error
}

func newRecorder(name string) *recorder { return &recorder{name: name, calls: map[int64]int{}} }

func (r *recorder) Name() string { return r.name }

func (r *recorder) Handle(ctx context.Context, e meta.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(e); err != nil {
			return err
		}
	}
	r.calls[e.ID]++
	return nil
}

func (r *recorder) setFail(fn func(e meta.Event) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = fn
}

// counts returns a copy of the successful deliveries per event.
func (r *recorder) counts() map[int64]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.calls)
}

// filtered is a recorder that wants only some event types.
type filtered struct{ *recorder }

func (f filtered) EventTypes() []string { return f.types }

// wantOnce fails unless the recorder got exactly the events in want, once each.
func wantOnce(t *testing.T, r *recorder, want []meta.Event) {
	t.Helper()
	got := r.counts()
	ids := map[int64]bool{}
	for _, e := range want {
		ids[e.ID] = true
		if got[e.ID] != 1 {
			t.Errorf("%s: event %d (%s) delivered %d times, want 1", r.name, e.ID, e.Type, got[e.ID])
		}
	}
	for id, n := range got {
		if !ids[id] {
			t.Errorf("%s: event %d delivered %d times, want none", r.name, id, n)
		}
	}
}

// delivery returns the delivery of one event to one handler.
func delivery(t *testing.T, db *meta.DB, eventID int64, handler string) meta.Delivery {
	t.Helper()
	ds, err := db.ListDeliveries(t.Context(), meta.DeliveryFilter{EventID: eventID, Handler: handler})
	if err != nil {
		t.Fatalf("ListDeliveries: %v", err)
	}
	if len(ds) != 1 {
		t.Fatalf("event %d has %d deliveries to %s, want 1", eventID, len(ds), handler)
	}
	return ds[0]
}

// countState counts deliveries in a state.
func countState(t *testing.T, db *meta.DB, state string) int {
	t.Helper()
	ds, err := db.ListDeliveries(t.Context(), meta.DeliveryFilter{State: state})
	if err != nil {
		t.Fatalf("ListDeliveries: %v", err)
	}
	return len(ds)
}

func runOnce(t *testing.T, w *events.Worker) int {
	t.Helper()
	n, err := w.RunOnce(t.Context())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	return n
}

var (
	admin = auth.NewPrincipal("root", auth.SourcePAT, "tok-root", []auth.Scope{{Admin: true}}, nil)
	alice = auth.NewPrincipal("alice", auth.SourcePAT, "tok-alice", []auth.Scope{{Repo: auth.AnyRepo, Role: auth.RoleAdmin}}, nil)
)

// wantKind fails unless err is a domain error of that kind (and code, when not "").
func wantKind(t *testing.T, err error, kind fault.Kind, code string) {
	t.Helper()
	fe := fault.As(err)
	if fe == nil || fe.Kind != kind || (code != "" && fe.Code != code) {
		t.Fatalf("error %v, want kind %d code %q", err, kind, code)
	}
}

// metric returns the value of a gauge or counter with the given handler
// label, and whether it exists.
func metric(t *testing.T, reg *prometheus.Registry, name, handler string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "handler" && l.GetValue() == handler {
					switch {
					case m.GetGauge() != nil:
						return m.GetGauge().GetValue(), true
					case m.GetCounter() != nil:
						return m.GetCounter().GetValue(), true
					case m.GetHistogram() != nil:
						return float64(m.GetHistogram().GetSampleCount()), true
					}
				}
			}
		}
	}
	return 0, false
}

var errBoom = errors.New("boom")

package events_test

import (
	"context"
	"maps"
	"reflect"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/artifortress/artifortress/internal/events/eventstest"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/telemetry"
)

// seen is a sample idempotent handler: it records, per event id, the event's
// type (a set keyed by the event, not a counter). It also counts calls, for
// the tests, outside its state.
type seen struct {
	name string
	mu   sync.Mutex
	m    map[int64]string
	n    map[int64]int
}

func newSeen(name string) *seen { return &seen{name: name, m: map[int64]string{}, n: map[int64]int{}} }

func (s *seen) Name() string { return s.name }

func (s *seen) Handle(_ context.Context, e meta.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[e.ID] = e.Type
	s.n[e.ID]++
	return nil
}

func (s *seen) state() map[int64]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.m)
}

func (s *seen) calls() map[int64]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.n)
}

func equalState(a, b map[int64]string) bool { return reflect.DeepEqual(a, b) }

// tally is a non-idempotent handler: it counts events per type.
type tally struct {
	mu sync.Mutex
	m  map[string]int
}

func (*tally) Name() string { return "tally" }

func (t *tally) Handle(_ context.Context, e meta.Event) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.m[e.Type]++
	return nil
}

func sampleEvents() []meta.Event {
	var evs []meta.Event
	for i, typ := range []string{"version.published", "tag.updated", "version.published", "version.tombstoned"} {
		evs = append(evs, meta.Event{ID: int64(i + 1), Type: typ, Aggregate: "version/v" + strconv.Itoa(i)})
	}
	return evs
}

func TestCheckIdempotentAcceptsIdempotentHandler(t *testing.T) {
	h := newSeen("seen")
	eventstest.CheckIdempotent(t, h, sampleEvents(), func(context.Context) (any, error) { return h.state(), nil })
	for id, n := range h.calls() {
		if n != 3 {
			t.Errorf("event %d delivered %d times by CheckIdempotent, want 3", id, n)
		}
	}
}

func TestCheckIdempotentRejectsCounter(t *testing.T) {
	h := &tally{m: map[string]int{}}
	rec := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() { // Fatalf ends the goroutine, as it would a test
		defer close(done)
		eventstest.CheckIdempotent(rec, h, sampleEvents(), func(context.Context) (any, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			return maps.Clone(h.m), nil
		})
	}()
	<-done
	if rec.fatal {
		t.Fatalf("CheckIdempotent stopped the test: %v", rec.errors)
	}
	// Four immediate duplicates and the second pass.
	if len(rec.errors) != 5 {
		t.Fatalf("CheckIdempotent reported %d problems, want 5: %q", len(rec.errors), rec.errors)
	}
}

// recordingTB captures failures instead of failing the real test.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
	fatal  bool
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, format)
}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.errors = append(r.errors, format)
	r.fatal = true
	r.mu.Unlock()
	runtime.Goexit()
}

func requestID(ctx context.Context) string { return telemetry.RequestID(ctx) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

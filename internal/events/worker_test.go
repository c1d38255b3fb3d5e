package events_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/events"
	"github.com/artifortress/artifortress/internal/events/eventstest"
	"github.com/artifortress/artifortress/internal/meta"
)

// Every event reaches every registered handler exactly once when handlers
// succeed, a handler registered later gets the earlier events too, and a
// TypeFilter handler only the types it names.
func TestEveryEventReachesEveryHandlerOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *meta.DB) {
		clk := newClock()
		// Small batches and discovery pages: many passes, cursor paging.
		w := events.New(db, nil, nil, events.Options{Now: clk.Now, BatchSize: 4, DiscoverLimit: 7})
		first := appendN(t, db, clk, 30, "a")
		a, b := newRecorder("a"), newRecorder("b")
		pub := filtered{newRecorder("published-only")}
		pub.types = []string{"version.published"}
		w.Register(a)
		w.Register(b)
		w.Register(pub)
		if n := eventstest.Drain(t, w); n != 30+30+10 {
			t.Errorf("drain ran %d deliveries, want 70", n)
		}
		wantOnce(t, a, first)
		wantOnce(t, b, first)
		var published []meta.Event
		for _, e := range first {
			if e.Type == "version.published" {
				published = append(published, e)
			}
		}
		wantOnce(t, pub.recorder, published)

		late := newRecorder("late")
		w.Register(late)
		if n := eventstest.Drain(t, w); n != 30 {
			t.Errorf("drain after registering a handler ran %d deliveries, want its 30", n)
		}
		wantOnce(t, late, first)
		wantOnce(t, a, first)

		// A handler registered on another worker (another node) too.
		other := newRecorder("other-node")
		w2 := events.New(db, nil, nil, events.Options{Now: clk.Now})
		w2.Register(other)
		eventstest.Drain(t, w2)
		wantOnce(t, other, first)

		more := appendN(t, db, clk, 5, "b")
		eventstest.Drain(t, w)
		eventstest.Drain(t, w2)
		all := append(first, more...)
		for _, r := range []*recorder{a, b, late, other} {
			wantOnce(t, r, all)
		}
		if n := countState(t, db, meta.DeliveryPending); n != 0 {
			t.Errorf("%d deliveries still pending after draining", n)
		}
		if n, want := countState(t, db, meta.DeliveryDone), 4*35+10+2; n != want {
			t.Errorf("%d deliveries done, want %d", n, want)
		}
	})
}

// A failing handler is retried with growing, jittered backoff, goes dead
// after MaxAttempts, and a replay makes it deliverable again.
func TestRetryBackoffDeadAndReplay(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *meta.DB) {
		clk := newClock()
		var mu sync.Mutex
		var draws []float64
		opts := events.Options{
			Now: clk.Now, MaxAttempts: 5, BackoffBase: time.Second, BackoffCap: 5 * time.Second,
			Rand: func() float64 {
				mu.Lock()
				defer mu.Unlock()
				v := rand.Float64()
				draws = append(draws, v)
				return v
			},
		}
		w := events.New(db, nil, nil, opts)
		h := newRecorder("flaky")
		h.setFail(func(meta.Event) error { return errBoom })
		w.Register(h)
		ev := appendN(t, db, clk, 1, "x")[0]

		var prevLimit time.Duration
		for attempt := 1; attempt <= opts.MaxAttempts; attempt++ {
			if n := runOnce(t, w); n != 1 {
				t.Fatalf("attempt %d: RunOnce ran %d deliveries, want 1", attempt, n)
			}
			d := delivery(t, db, ev.ID, "flaky")
			if d.Attempts != attempt || !strings.Contains(d.LastError, "boom") || d.LeaseOwner != "" {
				t.Fatalf("after attempt %d: %+v", attempt, d)
			}
			if attempt == opts.MaxAttempts {
				if d.State != meta.DeliveryDead {
					t.Fatalf("after the last attempt the delivery is %s, want dead", d.State)
				}
				break
			}
			if d.State != meta.DeliveryPending {
				t.Fatalf("after attempt %d the delivery is %s, want pending", attempt, d.State)
			}
			// The delay is the drawn fraction of min(cap, base·2^(n-1)).
			limit := events.BackoffLimit(opts.BackoffBase, opts.BackoffCap, attempt)
			if wantLimit := min(time.Second<<(attempt-1), opts.BackoffCap); limit != wantLimit {
				t.Fatalf("BackoffLimit(attempt %d) = %v, want %v", attempt, limit, wantLimit)
			}
			if limit < prevLimit {
				t.Fatalf("backoff limit shrank: %v after %v", limit, prevLimit)
			}
			prevLimit = limit
			delay := d.NextAttemptAt.Sub(clk.Now())
			mu.Lock()
			r := draws[len(draws)-1]
			mu.Unlock()
			want := time.Duration(r * float64(limit)).Truncate(time.Microsecond)
			if delay < 0 || delay >= limit || delay != want {
				t.Fatalf("attempt %d: next attempt in %v, want %v (jitter %.3f of %v)", attempt, delay, want, r, limit)
			}
			if delay > 0 {
				if n := runOnce(t, w); n != 0 {
					t.Fatalf("attempt %d: RunOnce before the delivery was due ran %d", attempt, n)
				}
			}
			clk.Set(d.NextAttemptAt)
		}
		clk.Advance(time.Hour)
		if n := runOnce(t, w); n != 0 {
			t.Fatalf("a dead delivery ran again (%d)", n)
		}

		adm := events.NewAdmin(db, clk.Now)
		page, err := adm.List(t.Context(), admin, events.ListOptions{State: "dead"})
		if err != nil || len(page.Items) != 1 || page.Items[0].Event.ID != ev.ID || page.Items[0].Handler != "flaky" {
			t.Fatalf("List(dead) = %+v, %v", page, err)
		}

		h.setFail(nil)
		replayed, err := adm.Replay(t.Context(), admin, ev.ID, "")
		if err != nil || len(replayed) != 1 || replayed[0] != "flaky" {
			t.Fatalf("Replay = %v, %v", replayed, err)
		}
		if d := delivery(t, db, ev.ID, "flaky"); d.State != meta.DeliveryPending || d.Attempts != 0 {
			t.Fatalf("after replay: %+v", d)
		}
		if n := runOnce(t, w); n != 1 {
			t.Fatalf("RunOnce after replay ran %d, want 1", n)
		}
		if d := delivery(t, db, ev.ID, "flaky"); d.State != meta.DeliveryDone || d.Attempts != 1 || d.LastError != "" {
			t.Fatalf("after the replayed delivery: %+v", d)
		}
		wantOnce(t, h, []meta.Event{ev})

		audit, err := db.ListAudit(t.Context(), meta.AuditFilter{Action: "event.replay"})
		if err != nil || len(audit) != 1 || audit[0].Actor != "root" || audit[0].Resource != "event/"+itoa(ev.ID) {
			t.Fatalf("replay audit = %+v, %v", audit, err)
		}
	})
}

// A worker that claimed a batch and died (its leases never released) loses
// no event: once the leases expire another worker runs them, and the
// duplicates change nothing in effect.
func TestCrashedWorkerLosesNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *meta.DB) {
		clk := newClock()
		evs := appendN(t, db, clk, 10, "c")
		h := newSeen("index")

		// The crashed worker: discover, claim six with a lease, apply the
		// handler to three of them, then vanish without recording anything.
		var claim meta.ClaimResult
		err := db.Tx(t.Context(), func(tx *meta.Tx) error {
			if _, err := tx.DiscoverEvents(t.Context(), nil, []meta.EventSubscription{{Handler: "index"}}, 100, clk.Now()); err != nil {
				return err
			}
			var err error
			claim, err = tx.ClaimDeliveries(t.Context(), meta.ClaimRequest{
				Handlers: []string{"index"}, Owner: "crashed", Now: clk.Now(),
				LeaseUntil: clk.Now().Add(events.DefaultLease), Limit: 6, MaxAttempts: 10,
			})
			return err
		})
		if err != nil || len(claim.Claimed) != 6 {
			t.Fatalf("crashed worker claimed %d, %v; want 6", len(claim.Claimed), err)
		}
		for _, d := range claim.Claimed[:3] {
			if err := h.Handle(t.Context(), d.Event); err != nil {
				t.Fatal(err)
			}
		}

		w := events.New(db, nil, nil, events.Options{Now: clk.Now})
		w.Register(h)
		if n := eventstest.Drain(t, w); n != 4 {
			t.Fatalf("while the leases hold, the live worker ran %d deliveries, want the 4 unclaimed", n)
		}
		clk.Advance(events.DefaultLease - time.Microsecond)
		if n := runOnce(t, w); n != 0 {
			t.Fatalf("a lease was taken over before it expired (%d)", n)
		}
		clk.Advance(time.Microsecond)
		if n := eventstest.Drain(t, w); n != 6 {
			t.Fatalf("after the leases expired the live worker ran %d deliveries, want 6", n)
		}
		for _, d := range claim.Claimed {
			got := delivery(t, db, d.Event.ID, "index")
			if got.State != meta.DeliveryDone || got.Attempts != 2 {
				t.Errorf("event %d after takeover: state %s attempts %d, want done after 2", d.Event.ID, got.State, got.Attempts)
			}
		}
		calls := h.calls()
		twice := 0
		for _, e := range evs {
			switch calls[e.ID] {
			case 1:
			case 2:
				twice++
			default:
				t.Errorf("event %d handled %d times", e.ID, calls[e.ID])
			}
		}
		if twice != 3 {
			t.Errorf("%d events handled twice, want the 3 the crashed worker finished", twice)
		}
		// In effect, exactly once: the state is that of one delivery each.
		once := newSeen("reference")
		for _, e := range evs {
			_ = once.Handle(t.Context(), e)
		}
		if got, want := h.state(), once.state(); !equalState(got, want) {
			t.Errorf("state after redelivery %v, want %v", got, want)
		}
		if n := countState(t, db, meta.DeliveryPending); n != 0 {
			t.Errorf("%d deliveries left pending", n)
		}
	})
}

// An event whose last attempt's worker died goes dead when its lease
// expires: a poison event cannot crash workers forever.
func TestCrashOnLastAttemptGoesDead(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *meta.DB) {
		clk := newClock()
		ev := appendN(t, db, clk, 1, "p")[0]
		err := db.Tx(t.Context(), func(tx *meta.Tx) error {
			if _, err := tx.DiscoverEvents(t.Context(), nil, []meta.EventSubscription{{Handler: "h"}}, 100, clk.Now()); err != nil {
				return err
			}
			_, err := tx.ClaimDeliveries(t.Context(), meta.ClaimRequest{
				Handlers: []string{"h"}, Owner: "crashed", Now: clk.Now(), LeaseUntil: clk.Now().Add(time.Minute), Limit: 1, MaxAttempts: 1,
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		h := newRecorder("h")
		w := events.New(db, nil, nil, events.Options{Now: clk.Now, MaxAttempts: 1})
		w.Register(h)
		clk.Advance(time.Minute)
		if n := runOnce(t, w); n != 0 {
			t.Fatalf("ran %d deliveries, want none", n)
		}
		d := delivery(t, db, ev.ID, "h")
		if d.State != meta.DeliveryDead || !strings.Contains(d.LastError, "lease expired") || !strings.Contains(d.LastError, "crashed") {
			t.Fatalf("after the lease of the last attempt expired: %+v", d)
		}
		wantOnce(t, h, nil)
	})
}

// A worker that stops mid-batch releases what it did not finish, without
// counting the attempt, and records what it finished.
func TestShutdownReleasesUnfinished(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *meta.DB) {
		clk := newClock()
		evs := appendN(t, db, clk, 4, "s")
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		calls := 0
		h := events.HandlerFunc("h", func(hctx context.Context, e meta.Event) error {
			calls++
			if calls == 1 {
				return nil // finished before the shutdown
			}
			cancel() // the process is told to stop while this one runs
			<-hctx.Done()
			return hctx.Err()
		})
		w := events.New(db, nil, nil, events.Options{Now: clk.Now, Concurrency: 1})
		w.Register(h)
		n, err := w.RunOnce(ctx)
		if err != nil || n != 1 {
			t.Fatalf("RunOnce during shutdown = %d, %v; want 1 finished", n, err)
		}
		done := 0
		for _, e := range evs {
			d := delivery(t, db, e.ID, "h")
			switch {
			case d.State == meta.DeliveryDone:
				done++
			case d.State == meta.DeliveryPending && d.Attempts == 0 && d.LeaseOwner == "" && d.LastError == "" && !d.NextAttemptAt.After(clk.Now()):
			default:
				t.Errorf("event %d after shutdown: %+v, want released (pending, due, no attempt)", e.ID, d)
			}
		}
		if done != 1 {
			t.Errorf("%d deliveries done, want 1", done)
		}
		w2 := events.New(db, nil, nil, events.Options{Now: clk.Now})
		r := newRecorder("h")
		w2.Register(r)
		if n := eventstest.Drain(t, w2); n != 3 {
			t.Errorf("another worker ran %d released deliveries, want 3", n)
		}
	})
}

// Timeouts and panics are failed attempts like errors.
func TestTimeoutAndPanicAreFailures(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *meta.DB) {
		clk := newClock()
		ev := appendN(t, db, clk, 1, "t")[0]
		w := events.New(db, nil, nil, events.Options{Now: clk.Now, HandlerTimeout: 20 * time.Millisecond})
		w.Register(events.HandlerFunc("slow", func(ctx context.Context, e meta.Event) error {
			<-ctx.Done()
			return ctx.Err()
		}))
		w.Register(events.HandlerFunc("panicky", func(ctx context.Context, e meta.Event) error {
			panic("index out of range")
		}))
		if n := runOnce(t, w); n != 2 {
			t.Fatalf("RunOnce ran %d, want 2", n)
		}
		if d := delivery(t, db, ev.ID, "slow"); d.State != meta.DeliveryPending || d.Attempts != 1 || !strings.Contains(d.LastError, "deadline exceeded") {
			t.Errorf("timed-out delivery: %+v", d)
		}
		if d := delivery(t, db, ev.ID, "panicky"); d.State != meta.DeliveryPending || d.Attempts != 1 || !strings.Contains(d.LastError, "panicked: index out of range") {
			t.Errorf("panicked delivery: %+v", d)
		}
	})
}

// A handler gets the event's request id in its context, for log correlation.
func TestHandlerContextCarriesRequestID(t *testing.T) {
	db := openStore(t, "", t.TempDir())
	clk := newClock()
	ev := appendN(t, db, clk, 1, "r")[0]
	var got string
	w := events.New(db, nil, nil, events.Options{Now: clk.Now})
	w.Register(events.HandlerFunc("h", func(ctx context.Context, e meta.Event) error {
		got = requestID(ctx)
		return nil
	}))
	eventstest.Drain(t, w)
	if got != ev.RequestID {
		t.Errorf("request id in the handler's context %q, want %q", got, ev.RequestID)
	}
}

func TestRegisterRejectsBadNames(t *testing.T) {
	w := events.New(nil, nil, nil, events.Options{})
	w.Register(newRecorder("search"))
	for _, name := range []string{"", "Search", "search", "with space", "-lead", strings.Repeat("x", 65)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", name)
				}
			}()
			w.Register(newRecorder(name))
		}()
	}
	if got := w.Handlers(); len(got) != 1 || got[0] != "search" {
		t.Errorf("Handlers() = %v", got)
	}
}

// Run stops when its context ends and returns nil.
func TestRunStopsOnCancel(t *testing.T) {
	db := openStore(t, "", t.TempDir())
	clk := newClock()
	appendN(t, db, clk, 3, "run")
	ctx, cancel := context.WithCancel(t.Context())
	w := events.New(db, nil, nil, events.Options{Now: clk.Now})
	var seen atomic.Int32
	w.Register(events.HandlerFunc("h", func(context.Context, meta.Event) error {
		if seen.Add(1) == 3 {
			cancel()
		}
		return nil
	}))
	if err := w.Run(ctx); err != nil {
		t.Fatalf("Run = %v, want nil after cancel", err)
	}
	if n := seen.Load(); n != 3 {
		t.Errorf("handled %d events, want 3", n)
	}
}

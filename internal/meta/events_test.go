package meta_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/meta"
)

func discover(t *testing.T, db *meta.DB, h *meta.OutboxHorizon, subs []meta.EventSubscription, limit int) int {
	t.Helper()
	var n int
	err := db.Tx(t.Context(), func(tx *meta.Tx) error {
		var err error
		n, err = tx.DiscoverEvents(t.Context(), h, subs, limit, time.Now())
		return err
	})
	if err != nil {
		t.Fatalf("DiscoverEvents: %v", err)
	}
	return n
}

func appendEvent(t *testing.T, q meta.Q, typ, aggregate string) meta.Event {
	t.Helper()
	e, err := q.AppendEvent(t.Context(), meta.Event{Type: typ, Aggregate: aggregate, CreatedAt: time.Now()})
	if err != nil {
		t.Fatalf("AppendEvent: %v", err)
	}
	return e
}

func eventIDs(t *testing.T, db *meta.DB, handler string) []int64 {
	t.Helper()
	ds, err := db.ListDeliveries(t.Context(), meta.DeliveryFilter{Handler: handler})
	if err != nil {
		t.Fatalf("ListDeliveries: %v", err)
	}
	var ids []int64
	for _, d := range ds {
		ids = append(ids, d.Event.ID)
	}
	return ids
}

func TestDiscoverEvents(t *testing.T) {
	for _, b := range []struct {
		name string
		open func(testing.TB, bool) *meta.DB
	}{{"sqlite", openSQLite}, {"postgres", openPostgres}} {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t, true)
			ctx := t.Context()
			for _, f := range []func() error{
				func() error { _, err := db.DiscoverEvents(ctx, nil, nil, 1, time.Now()); return err },
				func() error { _, err := db.ClaimDeliveries(ctx, meta.ClaimRequest{}); return err },
			} {
				if err := f(); err == nil {
					t.Error("a claim or discovery outside a transaction succeeded")
				}
			}

			var want []int64
			for _, agg := range []string{"a", "b", "c", "d", "e"} {
				want = append(want, appendEvent(t, db.Q, "version.published", "version/"+agg).ID)
			}
			other := appendEvent(t, db.Q, "tag.updated", "tag/x")
			subs := []meta.EventSubscription{{Handler: "all"}, {Handler: "published", Types: []string{"version.published"}}}
			// Pages of two: the cursor moves on each time.
			total := 0
			for range 4 {
				total += discover(t, db, nil, subs, 2)
			}
			if total != 11 {
				t.Errorf("discovered %d deliveries, want 6 + 5", total)
			}
			if got := eventIDs(t, db, "published"); !equalIDs(got, want) {
				t.Errorf("published handler has events %v, want %v", got, want)
			}
			if got := eventIDs(t, db, "all"); !equalIDs(got, append(want, other.ID)) {
				t.Errorf("all handler has events %v", got)
			}
			if n := discover(t, db, nil, subs, 100); n != 0 {
				t.Errorf("discovering again created %d deliveries", n)
			}
			handlers, err := db.EventHandlers(ctx)
			if err != nil || len(handlers) != 2 || handlers[0] != "all" {
				t.Errorf("EventHandlers = %v, %v", handlers, err)
			}
		})
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// On PostgreSQL an outbox id drawn by a transaction that commits late must
// not be passed over by a cursor that saw a higher id committed first.
func TestPostgresDiscoverNeverPassesARunningTransaction(t *testing.T) {
	for _, c := range []struct {
		name  string
		fresh bool // a new OutboxHorizon for each pass (another node, a restart)
	}{{"same_horizon", false}, {"fresh_horizon", true}} {
		t.Run(c.name, func(t *testing.T) {
			db := openPostgres(t, true)
			ctx := t.Context()
			subs := []meta.EventSubscription{{Handler: "h"}}
			h := &meta.OutboxHorizon{}
			pass := func(limit int) int {
				t.Helper()
				if c.fresh {
					h = &meta.OutboxHorizon{}
				}
				return discover(t, db, h, subs, limit)
			}

			inserted := make(chan int64)
			release := make(chan struct{})
			slowDone := make(chan error, 1)
			go func() {
				slowDone <- db.Tx(ctx, func(tx *meta.Tx) error {
					e, err := tx.AppendEvent(ctx, meta.Event{Type: "version.published", Aggregate: "version/slow", CreatedAt: time.Now()})
					if err != nil {
						close(inserted)
						return err
					}
					inserted <- e.ID
					<-release
					return nil
				})
			}()
			slowID, ok := <-inserted
			if !ok {
				t.Fatalf("slow transaction failed: %v", <-slowDone)
			}
			fast := appendEvent(t, db.Q, "version.published", "version/fast")
			if fast.ID <= slowID {
				t.Fatalf("ids %d (fast) and %d (slow): want the committed one higher", fast.ID, slowID)
			}

			// The committed event is delivered at once; the cursor waits.
			if n := pass(100); n != 1 {
				t.Errorf("discovery while an older transaction runs created %d deliveries, want 1", n)
			}
			later := appendEvent(t, db.Q, "version.published", "version/later")
			if n := pass(1); n != 1 {
				t.Errorf("second discovery created %d deliveries, want 1", n)
			}
			close(release)
			if err := <-slowDone; err != nil {
				t.Fatalf("slow transaction: %v", err)
			}
			if n := pass(100); n != 1 {
				t.Errorf("discovery after the late commit created %d deliveries, want 1", n)
			}
			if got := eventIDs(t, db, "h"); !equalIDs(got, []int64{slowID, fast.ID, later.ID}) {
				t.Errorf("handler has events %v, want %d, %d and %d", got, slowID, fast.ID, later.ID)
			}

			// A transaction that rolls back leaves a gap the cursor passes.
			err := db.Tx(ctx, func(tx *meta.Tx) error {
				appendEvent(t, tx.Q, "version.published", "version/rolled-back")
				return errors.New("roll back")
			})
			if err == nil {
				t.Fatal("the transaction did not roll back")
			}
			last := appendEvent(t, db.Q, "version.published", "version/last")
			pass(100)
			if got := eventIDs(t, db, "h"); !equalIDs(got, []int64{slowID, fast.ID, later.ID, last.ID}) {
				t.Errorf("after a rolled-back event, handler has events %v", got)
			}
			if n := pass(100); n != 0 {
				t.Errorf("a pass with nothing new created %d deliveries", n)
			}
		})
	}
}

// Events written by many concurrent transactions, some rolled back, all
// reach the handler while discovery runs alongside.
func TestPostgresDiscoverUnderConcurrentWriters(t *testing.T) {
	db := openPostgres(t, true)
	ctx := t.Context()
	const writers, perWriter = 6, 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	var committed []int64
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				var id int64
				err := db.Tx(ctx, func(tx *meta.Tx) error {
					e, err := tx.AppendEvent(ctx, meta.Event{Type: "version.published", Aggregate: fmt.Sprintf("version/%d-%d", w, i), CreatedAt: time.Now()})
					if err != nil {
						return err
					}
					id = e.ID
					if i%7 == 3 {
						return errRollBack
					}
					return nil
				})
				switch {
				case err == nil:
					mu.Lock()
					committed = append(committed, id)
					mu.Unlock()
				case !errors.Is(err, errRollBack):
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	subs := []meta.EventSubscription{{Handler: "h"}}
	h := &meta.OutboxHorizon{}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		discover(t, db, h, subs, 7)
	}
	for discover(t, db, h, subs, 7) > 0 {
	}
	slices.Sort(committed)
	if got := eventIDs(t, db, "h"); !equalIDs(got, committed) {
		t.Errorf("handler has %d events, want the %d committed", len(got), len(committed))
	}
}

var errRollBack = errors.New("roll back")

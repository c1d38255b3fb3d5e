package events_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/events"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/testpg"
)

// key is one (event, handler) pair.
type key struct {
	event   int64
	handler string
}

// overlap records which deliveries run, and whether two ever run at once.
type overlap struct {
	mu       sync.Mutex
	running  map[key]string // the worker running it
	done     map[key]int
	byWorker map[string]int
	overlaps []string
}

func (o *overlap) enter(k key, worker string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if other, busy := o.running[k]; busy {
		o.overlaps = append(o.overlaps, fmt.Sprintf("event %d handler %s: %s started while %s was running it", k.event, k.handler, worker, other))
		return
	}
	o.running[k] = worker
}

func (o *overlap) leave(k key, worker string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.running[k] == worker {
		delete(o.running, k)
	}
	o.done[k]++
	o.byWorker[worker]++
}

func (o *overlap) total() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, c := range o.done {
		n += c
	}
	return n
}

// Two workers with their own connection pools on one PostgreSQL database
// share the backlog and never run one (event, handler) at the same time.
func TestPostgresTwoWorkersNeverOverlap(t *testing.T) {
	dsn := testpg.URL(t)
	db1, db2 := openStore(t, dsn, ""), openStore(t, dsn, "")
	clk := newClock() // fixed: no lease expires, so each delivery runs once
	const nEvents = 150
	evs := appendN(t, db1, clk, nEvents, "pg")
	handlers := []string{"index", "notify"}
	want := nEvents * len(handlers)

	o := &overlap{running: map[key]string{}, done: map[key]int{}, byWorker: map[string]int{}}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	// Each worker's first delivery waits until the other worker is running
	// one too: both are then provably busy at the same time, each holding
	// a leased batch, and both get a share of the work.
	entered := map[string]chan struct{}{"a": make(chan struct{}), "b": make(chan struct{})}
	once := map[string]*sync.Once{"a": {}, "b": {}}
	other := map[string]string{"a": "b", "b": "a"}
	barrier, stopBarrier := context.WithTimeout(ctx, 30*time.Second)
	defer stopBarrier()
	newWorker := func(db *meta.DB, id string) *events.Worker {
		w := events.New(db, nil, nil, events.Options{Now: clk.Now, WorkerID: id, BatchSize: 5, Concurrency: 3})
		for _, name := range handlers {
			w.Register(events.HandlerFunc(name, func(hctx context.Context, e meta.Event) error {
				k := key{e.ID, name}
				o.enter(k, id)
				once[id].Do(func() {
					close(entered[id])
					select {
					case <-entered[other[id]]:
					case <-barrier.Done():
						t.Errorf("worker %s ran a delivery, but worker %s ran none within 30s meanwhile", id, other[id])
					}
				})
				for range 20 {
					runtime.Gosched() // give the other worker every chance to collide
				}
				o.leave(k, id)
				return nil
			}))
		}
		return w
	}
	workers := []*events.Worker{newWorker(db1, "a"), newWorker(db2, "b")}
	var wg sync.WaitGroup
	errs := make(chan error, len(workers))
	for _, w := range workers {
		wg.Go(func() {
			for o.total() < want && ctx.Err() == nil {
				n, err := w.RunOnce(ctx)
				if err != nil {
					errs <- err
					cancel()
					return
				} else if n == 0 {
					runtime.Gosched()
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("RunOnce: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("workers did not finish: %d of %d deliveries ran", o.total(), want)
	}
	for _, msg := range o.overlaps {
		t.Error(msg)
	}
	for _, e := range evs {
		for _, h := range handlers {
			if n := o.done[key{e.ID, h}]; n != 1 {
				t.Errorf("event %d handler %s ran %d times, want 1", e.ID, h, n)
			}
		}
	}
	if o.byWorker["a"] == 0 || o.byWorker["b"] == 0 {
		t.Errorf("work was not shared: %v", o.byWorker)
	}
	if n := countState(t, db1, meta.DeliveryDone); n != want {
		t.Errorf("%d deliveries done, want %d", n, want)
	}
	t.Logf("deliveries per worker: %v", o.byWorker)
}

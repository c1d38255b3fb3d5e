package eventstest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/events"
	"github.com/artifortress/artifortress/internal/meta"
)

// State returns a snapshot of the state a handler keeps (the rows it wrote,
// sorted; the requests a webhook receiver saw, deduplicated by id...).
// Snapshots are compared with reflect.DeepEqual.
type State func(ctx context.Context) (any, error)

// CheckIdempotent checks that delivering an event again changes nothing:
// it delivers each event of evs to h twice in a row, comparing the state
// after each delivery, then delivers the whole sequence once more (each
// event now arriving after later ones, as a redelivery after a retry does)
// and compares the final state with the state after the first pass. A
// mismatch is reported with t.Errorf, showing both states; a Handle or state
// error stops the test.
func CheckIdempotent(t testing.TB, h events.Handler, evs []meta.Event, state State) {
	t.Helper()
	ctx := t.Context()
	deliver := func(e meta.Event, pass string) bool {
		t.Helper()
		if err := h.Handle(ctx, e); err != nil {
			t.Fatalf("%s: Handle(event %d %s) %s: %v", h.Name(), e.ID, e.Type, pass, err)
			return false
		}
		return true
	}
	snapshot := func() any {
		t.Helper()
		s, err := state(ctx)
		if err != nil {
			t.Fatalf("%s: reading the handler's state: %v", h.Name(), err)
		}
		return s
	}
	for _, e := range evs {
		if !deliver(e, "first delivery") {
			return
		}
		once := snapshot()
		if !deliver(e, "second delivery") {
			return
		}
		if twice := snapshot(); !reflect.DeepEqual(once, twice) {
			t.Errorf("%s is not idempotent: delivering event %d (%s) a second time changed the state\nafter one delivery:  %s\nafter two deliveries: %s",
				h.Name(), e.ID, e.Type, show(once), show(twice))
		}
	}
	first := snapshot()
	for _, e := range evs {
		if !deliver(e, "in the second pass") {
			return
		}
	}
	if again := snapshot(); !reflect.DeepEqual(first, again) {
		t.Errorf("%s is not idempotent: delivering all %d events again, after later ones, changed the state\nafter the first pass:  %s\nafter the second pass: %s",
			h.Name(), len(evs), show(first), show(again))
	}
}

func show(v any) string { return fmt.Sprintf("%+v", v) }

// Append writes events into the outbox, one transaction each, and returns
// them as stored (with their ids). A zero CreatedAt is the current time.
func Append(t testing.TB, db *meta.DB, evs ...meta.Event) []meta.Event {
	t.Helper()
	ctx := t.Context()
	out := make([]meta.Event, 0, len(evs))
	for _, e := range evs {
		if e.CreatedAt.IsZero() {
			e.CreatedAt = time.Now()
		}
		err := db.Tx(ctx, func(tx *meta.Tx) error {
			var err error
			e, err = tx.AppendEvent(ctx, e)
			return err
		})
		if err != nil {
			t.Fatalf("append event %s %s: %v", e.Type, e.Aggregate, err)
		}
		out = append(out, e)
	}
	return out
}

// Drain runs w until a pass finds nothing due and returns how many
// deliveries it ran in total. It fails the test on an error or when the
// work does not end after a million deliveries.
func Drain(t testing.TB, w *events.Worker) int {
	t.Helper()
	total := 0
	for total < 1_000_000 {
		n, err := w.RunOnce(t.Context())
		if err != nil {
			t.Fatalf("RunOnce: %v", err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
	t.Fatalf("Drain: still busy after %d deliveries", total)
	return total
}

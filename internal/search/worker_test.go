package search_test

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/artifortress/artifortress/internal/events"
	"github.com/artifortress/artifortress/internal/events/eventstest"
	"github.com/artifortress/artifortress/internal/search"
)

// The indexer is an event handler with a type filter.
var (
	_ events.Handler    = (*search.Indexer)(nil)
	_ events.TypeFilter = (*search.Indexer)(nil)
)

// TestWithEventWorker publishes through the catalog and lets the real event
// worker deliver the outbox to the indexer, twice over for idempotence.
func TestWithEventWorker(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *stack) {
		catalogFixture(t, s) // also fed to the indexer directly
		want := s.rows(t)
		if _, err := s.db.RawExec(context.Background(), "DELETE FROM search_index"); err != nil {
			t.Fatal(err)
		}
		w := events.New(s.db, nil, nil, events.Options{})
		w.Register(s.indexer)
		if n := eventstest.Drain(t, w); n != len(s.events(t, 0)) {
			t.Fatalf("the worker ran %d deliveries, want one per event", n)
		}
		if got := s.rows(t); !reflect.DeepEqual(got, want) {
			t.Fatalf("index built by the worker:\n%+v\nwant\n%+v", got, want)
		}
		if got := s.find(t, s.admin, search.Query{Text: "left-pad"}).Hits; len(got) != 5 {
			t.Fatalf("search after the worker: %v", ids(got))
		}
		st, err := s.search.Status(context.Background())
		if err != nil || st.Lag.Events != 0 {
			t.Fatalf("lag after the worker: %+v, %v", st.Lag, err)
		}
		eventstest.CheckIdempotent(t, s.indexer, s.events(t, 0), func(ctx context.Context) (any, error) {
			return s.db.ListSearchRows(ctx, "", 1_000_000)
		})
	})
}

func TestEventTypes(t *testing.T) {
	ix := search.NewIndexer(nil, nil)
	got := ix.EventTypes()
	if !slices.Contains(got, search.EventPublished) || !slices.Contains(got, search.EventTombstoned) {
		t.Fatalf("EventTypes %v", got)
	}
	got[0] = "changed"
	if ix.EventTypes()[0] == "changed" {
		t.Fatal("EventTypes returns the package's slice")
	}
}

package search_test

import (
	"context"
	"slices"
	"testing"

	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/search"
)

// TestBrokenIndex drops the index table: searches answer 503
// search_unavailable, the indexer reports errors for the worker to retry,
// and publishing and reading through the catalog are unaffected. A rebuild
// then repairs the index.
func TestBrokenIndex(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		catalogFixture(t, s)
		before := s.rows(t)
		if _, err := s.db.RawExec(ctx, "DROP TABLE search_index"); err != nil {
			t.Fatal(err)
		}

		for _, q := range []search.Query{{Text: "left-pad"}, {}, {Repo: "gen-a"}, {Text: "pad", Format: "npm", Limit: 5}} {
			_, err := s.search.Search(ctx, s.admin, q)
			wantFault(t, err, "search_unavailable", "")
			if fault.KindOf(err) != fault.KindUnavailable {
				t.Fatalf("kind %v, want unavailable", fault.KindOf(err))
			}
		}
		// Bad input is still answered as such.
		_, err := s.search.Search(ctx, s.admin, search.Query{Limit: 1000})
		wantFault(t, err, "bad_request", "limit")

		// Publish and read through the catalog as usual.
		v := s.publish(t, "gen-a", "after-break", "1.0.0", map[string]any{"description": "published with no index"})
		got, err := s.catalog.Get(ctx, s.admin, "gen-a", "after-break", "1.0.0")
		if err != nil || got.Row.ID != v.Row.ID || len(got.Entries) != 1 {
			t.Fatalf("catalog read with a broken index: %+v, %v", got, err)
		}
		if _, err := s.catalog.Packages(ctx, s.admin, "gen-a", catalog.ListOptions{Limit: 10}); err != nil {
			t.Fatalf("catalog listing with a broken index: %v", err)
		}

		// The indexer returns errors (the worker retries), for every event.
		events := s.events(t, s.handled)
		if len(events) != 1 || events[0].Type != search.EventPublished {
			t.Fatalf("events after the break: %+v", events)
		}
		if err := s.indexer.Handle(ctx, events[0]); err == nil {
			t.Fatal("Handle succeeded with no index table")
		}
		if err := s.indexer.Handle(ctx, s.events(t, 0)[0]); err == nil {
			t.Fatal("Handle of an old event succeeded with no index table")
		}

		st, err := s.search.Status(ctx)
		if err != nil {
			t.Fatalf("Status with a broken index: %v", err)
		}
		if st.Healthy || st.Problem == "" || st.Rows != -1 {
			t.Fatalf("Status with a broken index: %+v", st)
		}

		// A rebuild repairs the index from the truth tables; the pending
		// event then applies.
		s.rebuild(t)
		if err := s.indexer.Handle(ctx, events[0]); err != nil {
			t.Fatalf("Handle after the repair: %v", err)
		}
		after := s.rows(t)
		if len(after) != len(before)+1 {
			t.Fatalf("after the repair the index holds %d rows, want %d", len(after), len(before)+1)
		}
		if got := ids(s.find(t, s.admin, search.Query{Text: "index"}).Hits); !slices.Equal(got, []string{"gen-a:after-break@1.0.0"}) {
			t.Fatalf("search after the repair: %v", got)
		}
		if got := s.find(t, s.admin, search.Query{Text: "left-pad"}).Hits; len(got) != 5 {
			t.Fatalf("search after the repair: %v", ids(got))
		}
		if st, _ := s.search.Status(ctx); !st.Healthy || st.Rows != int64(len(after)) {
			t.Fatalf("status after the repair: %+v", st)
		}
	})
}

// TestBrokenState drops the state table: searches still answer, indexing
// fails until a rebuild repairs it.
func TestBrokenState(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		catalogFixture(t, s)
		if _, err := s.db.RawExec(ctx, "DROP TABLE search_state"); err != nil {
			t.Fatal(err)
		}
		// Searching needs no state; indexing does (rows carry its generation).
		if got := s.find(t, s.admin, search.Query{Text: "zebra"}).Hits; len(got) != 2 {
			t.Fatalf("search without the state table: %v", ids(got))
		}
		if err := s.indexer.Handle(ctx, s.events(t, 0)[0]); err == nil {
			t.Fatal("Handle succeeded with no state table")
		}
		if st, err := s.search.Status(ctx); err != nil || st.Healthy {
			t.Fatalf("Status with no state table: %+v, %v", st, err)
		}
		s.publish(t, "gen-a", "still-works", "1.0.0", nil)
		s.rebuild(t)
		if got := s.find(t, s.admin, search.Query{Limit: 100}).Hits; len(got) != 8 {
			t.Fatalf("after the repair: %v", ids(got))
		}
	})
}

// TestBrokenFullText drops SQLite's FTS table (on PostgreSQL the full text
// is a column of search_index, covered by TestBrokenIndex).
func TestBrokenFullText(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, "", search.Options{})
	catalogFixture(t, s)
	if _, err := s.db.RawExec(ctx, "DROP TABLE search_fts"); err != nil {
		t.Fatal(err)
	}
	_, err := s.search.Search(ctx, s.admin, search.Query{Text: "zebra"})
	wantFault(t, err, "search_unavailable", "")
	if err := s.indexer.Handle(ctx, s.events(t, 0)[0]); err == nil {
		t.Fatal("Handle succeeded with no FTS table")
	}
	s.publish(t, "gen-a", "still-works", "1.0.0", nil)
	if st, err := s.search.Status(ctx); err != nil || st.Healthy {
		t.Fatalf("Status with no FTS table: %+v, %v", st, err)
	}
	s.rebuild(t)
	if got := ids(s.find(t, s.admin, search.Query{Text: "zebra"}).Hits); len(got) != 2 {
		t.Fatalf("after the repair: %v", got)
	}
}

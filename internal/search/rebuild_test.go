package search_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/search"
)

// TestRebuildEqualsIncremental compares the index the events built with
// one rebuilt from the truth tables: over the existing rows, from an empty
// table, and with a stale row to sweep.
func TestRebuildEqualsIncremental(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		catalogFixture(t, s)
		for i := range 12 {
			s.publish(t, "gen-b", fmt.Sprintf("bulk-%02d", i), "1.0.0", map[string]any{"description": "bulk item"})
		}
		s.drain(t)
		incremental := s.rows(t)
		if len(incremental) != 19 {
			t.Fatalf("index holds %d rows, want 19", len(incremental))
		}

		s.rebuild(t)
		if got := s.rows(t); !slices.Equal(got, incremental) {
			t.Fatalf("rebuild over the index differs:\n%+v\nwant\n%+v", got, incremental)
		}

		if _, err := s.db.RawExec(ctx, "DELETE FROM search_index"); err != nil {
			t.Fatal(err)
		}
		stale := meta.SearchRow{VersionID: "ver_gone", Repo: "gen-a", Format: "generic", Name: "gone", Package: "gone", Version: "1", PublishedAt: time.Now(), Words: "gone 1"}
		if err := s.db.Tx(ctx, func(tx *meta.Tx) error { return tx.UpsertSearchRows(ctx, []meta.SearchRow{stale}) }); err != nil {
			t.Fatal(err)
		}
		s.rebuild(t)
		if got := s.rows(t); !slices.Equal(got, incremental) {
			t.Fatalf("rebuild from scratch differs:\n%+v\nwant\n%+v", got, incremental)
		}
		if got := s.find(t, s.admin, search.Query{Text: "left-pad"}).Hits; len(got) != 5 {
			t.Fatalf("search after the rebuild: %v", ids(got))
		}
		st, err := s.search.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Indexed != 19 || st.Total != 19 || st.Rows != 19 || st.FinishedAt == nil || !st.Healthy {
			t.Fatalf("status after the rebuild: %+v", st)
		}
	})
}

// TestPauseResume rebuilds in batches of 2 with a pause and a "crash" (a
// new service over the same store) in the middle.
func TestPauseResume(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			s := newStack(t, be.url(t), search.Options{BatchSize: 2})
			for i := range 5 {
				s.publish(t, "gen-a", fmt.Sprintf("p%d", i), "1.0.0", nil)
			}
			s.drain(t)
			want := s.rows(t)

			if _, err := s.search.Pause(ctx); err == nil {
				t.Fatal("Pause with no rebuild succeeded")
			} else {
				wantFault(t, err, "search_rebuild_not_running", "")
			}
			st, err := s.search.StartRebuild(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.State != meta.SearchRunning || st.Total != 5 || st.Indexed != 0 {
				t.Fatalf("after StartRebuild: %+v", st)
			}
			_, err = s.search.StartRebuild(ctx)
			wantFault(t, err, "search_rebuild_in_progress", "")
			step(t, s.search, true)
			if st, _ = s.search.Pause(ctx); st.State != meta.SearchPaused || st.Indexed != 2 {
				t.Fatalf("after one batch and Pause: %+v", st)
			}
			if st, err = s.search.Pause(ctx); err != nil || st.State != meta.SearchPaused {
				t.Fatalf("Pause again: %+v, %v", st, err)
			}
			step(t, s.search, false) // paused: nothing happens
			if st, _ = s.search.Status(ctx); st.Indexed != 2 {
				t.Fatalf("a paused rebuild moved: %+v", st)
			}
			// Searches keep answering meanwhile.
			if got := s.find(t, s.admin, search.Query{Text: "p"}).Hits; len(got) != 5 {
				t.Fatalf("search during a paused rebuild: %v", ids(got))
			}

			// The node dies; another resumes from the stored position.
			other := newServiceLike(s, search.Options{BatchSize: 2})
			if st, err = other.Resume(ctx); err != nil || st.State != meta.SearchRunning || st.Indexed != 2 {
				t.Fatalf("Resume: %+v, %v", st, err)
			}
			if st, err = other.Resume(ctx); err != nil || st.State != meta.SearchRunning {
				t.Fatalf("Resume again: %+v, %v", st, err)
			}
			step(t, other, true)
			step(t, other, false) // the last, short batch
			if st, _ = other.Status(ctx); st.State != meta.SearchIdle || st.Indexed != 5 {
				t.Fatalf("after the rebuild: %+v", st)
			}
			if got := s.rows(t); !slices.Equal(got, want) {
				t.Fatalf("rebuilt index differs:\n%+v\nwant\n%+v", got, want)
			}
			_, err = other.Resume(ctx)
			wantFault(t, err, "search_rebuild_not_running", "")
		})
	}
}

func step(t *testing.T, s *search.Service, wantMore bool) {
	t.Helper()
	more, err := s.Step(context.Background())
	if err != nil || more != wantMore {
		t.Fatalf("Step: more %v, err %v; want more %v", more, err, wantMore)
	}
}

// TestRun drives a rebuild with Run, as the server does, and stops it.
func TestRun(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *stack) {
		for i := range 7 {
			s.publish(t, "gen-a", fmt.Sprintf("r%d", i), "1.0.0", nil)
		}
		svc := newServiceLike(s, search.Options{BatchSize: 3, PollInterval: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- svc.Run(ctx) }()
		if _, err := svc.StartRebuild(context.Background()); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(time.Minute)
		for {
			if time.Now().After(deadline) {
				t.Fatal("Run did not finish the rebuild within a minute")
			}
			st, err := svc.Status(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if st.State == meta.SearchIdle {
				if st.Rows != 7 || st.Indexed != 7 {
					t.Fatalf("after Run: %+v", st)
				}
				break
			}
			time.Sleep(5 * time.Millisecond) // polling an outcome, not synchronizing
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// TestLag follows the indexed position against the outbox.
func TestLag(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		st, err := s.search.Status(ctx)
		if err != nil || st.Lag.Events != 0 || st.Lag.NewestEventID != 0 {
			t.Fatalf("empty store: %+v, %v", st.Lag, err)
		}
		for i := range 3 {
			s.publish(t, "gen-a", fmt.Sprintf("l%d", i), "1.0.0", nil)
		}
		events := s.events(t, 0)
		newest := events[len(events)-1]
		st, _ = s.search.Status(ctx)
		if st.Lag.Events != 3 || st.Lag.NewestEventID != newest.ID || st.Lag.IndexedEventID != 0 || st.Lag.NewestEventAt == nil {
			t.Fatalf("nothing indexed: %+v", st.Lag)
		}
		if err := s.indexer.Handle(ctx, events[0]); err != nil {
			t.Fatal(err)
		}
		st, _ = s.search.Status(ctx)
		if st.Lag.Events != 2 || st.Lag.IndexedEventID != events[0].ID || st.Lag.Behind != newest.CreatedAt.Sub(events[0].CreatedAt) {
			t.Fatalf("one indexed: %+v", st.Lag)
		}
		s.drain(t)
		st, _ = s.search.Status(ctx)
		if st.Lag.Events != 0 || st.Lag.IndexedEventID != newest.ID || st.Lag.Behind != 0 {
			t.Fatalf("all indexed: %+v", st.Lag)
		}
		// An older event handled late does not move the position back.
		if err := s.indexer.Handle(ctx, events[0]); err != nil {
			t.Fatal(err)
		}
		if st, _ = s.search.Status(ctx); st.Lag.IndexedEventID != newest.ID {
			t.Fatalf("a late event moved the position back: %+v", st.Lag)
		}
		// A rebuild covers every event before it started.
		s.publish(t, "gen-a", "late", "1.0.0", nil)
		s.rebuild(t)
		st, _ = s.search.Status(ctx)
		if st.Lag.Events != 0 || st.Rows != 4 {
			t.Fatalf("after a rebuild: %+v rows %d", st.Lag, st.Rows)
		}
	})
}

// TestRebuildWhileIndexing runs a rebuild while versions are published and
// their events handled: no row is lost or left stale.
func TestRebuildWhileIndexing(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		for i := range 20 {
			s.publish(t, "gen-a", fmt.Sprintf("before-%02d", i), "1.0.0", nil)
		}
		svc := newServiceLike(s, search.Options{BatchSize: 3})
		if _, err := svc.StartRebuild(ctx); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			for {
				more, err := svc.Step(ctx)
				if err != nil || !more {
					done <- err
					return
				}
			}
		}()
		for i := range 10 {
			s.publish(t, "gen-b", fmt.Sprintf("during-%02d", i), "1.0.0", nil)
			s.drain(t)
		}
		if err := <-done; err != nil {
			t.Fatalf("Step: %v", err)
		}
		s.drain(t)
		got := s.rows(t)
		if len(got) != 30 {
			t.Fatalf("index holds %d rows, want 30", len(got))
		}
		if _, err := s.db.RawExec(ctx, "DELETE FROM search_index"); err != nil {
			t.Fatal(err)
		}
		s.rebuild(t)
		if want := s.rows(t); !slices.Equal(got, want) {
			t.Fatalf("index built during a rebuild differs from a fresh one:\n%+v\nwant\n%+v", got, want)
		}
	})
}

package search

import (
	"context"
	"time"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

// Status reports the index and its rebuild.
type Status struct {
	// State is the rebuild's: meta.SearchIdle, SearchRunning or SearchPaused.
	State string
	// Healthy is false when the index cannot be read (Problem says why):
	// searches then answer search_unavailable until a rebuild repairs it.
	Healthy bool
	Problem string
	// Rows is how many versions the index holds (-1 when unknown).
	Rows int64
	// Indexed of Total versions: the progress of the running, paused or last
	// rebuild. Total is the count of published versions when it started, so
	// Indexed may pass it when versions are published meanwhile.
	Indexed, Total int64
	// StartedAt, UpdatedAt (last batch) and FinishedAt of that rebuild.
	StartedAt, UpdatedAt, FinishedAt *time.Time
	Lag                              Lag
}

// Lag compares the newest event the index follows with the newest it has
// applied. With several workers events may be applied out of order, so Lag
// is a measure, not a guarantee that every older event is applied.
type Lag struct {
	NewestEventID  int64
	NewestEventAt  *time.Time
	IndexedEventID int64
	IndexedEventAt *time.Time
	// Events is how many followed events are newer than the indexed one.
	Events int64
	// Behind is NewestEventAt − IndexedEventAt while Events > 0 (0 when
	// nothing was indexed yet).
	Behind time.Duration
}

// Status reads the index's state and lag. It answers even when the index
// is broken (Healthy false), as long as the store answers.
func (s *Service) Status(ctx context.Context) (Status, error) {
	out := Status{State: meta.SearchIdle, Healthy: true, Rows: -1}
	// The rebuild's state is read before the rows are counted, so a status
	// that says a rebuild finished counts at least the rows it wrote (the
	// reads are separate statements, not one snapshot).
	st, stateErr := s.db.GetSearchState(ctx, false)
	if ctx.Err() != nil {
		return Status{}, ctx.Err()
	}
	if err := s.db.ProbeSearch(ctx); err != nil {
		if ctx.Err() != nil {
			return Status{}, ctx.Err()
		}
		out.Healthy, out.Problem = false, err.Error()
	} else if out.Rows, err = s.db.CountSearchRows(ctx); err != nil {
		return Status{}, err
	}
	newest, newestAt, err := s.db.NewestEvent(ctx, EventTypes)
	if err != nil {
		return Status{}, err
	}
	out.Lag.NewestEventID, out.Lag.NewestEventAt = newest, newestAt
	if stateErr != nil {
		// The state is part of the index: broken with it.
		out.Lag.Events = -1
		return out, nil
	}
	out.State, out.Indexed, out.Total = st.Rebuild, st.RebuildIndexed, st.RebuildTotal
	out.StartedAt, out.UpdatedAt, out.FinishedAt = st.RebuildStartedAt, st.RebuildUpdatedAt, st.RebuildFinishedAt
	out.Lag.IndexedEventID, out.Lag.IndexedEventAt = st.LastEventID, st.LastEventAt
	if out.Lag.Events, err = s.db.CountEventsAfter(ctx, EventTypes, st.LastEventID); err != nil {
		return Status{}, err
	}
	if out.Lag.Events > 0 && newestAt != nil && st.LastEventAt != nil {
		out.Lag.Behind = max(0, newestAt.Sub(*st.LastEventAt))
	}
	return out, nil
}

func timeOr(t *time.Time, def time.Time) time.Time {
	if t == nil {
		return def
	}
	return *t
}

// StartRebuild starts rebuilding the index from the truth tables (every
// published version, not the events) and returns at once: Run does the
// work in batches. Searches keep answering from the current rows while it
// runs; rows of versions it no longer finds are removed when it finishes.
// An index that cannot be read is first repaired (recreated empty). A
// rebuild already running or paused is a conflict (409
// search_rebuild_in_progress).
func (s *Service) StartRebuild(ctx context.Context) (Status, error) {
	if err := s.db.ProbeSearch(ctx); err != nil {
		if ctx.Err() != nil {
			return Status{}, ctx.Err()
		}
		s.opts.Logger.Warn("search: the index cannot be read; recreating it empty before the rebuild", "error", err)
		if err := s.db.RepairSearchSchema(ctx); err != nil {
			return Status{}, unavailable(err)
		}
	}
	err := s.db.Tx(ctx, func(tx *meta.Tx) error {
		st, err := tx.GetSearchState(ctx, true)
		if err != nil {
			return unavailable(err)
		}
		if st.Rebuild != meta.SearchIdle {
			return fault.Coded(fault.KindConflict, "search_rebuild_in_progress", "a rebuild is already %s (%d of %d versions indexed); pause, resume or wait for it",
				st.Rebuild, st.RebuildIndexed, st.RebuildTotal).With("state", st.Rebuild)
		}
		total, err := tx.CountSearchable(ctx)
		if err != nil {
			return err
		}
		evID, evAt, err := tx.NewestEvent(ctx, EventTypes)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		st.Generation++
		st.Rebuild, st.RebuildCursor, st.RebuildIndexed, st.RebuildTotal = meta.SearchRunning, "", 0, total
		st.RebuildEventID, st.RebuildEventAt = evID, evAt
		st.RebuildStartedAt, st.RebuildUpdatedAt, st.RebuildFinishedAt = &now, &now, nil
		return tx.PutSearchRebuild(ctx, st)
	})
	if err != nil {
		return Status{}, err
	}
	s.poke()
	return s.Status(ctx)
}

// Pause stops a running rebuild after its current batch; it keeps its
// position. Pausing a paused rebuild changes nothing; with no rebuild it is
// a conflict (409 search_rebuild_not_running).
func (s *Service) Pause(ctx context.Context) (Status, error) {
	return s.setRebuild(ctx, meta.SearchRunning, meta.SearchPaused)
}

// Resume continues a paused rebuild from its position. Resuming a running
// rebuild changes nothing; with no rebuild it is a conflict (409
// search_rebuild_not_running).
func (s *Service) Resume(ctx context.Context) (Status, error) {
	st, err := s.setRebuild(ctx, meta.SearchPaused, meta.SearchRunning)
	if err == nil {
		s.poke()
	}
	return st, err
}

func (s *Service) setRebuild(ctx context.Context, from, to string) (Status, error) {
	err := s.db.Tx(ctx, func(tx *meta.Tx) error {
		st, err := tx.GetSearchState(ctx, true)
		if err != nil {
			return unavailable(err)
		}
		switch st.Rebuild {
		case to:
			return nil
		case from:
		default:
			return fault.Coded(fault.KindConflict, "search_rebuild_not_running", "no rebuild is running or paused; start one first").With("state", st.Rebuild)
		}
		now := s.now().UTC()
		st.Rebuild, st.RebuildUpdatedAt = to, &now
		return tx.PutSearchRebuild(ctx, st)
	})
	if err != nil {
		return Status{}, err
	}
	return s.Status(ctx)
}

// poke wakes Run in this process.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Step indexes the next batch of a running rebuild, in one transaction
// with its position, so a crash loses at most the batch in flight and a
// rebuild continues where it stopped on any node. It reports whether the
// rebuild has more to do; with no rebuild running it does nothing. When
// the last batch is done it removes rows the rebuild did not write and
// marks the index as covering every event up to the rebuild's start.
func (s *Service) Step(ctx context.Context) (bool, error) {
	if st, err := s.db.GetSearchState(ctx, false); err != nil || st.Rebuild != meta.SearchRunning {
		return false, err
	}
	more := false
	err := s.db.Tx(ctx, func(tx *meta.Tx) error {
		st, err := tx.GetSearchState(ctx, true)
		if err != nil || st.Rebuild != meta.SearchRunning {
			return err
		}
		srcs, err := tx.SearchSources(ctx, st.RebuildCursor, s.opts.BatchSize)
		if err != nil {
			return err
		}
		rows := make([]meta.SearchRow, len(srcs))
		for i, src := range srcs {
			rows[i] = rowOf(src, s.formats)
		}
		if err := tx.UpsertSearchRows(ctx, rows); err != nil {
			return err
		}
		now := s.now().UTC()
		st.RebuildIndexed += int64(len(rows))
		st.RebuildUpdatedAt = &now
		if len(rows) == s.opts.BatchSize {
			st.RebuildCursor, more = rows[len(rows)-1].VersionID, true
			return tx.PutSearchRebuild(ctx, st)
		}
		if _, err := tx.SweepSearchRows(ctx, st.Generation); err != nil {
			return err
		}
		if st.RebuildEventID > 0 {
			if err := tx.NoteSearchEvent(ctx, st.RebuildEventID, timeOr(st.RebuildEventAt, now)); err != nil {
				return err
			}
		}
		st.Rebuild, st.RebuildCursor, st.RebuildFinishedAt = meta.SearchIdle, "", &now
		return tx.PutSearchRebuild(ctx, st)
	})
	return more, err
}

// Run drives rebuilds until ctx ends: it runs the batches of a running
// rebuild back to back, and otherwise waits for StartRebuild or Resume in
// this process, or PollInterval (a rebuild started on another node, or left
// running by a crash). Errors are logged and retried after PollInterval.
// Run returns nil when ctx ends. Several nodes may run it: their steps
// take turns.
func (s *Service) Run(ctx context.Context) error {
	lastErr := ""
	for {
		more, err := s.Step(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && err.Error() != lastErr {
			s.opts.Logger.Error("search: rebuild step failed; retrying", "error", err)
		}
		if err != nil {
			lastErr = err.Error()
		} else {
			lastErr = ""
		}
		if more && err == nil {
			continue
		}
		t := time.NewTimer(s.opts.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-s.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

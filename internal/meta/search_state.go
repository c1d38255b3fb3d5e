package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"
)

// Rebuild states of the search index.
const (
	SearchIdle    = "idle"
	SearchRunning = "running"
	SearchPaused  = "paused"
)

// SearchState is the single row of search_state.
type SearchState struct {
	// Generation stamps index rows; a rebuild raises it and at its end
	// sweeps rows of older generations.
	Generation int64
	// LastEventID is the newest outbox event applied to the index (by the
	// indexer, or covered by a finished rebuild), LastEventAt its time.
	LastEventID int64
	LastEventAt *time.Time
	// The rebuild: its state, the last version id it indexed, how many
	// versions it indexed of how many, the newest indexable event when it
	// started, and when it started, last progressed and finished.
	Rebuild           string
	RebuildCursor     string
	RebuildIndexed    int64
	RebuildTotal      int64
	RebuildEventID    int64
	RebuildEventAt    *time.Time
	RebuildStartedAt  *time.Time
	RebuildUpdatedAt  *time.Time
	RebuildFinishedAt *time.Time
}

// GetSearchState reads the search state. With lock, on PostgreSQL, the row
// stays locked until the transaction ends (call it on a *Tx); SQLite
// serializes write transactions already.
func (q Q) GetSearchState(ctx context.Context, lock bool) (SearchState, error) {
	query := "SELECT generation, last_event_id, last_event_at, rebuild_state, rebuild_cursor, rebuild_indexed, rebuild_total," +
		" rebuild_event_id, rebuild_event_at, rebuild_started_at, rebuild_updated_at, rebuild_finished_at FROM search_state WHERE id = 1"
	if lock && q.d == Postgres {
		query += " FOR UPDATE"
	}
	var s SearchState
	var lastAt, evAt, started, updated, finished sql.NullInt64
	err := q.queryRow(ctx, query).Scan(&s.Generation, &s.LastEventID, &lastAt, &s.Rebuild, &s.RebuildCursor, &s.RebuildIndexed,
		&s.RebuildTotal, &s.RebuildEventID, &evAt, &started, &updated, &finished)
	if err != nil {
		return SearchState{}, notFound(err)
	}
	s.LastEventAt, s.RebuildEventAt = timeOrNil(lastAt), timeOrNil(evAt)
	s.RebuildStartedAt, s.RebuildUpdatedAt, s.RebuildFinishedAt = timeOrNil(started), timeOrNil(updated), timeOrNil(finished)
	return s, nil
}

// PutSearchRebuild stores the generation and the rebuild fields of s (not
// the event position: see NoteSearchEvent).
func (q Q) PutSearchRebuild(ctx context.Context, s SearchState) error {
	return affectedOne(q.exec(ctx, "UPDATE search_state SET generation = ?, rebuild_state = ?, rebuild_cursor = ?, rebuild_indexed = ?,"+
		" rebuild_total = ?, rebuild_event_id = ?, rebuild_event_at = ?, rebuild_started_at = ?, rebuild_updated_at = ?, rebuild_finished_at = ? WHERE id = 1",
		s.Generation, s.Rebuild, s.RebuildCursor, s.RebuildIndexed, s.RebuildTotal, s.RebuildEventID, microsOrNil(s.RebuildEventAt),
		microsOrNil(s.RebuildStartedAt), microsOrNil(s.RebuildUpdatedAt), microsOrNil(s.RebuildFinishedAt)))
}

// NoteSearchEvent records that outbox event id (created at at) is applied
// to the index. The position only moves forward.
func (q Q) NoteSearchEvent(ctx context.Context, id int64, at time.Time) error {
	_, err := q.exec(ctx, "UPDATE search_state SET last_event_id = ?, last_event_at = ? WHERE id = 1 AND last_event_id < ?", id, Micros(at), id)
	return err
}

// NewestEvent returns the newest outbox event of one of types (0 and nil
// when there is none).
func (q Q) NewestEvent(ctx context.Context, types []string) (int64, *time.Time, error) {
	args := make([]any, len(types))
	for i, t := range types {
		args[i] = t
	}
	var id, at int64
	err := q.queryRow(ctx, "SELECT id, created_at FROM outbox WHERE event_type IN ("+placeholders(len(types))+") ORDER BY id DESC LIMIT 1", args...).Scan(&id, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	t := FromMicros(at)
	return id, &t, nil
}

// CountEventsAfter counts the outbox events of one of types after afterID.
func (q Q) CountEventsAfter(ctx context.Context, types []string, afterID int64) (int64, error) {
	args := []any{afterID}
	for _, t := range types {
		args = append(args, t)
	}
	var n int64
	err := q.queryRow(ctx, "SELECT COUNT(*) FROM outbox WHERE id > ? AND event_type IN ("+placeholders(len(types))+")", args...).Scan(&n)
	return n, err
}

// ProbeSearch checks that the search tables answer: the index with its full
// text, and the state.
func (q Q) ProbeSearch(ctx context.Context) error {
	probe := "SELECT COUNT(*) FROM (SELECT s.version_id FROM search_index s WHERE s.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH 'probe') LIMIT 1) t"
	if q.d == Postgres {
		probe = "SELECT COUNT(*) FROM (SELECT s.version_id FROM search_index s WHERE s.tsv @@ to_tsquery('simple', 'probe') LIMIT 1) t"
	}
	var n int64
	if err := q.queryRow(ctx, probe).Scan(&n); err != nil {
		return err
	}
	if _, err := q.ListSearchRows(ctx, "", 1); err != nil {
		return err
	}
	_, err := q.GetSearchState(ctx, false)
	return err
}

// RepairSearchSchema drops the search tables and creates them again, empty,
// from the dialect's search migration: the way back from a missing or
// broken index. The truth tables are not touched.
func (db *DB) RepairSearchSchema(ctx context.Context) error {
	dir := "migrations/" + string(db.d)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return err
	}
	var ddl []byte
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), "_search.sql") {
			if ddl, err = fs.ReadFile(migrationFS, path.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	if ddl == nil {
		return errors.New("meta: no search migration for " + string(db.d))
	}
	drop := "DROP TABLE IF EXISTS search_index; DROP TABLE IF EXISTS search_state"
	if db.d == SQLite {
		drop = "DROP TABLE IF EXISTS search_fts; " + drop
	}
	return db.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.c.ExecContext(tx.ctx(ctx), drop); err != nil {
			return fmt.Errorf("drop search tables: %w", err)
		}
		if _, err := tx.c.ExecContext(tx.ctx(ctx), string(ddl)); err != nil {
			return fmt.Errorf("create search tables: %w", err)
		}
		return nil
	})
}

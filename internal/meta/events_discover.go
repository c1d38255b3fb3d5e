package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// EventSubscription names a handler and the event types it wants; no types
// means every event.
type EventSubscription struct {
	Handler string
	Types   []string
}

// errNeedsTx reports a method that must run on a *Tx.
var errNeedsTx = errors.New("meta: must run inside a transaction")

// DiscoverEvents creates a pending delivery, due at now, for each
// subscription and each visible outbox event above its handler's cursor that
// it wants and has no delivery for yet (at most limit per handler), and
// advances each cursor as far as is safe. A handler without a cursor starts
// from the first event. It returns how many deliveries it created.
//
// h carries what the caller learnt about in-flight outbox writers in its
// earlier passes (PostgreSQL); pass the same one each time (nil works but
// advances cursors less often). Call it on a *Tx. On PostgreSQL the cursor
// rows are locked with SKIP LOCKED: a handler another node is discovering
// for is skipped this time.
func (q Q) DiscoverEvents(ctx context.Context, h *OutboxHorizon, subs []EventSubscription, limit int, now time.Time) (int, error) {
	if q.tx == nil {
		return 0, errNeedsTx
	}
	if h == nil {
		h = &OutboxHorizon{}
	}
	horizon, err := q.outboxHorizon(ctx, h)
	if err != nil {
		return 0, fmt.Errorf("outbox horizon: %w", err)
	}
	total := 0
	for _, s := range subs {
		n, err := q.discover(ctx, s, horizon, limit, now)
		if err != nil {
			return total, fmt.Errorf("discover events for %s: %w", s.Handler, err)
		}
		total += n
	}
	return total, nil
}

// OutboxHorizon tracks up to which outbox id every event is either
// committed or rolled back: no event at or below it can appear later, so a
// cursor may pass it. On SQLite, whose writers are serialized, that is the
// newest id the discovering transaction sees. On PostgreSQL ids are drawn before commit; OutboxHorizon
// remembers fences: "every id up to seq was drawn by a transaction that has
// ended or is one of writers". A fence holds once its writers have ended.
// The zero value is ready; it is not safe for concurrent use.
type OutboxHorizon struct {
	safe   int64
	fences []outboxFence
}

type outboxFence struct {
	seq     int64
	writers []string // virtual transaction ids
}

// maxOutboxFences bounds the fences kept: past it, the newest is widened.
const maxOutboxFences = 64

// outboxHorizon returns the current safe id.
//
// PostgreSQL: a transaction draws an outbox id only while it holds the
// RowExclusiveLock its INSERT took on the outbox, until it ends. So after
// reading the sequence (seq) and then the transactions holding that lock
// (writers), every id up to seq is resolved once those writers have ended.
func (q Q) outboxHorizon(ctx context.Context, h *OutboxHorizon) (int64, error) {
	if q.d != Postgres {
		// The newest id this transaction sees. Under group commit (ADR
		// 0011) that may be an uncommitted row of an earlier member of the
		// same batch, which commits or rolls back with this transaction's
		// cursor moves: it is not remembered between calls, since a
		// rolled-back id is drawn again.
		var id int64
		err := q.queryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM outbox").Scan(&id)
		return id, err
	}
	var seq sql.NullInt64
	if err := q.queryRow(ctx, "SELECT pg_sequence_last_value(pg_get_serial_sequence('outbox', 'id'))").Scan(&seq); err != nil {
		return 0, err
	}
	writers, err := q.queryStrings(ctx, `SELECT virtualtransaction FROM pg_locks
WHERE locktype = 'relation' AND relation = 'outbox'::regclass AND mode = 'RowExclusiveLock'
AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
AND pid IS DISTINCT FROM pg_backend_pid()`)
	if err != nil {
		return 0, err
	}
	h.advance(seq.Int64, writers)
	return h.safe, nil
}

// advance records an observation: seq read first, then the writers in flight.
func (h *OutboxHorizon) advance(seq int64, writers []string) {
	if len(writers) == 0 {
		h.safe, h.fences = max(h.safe, seq), nil
		return
	}
	kept := h.fences[:0]
	for _, f := range h.fences {
		if slices.ContainsFunc(f.writers, func(w string) bool { return slices.Contains(writers, w) }) {
			kept = append(kept, f)
			continue
		}
		h.safe = max(h.safe, f.seq)
	}
	h.fences = kept
	if seq <= h.safe {
		return
	}
	if n := len(h.fences); n > 0 && (n >= maxOutboxFences || slices.Equal(h.fences[n-1].writers, writers)) {
		// Widening the newest fence is safe: it holds later, not sooner.
		last := &h.fences[n-1]
		last.seq = max(last.seq, seq)
		for _, w := range writers {
			if !slices.Contains(last.writers, w) {
				last.writers = append(last.writers, w)
			}
		}
		return
	}
	h.fences = append(h.fences, outboxFence{seq: seq, writers: slices.Clone(writers)})
}

func (q Q) discover(ctx context.Context, s EventSubscription, horizon int64, limit int, now time.Time) (int, error) {
	at := Micros(now)
	if _, err := q.exec(ctx, "INSERT INTO event_cursors (handler, last_id, created_at, updated_at) VALUES (?, 0, ?, ?) ON CONFLICT (handler) DO NOTHING",
		s.Handler, at, at); err != nil {
		return 0, err
	}
	lock := "SELECT last_id FROM event_cursors WHERE handler = ?"
	if q.d == Postgres {
		lock += " FOR UPDATE SKIP LOCKED"
	}
	var cursor int64
	if err := q.queryRow(ctx, lock, s.Handler).Scan(&cursor); errors.Is(err, sql.ErrNoRows) {
		return 0, nil // another node holds the cursor
	} else if err != nil {
		return 0, err
	}

	query := "SELECT o.id FROM outbox o WHERE o.id > ?"
	args := []any{cursor}
	if len(s.Types) > 0 {
		query += " AND o.event_type IN (" + placeholders(len(s.Types)) + ")"
		for _, t := range s.Types {
			args = append(args, t)
		}
	}
	query += " AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = o.id AND d.handler = ?) ORDER BY o.id LIMIT ?"
	args = append(args, s.Handler, limit)
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}

	created := 0
	for _, id := range ids {
		res, err := q.exec(ctx, `INSERT INTO event_deliveries (event_id, handler, state, attempts, next_attempt_at, lease_owner, lease_until, last_error, created_at, updated_at)
VALUES (?, ?, 'pending', 0, ?, '', 0, '', ?, ?) ON CONFLICT (event_id, handler) DO NOTHING`, id, s.Handler, at, at, at)
		if err != nil {
			return created, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			created++
		}
	}

	// Every wanted, visible event above the cursor now has a delivery, up
	// to the last one taken when the page was full. The cursor may pass
	// that far, but never beyond the horizon.
	next := horizon
	if len(ids) == limit {
		next = min(next, ids[len(ids)-1])
	}
	if next > cursor {
		if _, err := q.exec(ctx, "UPDATE event_cursors SET last_id = ?, updated_at = ? WHERE handler = ?", next, at, s.Handler); err != nil {
			return created, err
		}
	}
	return created, nil
}

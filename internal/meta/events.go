package meta

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Delivery states of one event for one handler.
const (
	DeliveryPending = "pending" // waiting, backing off or leased to a worker
	DeliveryDone    = "done"    // the handler succeeded
	DeliveryDead    = "dead"    // out of attempts; waits for an operator's replay
)

// Delivery is the state of one outbox event for one handler.
type Delivery struct {
	Event    Event
	Handler  string
	State    string
	Attempts int // attempts started, the one in progress included
	// NextAttemptAt is when a pending delivery is due.
	NextAttemptAt time.Time
	// LeaseOwner holds a pending delivery until LeaseUntil while it runs;
	// "" and the zero time when no worker holds it.
	LeaseOwner string
	LeaseUntil time.Time
	LastError  string
	CreatedAt  time.Time // when the worker discovered the event for this handler
	UpdatedAt  time.Time
}

// ClaimRequest asks for due deliveries.
type ClaimRequest struct {
	Handlers    []string  // only deliveries of these handlers
	Owner       string    // the claiming worker
	Now         time.Time // due at or before, lease expired at or before
	LeaseUntil  time.Time // the lease granted
	Limit       int
	MaxAttempts int // a delivery with this many attempts started goes dead instead (0: no limit)
}

// ClaimResult is what a claim took.
type ClaimResult struct {
	// Claimed are leased to the owner; their Attempts count this attempt.
	Claimed []Delivery
	// Dead were due again with no attempt left (their last attempt's worker
	// let the lease expire, or MaxAttempts was lowered): they are now dead.
	Dead []Delivery
}

// ClaimDeliveries leases up to r.Limit due pending deliveries of r.Handlers
// to r.Owner, oldest due first, and counts an attempt for each. A delivery
// whose lease expired is due again: its worker stopped. Call it on a *Tx; on
// PostgreSQL rows that another transaction is claiming are skipped (FOR
// UPDATE SKIP LOCKED), so several nodes share the work without waiting on
// each other; on SQLite the writer lock serializes claims.
func (q Q) ClaimDeliveries(ctx context.Context, r ClaimRequest) (ClaimResult, error) {
	var res ClaimResult
	if q.tx == nil {
		return res, errNeedsTx
	}
	if len(r.Handlers) == 0 || r.Limit <= 0 {
		return res, nil
	}
	now := Micros(r.Now)
	query := "SELECT " + deliveryColumns + " FROM event_deliveries d JOIN outbox o ON o.id = d.event_id" +
		" WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND d.lease_until <= ? AND d.handler IN (" + placeholders(len(r.Handlers)) + ")" +
		" ORDER BY d.next_attempt_at, d.event_id, d.handler LIMIT ?"
	if q.d == Postgres {
		query += " FOR UPDATE OF d SKIP LOCKED"
	}
	args := []any{now, now}
	for _, h := range r.Handlers {
		args = append(args, h)
	}
	args = append(args, r.Limit)
	due, err := q.scanDeliveries(ctx, query, args...)
	if err != nil {
		return res, err
	}
	for _, d := range due {
		expired := ""
		if d.LeaseOwner != "" {
			expired = fmt.Sprintf("attempt %d by %s did not finish before its lease expired", d.Attempts, d.LeaseOwner)
		}
		if r.MaxAttempts > 0 && d.Attempts >= r.MaxAttempts {
			msg := fmt.Sprintf("no attempts left (%d of %d started)", d.Attempts, r.MaxAttempts)
			if expired != "" {
				msg = expired + "; " + msg
			} else if d.LastError != "" {
				msg = d.LastError + "; " + msg
			}
			if _, err := q.exec(ctx, "UPDATE event_deliveries SET state = 'dead', lease_owner = '', lease_until = 0, last_error = ?, updated_at = ? WHERE event_id = ? AND handler = ?",
				msg, now, d.Event.ID, d.Handler); err != nil {
				return res, err
			}
			d.State, d.LeaseOwner, d.LeaseUntil, d.LastError, d.UpdatedAt = DeliveryDead, "", time.Time{}, msg, FromMicros(now)
			res.Dead = append(res.Dead, d)
			continue
		}
		if expired != "" {
			d.LastError = expired
		}
		if _, err := q.exec(ctx, "UPDATE event_deliveries SET attempts = attempts + 1, lease_owner = ?, lease_until = ?, last_error = ?, updated_at = ? WHERE event_id = ? AND handler = ?",
			r.Owner, Micros(r.LeaseUntil), d.LastError, now, d.Event.ID, d.Handler); err != nil {
			return res, err
		}
		d.Attempts++
		d.LeaseOwner, d.LeaseUntil, d.UpdatedAt = r.Owner, FromMicros(Micros(r.LeaseUntil)), FromMicros(now)
		res.Claimed = append(res.Claimed, d)
	}
	return res, nil
}

// The outcome statements below change a delivery only while owner still
// holds it (state pending, lease_owner = owner): a worker whose lease
// expired and was taken over cannot overwrite the new holder's state. They
// report false, changing nothing, when the lease was lost.
const whereLeased = " WHERE event_id = ? AND handler = ? AND state = 'pending' AND lease_owner = ?"

// CompleteDelivery marks a delivery leased to owner done.
func (q Q) CompleteDelivery(ctx context.Context, eventID int64, handler, owner string, now time.Time) (bool, error) {
	return leased(q.exec(ctx, "UPDATE event_deliveries SET state = 'done', lease_owner = '', lease_until = 0, last_error = '', updated_at = ?"+whereLeased,
		Micros(now), eventID, handler, owner))
}

// RetryDelivery records a failed attempt of a delivery leased to owner: it
// stays pending, due again at next.
func (q Q) RetryDelivery(ctx context.Context, eventID int64, handler, owner, lastError string, next, now time.Time) (bool, error) {
	return leased(q.exec(ctx, "UPDATE event_deliveries SET next_attempt_at = ?, lease_owner = '', lease_until = 0, last_error = ?, updated_at = ?"+whereLeased,
		Micros(next), lastError, Micros(now), eventID, handler, owner))
}

// BuryDelivery records the failed last attempt of a delivery leased to
// owner: it goes dead.
func (q Q) BuryDelivery(ctx context.Context, eventID int64, handler, owner, lastError string, now time.Time) (bool, error) {
	return leased(q.exec(ctx, "UPDATE event_deliveries SET state = 'dead', lease_owner = '', lease_until = 0, last_error = ?, updated_at = ?"+whereLeased,
		lastError, Micros(now), eventID, handler, owner))
}

// ReleaseDelivery gives back a delivery leased to owner without counting
// its attempt (the worker is stopping): it is due again at once.
func (q Q) ReleaseDelivery(ctx context.Context, eventID int64, handler, owner string, now time.Time) (bool, error) {
	return leased(q.exec(ctx, "UPDATE event_deliveries SET attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, lease_owner = '', lease_until = 0, updated_at = ?"+whereLeased,
		Micros(now), eventID, handler, owner))
}

// RenewDeliveryLease extends the lease owner holds on a delivery to until.
func (q Q) RenewDeliveryLease(ctx context.Context, eventID int64, handler, owner string, until, now time.Time) (bool, error) {
	return leased(q.exec(ctx, "UPDATE event_deliveries SET lease_until = ?, updated_at = ?"+whereLeased,
		Micros(until), Micros(now), eventID, handler, owner))
}

func leased(res sql.Result, err error) (bool, error) {
	if err := affectedOne(res, err); errors.Is(err, ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return true, nil
}

// DeliveryFilter selects deliveries. Zero fields do not filter.
type DeliveryFilter struct {
	State   string // pending, done or dead
	Handler string
	EventID int64
	// After continues a listing: only deliveries after (AfterEventID,
	// AfterHandler) in (event id, handler) order.
	AfterEventID int64
	AfterHandler string
	Limit        int // 0: no limit
}

// ListDeliveries returns the deliveries matching f with their events, in
// (event id, handler) order.
func (q Q) ListDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	query := "SELECT " + deliveryColumns + " FROM event_deliveries d JOIN outbox o ON o.id = d.event_id WHERE 1 = 1"
	var args []any
	if f.State != "" {
		query += " AND d.state = ?"
		args = append(args, f.State)
	}
	if f.Handler != "" {
		query += " AND d.handler = ?"
		args = append(args, f.Handler)
	}
	if f.EventID != 0 {
		query += " AND d.event_id = ?"
		args = append(args, f.EventID)
	}
	if f.AfterEventID != 0 || f.AfterHandler != "" {
		query += " AND (d.event_id, d.handler) > (?, ?)"
		args = append(args, f.AfterEventID, f.AfterHandler)
	}
	query += " ORDER BY d.event_id, d.handler"
	if f.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return q.scanDeliveries(ctx, query, args...)
}

// ReplayDeliveries moves the dead deliveries of an event (only handler's,
// when handler is not empty) back to pending, due at now with no attempts
// counted. It returns the handlers it replayed, sorted; none when nothing
// matched.
func (q Q) ReplayDeliveries(ctx context.Context, eventID int64, handler string, now time.Time) ([]string, error) {
	query := "UPDATE event_deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?, lease_owner = '', lease_until = 0, updated_at = ? WHERE event_id = ? AND state = 'dead'"
	args := []any{Micros(now), Micros(now), eventID}
	if handler != "" {
		query += " AND handler = ?"
		args = append(args, handler)
	}
	out, err := q.queryStrings(ctx, query+" RETURNING handler", args...)
	slices.Sort(out)
	return out, err
}

// GetEvent returns one outbox event.
func (q Q) GetEvent(ctx context.Context, id int64) (Event, error) {
	var e Event
	var payload string
	var at int64
	err := q.queryRow(ctx, "SELECT id, event_type, aggregate, payload, request_id, created_at FROM outbox WHERE id = ?", id).
		Scan(&e.ID, &e.Type, &e.Aggregate, &payload, &e.RequestID, &at)
	if err != nil {
		return e, notFound(err)
	}
	e.CreatedAt = FromMicros(at)
	if err := json.Unmarshal([]byte(payload), &e.Payload); err != nil {
		return e, fmt.Errorf("event %d: corrupt payload: %w", e.ID, err)
	}
	return e, nil
}

// EventStats is the backlog of one handler.
type EventStats struct {
	Handler string
	// Pending counts pending deliveries (due, backing off or running) plus
	// the outbox events past the handler's cursor that have no delivery yet
	// (of every type, even those the handler does not want).
	Pending int64
	// Failing counts the pending deliveries whose last attempt failed.
	Failing int64
	Dead    int64
	// OldestPending is when the oldest pending event was written; zero when
	// nothing is pending.
	OldestPending time.Time
}

// EventStats returns the backlog of each named handler, in the order given.
func (q Q) EventStats(ctx context.Context, handlers []string) ([]EventStats, error) {
	out := make([]EventStats, len(handlers))
	index := make(map[string]int, len(handlers))
	oldest := make([]int64, len(handlers)) // 0: none
	for i, h := range handlers {
		out[i].Handler = h
		index[h] = i
	}
	older := func(i int, at int64) {
		if oldest[i] == 0 || at < oldest[i] {
			oldest[i] = at
		}
	}
	rows, err := q.query(ctx, `SELECT d.handler, d.state, COUNT(*), SUM(CASE WHEN d.last_error <> '' THEN 1 ELSE 0 END), MIN(o.created_at)
FROM event_deliveries d JOIN outbox o ON o.id = d.event_id
WHERE d.state IN ('pending', 'dead') GROUP BY d.handler, d.state`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var h, state string
		var n, failing, first int64
		if err := rows.Scan(&h, &state, &n, &failing, &first); err != nil {
			rows.Close()
			return nil, err
		}
		i, ok := index[h]
		if !ok {
			continue
		}
		if state == DeliveryDead {
			out[i].Dead = n
			continue
		}
		out[i].Pending += n
		out[i].Failing = failing
		older(i, first)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, h := range handlers {
		var cursor int64
		err := q.queryRow(ctx, "SELECT last_id FROM event_cursors WHERE handler = ?", h).Scan(&cursor)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		var n int64
		var first sql.NullInt64
		err = q.queryRow(ctx, `SELECT COUNT(*), MIN(o.created_at) FROM outbox o WHERE o.id > ?
AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = o.id AND d.handler = ?)`, cursor, h).Scan(&n, &first)
		if err != nil {
			return nil, err
		}
		out[i].Pending += n
		if first.Valid {
			older(i, first.Int64)
		}
		if oldest[i] != 0 {
			out[i].OldestPending = FromMicros(oldest[i])
		}
	}
	return out, nil
}

// EventHandlers lists the handlers that have a cursor over the outbox (every
// handler a worker ever ran), sorted.
func (q Q) EventHandlers(ctx context.Context) ([]string, error) {
	return q.queryStrings(ctx, "SELECT handler FROM event_cursors ORDER BY handler")
}

const deliveryColumns = "d.event_id, d.handler, d.state, d.attempts, d.next_attempt_at, d.lease_owner, d.lease_until, d.last_error, d.created_at, d.updated_at," +
	" o.event_type, o.aggregate, o.payload, o.request_id, o.created_at"

func (q Q) scanDeliveries(ctx context.Context, query string, args ...any) ([]Delivery, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var next, until, created, updated, eventAt int64
		var payload string
		if err := rows.Scan(&d.Event.ID, &d.Handler, &d.State, &d.Attempts, &next, &d.LeaseOwner, &until, &d.LastError, &created, &updated,
			&d.Event.Type, &d.Event.Aggregate, &payload, &d.Event.RequestID, &eventAt); err != nil {
			return nil, err
		}
		d.NextAttemptAt, d.CreatedAt, d.UpdatedAt, d.Event.CreatedAt = FromMicros(next), FromMicros(created), FromMicros(updated), FromMicros(eventAt)
		if until != 0 {
			d.LeaseUntil = FromMicros(until)
		}
		if err := json.Unmarshal([]byte(payload), &d.Event.Payload); err != nil {
			return nil, fmt.Errorf("event %d: corrupt payload: %w", d.Event.ID, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// AppendEvent is InsertEvent returning the event as stored, with its id
// (for tests and tools that need to refer to the event).
func (q Q) AppendEvent(ctx context.Context, e Event) (Event, error) {
	if e.Payload == nil {
		e.Payload = map[string]any{}
	}
	b, err := json.Marshal(e.Payload)
	if err != nil {
		return e, fmt.Errorf("event payload: %w", err)
	}
	e.CreatedAt = FromMicros(Micros(e.CreatedAt))
	err = q.queryRow(ctx, "INSERT INTO outbox (event_type, aggregate, payload, request_id, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
		e.Type, e.Aggregate, string(b), e.RequestID, Micros(e.CreatedAt)).Scan(&e.ID)
	if isUniqueViolation(err) {
		return e, ErrExists
	}
	return e, err
}

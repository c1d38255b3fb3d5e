package meta

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Event is an outbox event: written in the transaction of the change it
// announces, delivered later by the event worker.
type Event struct {
	ID        int64
	Type      string // "version.published", ...
	Aggregate string // what it is about, e.g. "version/<id>"
	Payload   map[string]any
	RequestID string
	CreatedAt time.Time
}

// InsertEvent appends an event. Call it on the *Tx of the change.
func (q Q) InsertEvent(ctx context.Context, e Event) error {
	b, err := json.Marshal(e.Payload)
	if err != nil {
		return fmt.Errorf("event payload: %w", err)
	}
	_, err = q.exec(ctx, "INSERT INTO outbox (event_type, aggregate, payload, request_id, created_at) VALUES (?, ?, ?, ?, ?)",
		e.Type, e.Aggregate, string(b), e.RequestID, Micros(e.CreatedAt))
	if isUniqueViolation(err) {
		return ErrExists
	}
	if err == nil && q.wroteEvents != nil {
		*q.wroteEvents = true
	}
	return err
}

// ListEvents returns events after id afterID in order, at most limit;
// type filters when not empty.
func (q Q) ListEvents(ctx context.Context, eventType string, afterID int64, limit int) ([]Event, error) {
	query := "SELECT id, event_type, aggregate, payload, request_id, created_at FROM outbox WHERE id > ?"
	args := []any{afterID}
	if eventType != "" {
		query += " AND event_type = ?"
		args = append(args, eventType)
	}
	query += " ORDER BY id LIMIT ?"
	args = append(args, limit)
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var payload string
		var at int64
		if err := rows.Scan(&e.ID, &e.Type, &e.Aggregate, &payload, &e.RequestID, &at); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(payload), &e.Payload); err != nil {
			return nil, fmt.Errorf("event %d: corrupt payload: %w", e.ID, err)
		}
		e.CreatedAt = FromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

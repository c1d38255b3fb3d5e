package meta

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// AuditRecord is one entry of the append-only audit trail.
type AuditRecord struct {
	ID        int64
	At        time.Time
	Actor     string
	ActorVia  string // the credential the actor used: "pat:<token id>", "bootstrap", "system"
	Action    string
	Resource  string
	Repo      string
	RequestID string
	Details   map[string]any
}

// InsertAudit appends a record. Call it on the *Tx that makes the change it
// describes, so both commit or neither does.
func (q Q) InsertAudit(ctx context.Context, r AuditRecord) error {
	details := r.Details
	if details == nil {
		details = map[string]any{}
	}
	b, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("audit details: %w", err)
	}
	_, err = q.exec(ctx, "INSERT INTO audit (at, actor, actor_via, action, resource, repo, request_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		Micros(r.At), r.Actor, r.ActorVia, r.Action, r.Resource, r.Repo, r.RequestID, string(b))
	return err
}

// AuditFilter selects audit records. Zero fields do not filter.
type AuditFilter struct {
	Actor, Action, Repo string
	Since, Until        time.Time // Since inclusive, Until exclusive
	BeforeID            int64     // newest-first pagination: only ids below this
	AfterID             int64     // oldest-first streaming: only ids above this
	Limit               int       // 0: no limit
	OldestFirst         bool
}

// ListAudit returns records matching f, newest first unless f.OldestFirst.
func (q Q) ListAudit(ctx context.Context, f AuditFilter) ([]AuditRecord, error) {
	var out []AuditRecord
	err := q.EachAudit(ctx, f, func(r AuditRecord) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

// EachAudit streams records matching f to fn without holding them all in memory.
func (q Q) EachAudit(ctx context.Context, f AuditFilter, fn func(AuditRecord) error) error {
	query := "SELECT id, at, actor, actor_via, action, resource, repo, request_id, details FROM audit WHERE 1 = 1"
	var args []any
	add := func(cond string, v any) {
		query += " AND " + cond
		args = append(args, v)
	}
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.Repo != "" {
		add("repo = ?", f.Repo)
	}
	if !f.Since.IsZero() {
		add("at >= ?", Micros(f.Since))
	}
	if !f.Until.IsZero() {
		add("at < ?", Micros(f.Until))
	}
	if f.BeforeID > 0 {
		add("id < ?", f.BeforeID)
	}
	if f.AfterID > 0 {
		add("id > ?", f.AfterID)
	}
	if f.OldestFirst {
		query += " ORDER BY id ASC"
	} else {
		query += " ORDER BY id DESC"
	}
	if f.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r AuditRecord
		var at int64
		var details string
		if err := rows.Scan(&r.ID, &at, &r.Actor, &r.ActorVia, &r.Action, &r.Resource, &r.Repo, &r.RequestID, &details); err != nil {
			return err
		}
		r.At = FromMicros(at)
		if err := json.Unmarshal([]byte(details), &r.Details); err != nil {
			return fmt.Errorf("audit %d: corrupt details: %w", r.ID, err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

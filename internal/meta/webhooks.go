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

// Webhook is a stored webhook subscription. Secret is the signing secret as
// given: signing needs it, so unlike a token secret it is stored as is.
type Webhook struct {
	ID        string
	URL       string
	Events    []string // event types, e.g. "version.published"
	Repos     []string // repository keys; empty: every repository
	Secret    string
	Enabled   bool
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const webhookColumns = "id, url, events, repos, secret, enabled, created_by, created_at, updated_at"

// InsertWebhook stores a new webhook. ErrExists when the id is taken.
func (q Q) InsertWebhook(ctx context.Context, w Webhook) error {
	events, repos, err := webhookLists(w)
	if err != nil {
		return err
	}
	_, err = q.exec(ctx, "INSERT INTO webhooks ("+webhookColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		w.ID, w.URL, events, repos, w.Secret, w.Enabled, w.CreatedBy, Micros(w.CreatedAt), Micros(w.UpdatedAt))
	if isUniqueViolation(err) {
		return ErrExists
	}
	return err
}

// GetWebhook returns the webhook with the given id, ErrNotFound if none.
func (q Q) GetWebhook(ctx context.Context, id string) (Webhook, error) {
	return scanWebhook(q.queryRow(ctx, "SELECT "+webhookColumns+" FROM webhooks WHERE id = ?", id))
}

// GetWebhookForUpdate is GetWebhook that, on PostgreSQL, also locks the row
// until the transaction ends, so a read-check-write cannot lose an update
// (SQLite transactions are serialized already). Call it on a *Tx.
func (q Q) GetWebhookForUpdate(ctx context.Context, id string) (Webhook, error) {
	query := "SELECT " + webhookColumns + " FROM webhooks WHERE id = ?"
	if q.d == Postgres {
		query += " FOR UPDATE"
	}
	return scanWebhook(q.queryRow(ctx, query, id))
}

// ListWebhooks lists webhooks, oldest first; only enabled ones when
// enabledOnly.
func (q Q) ListWebhooks(ctx context.Context, enabledOnly bool) ([]Webhook, error) {
	query := "SELECT " + webhookColumns + " FROM webhooks"
	var args []any
	if enabledOnly {
		query += " WHERE enabled = ?"
		args = append(args, true)
	}
	rows, err := q.query(ctx, query+" ORDER BY created_at, id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// UpdateWebhook replaces the mutable fields of a webhook (URL, events,
// repositories, secret, enabled, updated_at). ErrNotFound when it does not
// exist.
func (q Q) UpdateWebhook(ctx context.Context, w Webhook) error {
	events, repos, err := webhookLists(w)
	if err != nil {
		return err
	}
	return affectedOne(q.exec(ctx, "UPDATE webhooks SET url = ?, events = ?, repos = ?, secret = ?, enabled = ?, updated_at = ? WHERE id = ?",
		w.URL, events, repos, w.Secret, w.Enabled, Micros(w.UpdatedAt), w.ID))
}

// DeleteWebhook deletes a webhook and its delivery log. ErrNotFound when it
// does not exist.
func (q Q) DeleteWebhook(ctx context.Context, id string) error {
	return affectedOne(q.exec(ctx, "DELETE FROM webhooks WHERE id = ?", id))
}

func webhookLists(w Webhook) (events, repos string, err error) {
	e, err := json.Marshal(nonNil(w.Events))
	if err != nil {
		return "", "", err
	}
	r, err := json.Marshal(nonNil(w.Repos))
	if err != nil {
		return "", "", err
	}
	return string(e), string(r), nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func scanWebhook(s scanner) (Webhook, error) {
	var w Webhook
	var events, repos string
	var created, updated int64
	err := s.Scan(&w.ID, &w.URL, &events, &repos, &w.Secret, &w.Enabled, &w.CreatedBy, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Webhook{}, ErrNotFound
	}
	if err != nil {
		return Webhook{}, err
	}
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
		return Webhook{}, fmt.Errorf("webhook %s: corrupt events: %w", w.ID, err)
	}
	if err := json.Unmarshal([]byte(repos), &w.Repos); err != nil {
		return Webhook{}, fmt.Errorf("webhook %s: corrupt repos: %w", w.ID, err)
	}
	w.CreatedAt, w.UpdatedAt = FromMicros(created), FromMicros(updated)
	return w, nil
}

// Statuses of a webhook delivery attempt.
const (
	WebhookDeliveryDelivered = "delivered" // the receiver answered 2xx
	WebhookDeliveryFailed    = "failed"    // no answer, a non-2xx answer or a refused address
)

// WebhookDelivery is one attempt to deliver an event to a webhook.
type WebhookDelivery struct {
	ID           int64
	WebhookID    string
	EventID      int64
	EventType    string
	Attempt      int  // 1, 2, ... per (webhook, event), set by InsertWebhookDelivery
	Redelivery   bool // asked for by a person rather than made by the worker
	Status       string
	ResponseCode int // 0 when no response arrived
	LatencyMS    int64
	Error        string
	CreatedAt    time.Time
}

const webhookDeliveryColumns = "id, webhook_id, event_id, event_type, attempt, redelivery, status, response_code, latency_ms, error, created_at"

// InsertWebhookDelivery records an attempt and returns it with its ID and
// Attempt (one more than the attempts recorded before for the same webhook
// and event) set. ErrNotFound when the webhook no longer exists.
func (q Q) InsertWebhookDelivery(ctx context.Context, d WebhookDelivery) (WebhookDelivery, error) {
	var code any
	if d.ResponseCode != 0 {
		code = d.ResponseCode
	}
	err := q.queryRow(ctx, "INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, attempt, redelivery, status, response_code, latency_ms, error, created_at) "+
		"VALUES (?, ?, ?, (SELECT COALESCE(MAX(attempt), 0) + 1 FROM webhook_deliveries WHERE webhook_id = ? AND event_id = ?), ?, ?, ?, ?, ?, ?) RETURNING id, attempt",
		d.WebhookID, d.EventID, d.EventType, d.WebhookID, d.EventID, d.Redelivery, d.Status, code, d.LatencyMS, d.Error, Micros(d.CreatedAt),
	).Scan(&d.ID, &d.Attempt)
	if isForeignKeyViolation(err) {
		return WebhookDelivery{}, ErrNotFound
	}
	if err != nil {
		return WebhookDelivery{}, err
	}
	return d, nil
}

// GetWebhookDelivery returns one delivery of a webhook, ErrNotFound if the
// webhook has no delivery with that id.
func (q Q) GetWebhookDelivery(ctx context.Context, webhookID string, id int64) (WebhookDelivery, error) {
	return scanDelivery(q.queryRow(ctx, "SELECT "+webhookDeliveryColumns+" FROM webhook_deliveries WHERE webhook_id = ? AND id = ?", webhookID, id))
}

// ListWebhookDeliveries returns a webhook's deliveries newest first: at
// most limit, only ids below beforeID when it is positive.
func (q Q) ListWebhookDeliveries(ctx context.Context, webhookID string, beforeID int64, limit int) ([]WebhookDelivery, error) {
	query := "SELECT " + webhookDeliveryColumns + " FROM webhook_deliveries WHERE webhook_id = ?"
	args := []any{webhookID}
	if beforeID > 0 {
		query += " AND id < ?"
		args = append(args, beforeID)
	}
	rows, err := q.query(ctx, query+" ORDER BY id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []WebhookDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// WebhookEventDelivered reports whether an event has been delivered to a webhook
// successfully at least once.
func (q Q) WebhookEventDelivered(ctx context.Context, webhookID string, eventID int64) (bool, error) {
	var n int
	err := q.queryRow(ctx, "SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = ? AND event_id = ? AND status = ?",
		webhookID, eventID, WebhookDeliveryDelivered).Scan(&n)
	return n > 0, err
}

func scanDelivery(s scanner) (WebhookDelivery, error) {
	var d WebhookDelivery
	var code sql.NullInt64
	var created int64
	err := s.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.EventType, &d.Attempt, &d.Redelivery, &d.Status, &code, &d.LatencyMS, &d.Error, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return WebhookDelivery{}, ErrNotFound
	}
	if err != nil {
		return WebhookDelivery{}, err
	}
	d.ResponseCode = int(code.Int64)
	d.CreatedAt = FromMicros(created)
	return d, nil
}

// DetachRepoFromWebhooks removes a repository being deleted from every
// webhook that names it, so that a repository created later under the same
// key does not inherit them. A webhook left with no repository would
// become one for every repository, so it is deleted instead. Call it on the
// *Tx that deletes the repository; it returns the ids of the webhooks it
// changed and deleted, for the audit record.
func (q Q) DetachRepoFromWebhooks(ctx context.Context, repo string, at time.Time) (changed, deleted []string, err error) {
	all, err := q.ListWebhooks(ctx, false)
	if err != nil {
		return nil, nil, err
	}
	for _, w := range all {
		i := slices.Index(w.Repos, repo)
		if i < 0 {
			continue
		}
		if len(w.Repos) == 1 {
			if err := q.DeleteWebhook(ctx, w.ID); err != nil {
				return nil, nil, err
			}
			deleted = append(deleted, w.ID)
			continue
		}
		w.Repos = slices.Delete(slices.Clone(w.Repos), i, i+1)
		w.UpdatedAt = at
		if err := q.UpdateWebhook(ctx, w); err != nil {
			return nil, nil, err
		}
		changed = append(changed, w.ID)
	}
	return changed, deleted, nil
}

package webhook

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

// Delivery is one attempt to deliver an event to a webhook.
type Delivery struct {
	ID        int64  `json:"id"`
	WebhookID string `json:"webhookId"`
	EventID   int64  `json:"eventId"`
	EventType string `json:"eventType"`
	// Attempt counts the attempts at this event for this webhook: 1, 2, ...
	Attempt int `json:"attempt"`
	// Redelivery is true for an attempt asked for with Redeliver.
	Redelivery bool `json:"redelivery"`
	// Status is "delivered" (the receiver answered 2xx) or "failed".
	Status string `json:"status"`
	// ResponseCode is the receiver's HTTP status, 0 when none arrived.
	ResponseCode int       `json:"responseCode,omitempty"`
	LatencyMS    int64     `json:"latencyMs"`
	Error        string    `json:"error,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
}

func deliveryFromRow(d meta.WebhookDelivery) Delivery {
	return Delivery{
		ID: d.ID, WebhookID: d.WebhookID, EventID: d.EventID, EventType: d.EventType, Attempt: d.Attempt,
		Redelivery: d.Redelivery, Status: d.Status, ResponseCode: d.ResponseCode, LatencyMS: d.LatencyMS,
		Error: d.Error, CreatedAt: d.CreatedAt,
	}
}

// DeliveryPage is one page of a delivery log, newest first.
type DeliveryPage struct {
	Items []Delivery `json:"items"`
	// NextCursor fetches the next (older) page; empty on the last page.
	NextCursor string `json:"nextCursor,omitempty"`
}

// Delivery log page sizes.
const (
	DefaultDeliveryLimit = 50
	MaxDeliveryLimit     = 1000
)

// Deliveries returns a page of the delivery log of a webhook the caller
// manages, newest first: at most limit (DefaultDeliveryLimit when 0)
// after cursor ("" for the first page).
func (s *Service) Deliveries(ctx context.Context, caller *auth.Principal, webhookID string, limit int, cursor string) (DeliveryPage, error) {
	if limit == 0 {
		limit = DefaultDeliveryLimit
	}
	if limit < 1 || limit > MaxDeliveryLimit {
		return DeliveryPage{}, fault.BadRequest("limit", "want 1 to %d", MaxDeliveryLimit)
	}
	var before int64
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		if err == nil {
			before, err = strconv.ParseInt(string(raw), 10, 64)
		}
		if err != nil || before <= 0 {
			return DeliveryPage{}, fault.BadRequest("cursor", "invalid cursor; pass nextCursor from the previous page unchanged")
		}
	}
	if _, err := s.load(ctx, s.db.Q, caller, webhookID, false); err != nil {
		return DeliveryPage{}, err
	}
	rows, err := s.db.ListWebhookDeliveries(ctx, webhookID, before, limit+1)
	if err != nil {
		return DeliveryPage{}, err
	}
	page := DeliveryPage{Items: []Delivery{}}
	for i, d := range rows {
		if i == limit {
			page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(rows[i-1].ID, 10)))
			break
		}
		page.Items = append(page.Items, deliveryFromRow(d))
	}
	return page, nil
}

// Redeliver sends the event of one of a webhook's deliveries again, now,
// to the webhook's current URL with its current secret (and the same
// webhook-id), and records the attempt, with an audit record, as a new
// delivery, which it returns. It sends even when the webhook is disabled
// or the event was delivered before: it is an explicit request. A failed
// attempt is not an error: it is the returned delivery's status.
func (s *Service) Redeliver(ctx context.Context, caller *auth.Principal, webhookID string, deliveryID int64) (Delivery, error) {
	w, err := s.load(ctx, s.db.Q, caller, webhookID, false)
	if err != nil {
		return Delivery{}, err
	}
	prev, err := s.db.GetWebhookDelivery(ctx, webhookID, deliveryID)
	if errors.Is(err, meta.ErrNotFound) {
		return Delivery{}, fault.Coded(fault.KindNotFound, "webhook_delivery_not_found", "webhook %q has no delivery %d", webhookID, deliveryID)
	}
	if err != nil {
		return Delivery{}, err
	}
	e, err := s.db.GetEvent(ctx, prev.EventID)
	if errors.Is(err, meta.ErrNotFound) {
		return Delivery{}, fault.Conflict("event %d of delivery %d is no longer in the outbox", prev.EventID, deliveryID)
	}
	if err != nil {
		return Delivery{}, err
	}
	rec := s.dispatcher.attempt(ctx, w, e, true)
	// Record the attempt even if the caller has gone: it happened.
	rctx := context.WithoutCancel(ctx)
	err = s.db.Tx(rctx, func(tx *meta.Tx) error {
		rec, err = tx.InsertWebhookDelivery(rctx, rec)
		if errors.Is(err, meta.ErrNotFound) {
			return notFound(webhookID) // deleted meanwhile
		}
		if err != nil {
			return err
		}
		return tx.InsertAudit(rctx, s.audit(rctx, caller, "webhook.redeliver", w, rec.CreatedAt, map[string]any{
			"deliveryId": deliveryID, "eventId": e.ID, "eventType": e.Type, "status": rec.Status, "responseCode": rec.ResponseCode,
		}))
	})
	if err != nil {
		return Delivery{}, err
	}
	return deliveryFromRow(rec), nil
}

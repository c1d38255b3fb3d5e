package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/events"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

type deliveryJSON struct {
	EventID       int64          `json:"eventId"`
	EventType     string         `json:"eventType"`
	Aggregate     string         `json:"aggregate"`
	Handler       string         `json:"handler"`
	State         string         `json:"state"`
	Attempts      int            `json:"attempts"`
	NextAttemptAt *time.Time     `json:"nextAttemptAt,omitempty"`
	LeaseOwner    string         `json:"leaseOwner,omitempty"`
	LastError     string         `json:"lastError,omitempty"`
	EventAt       time.Time      `json:"eventAt"`
	UpdatedAt     time.Time      `json:"updatedAt"`
	Payload       map[string]any `json:"payload,omitempty"`
}

func toDeliveryJSON(d meta.Delivery, withPayload bool) deliveryJSON {
	out := deliveryJSON{
		EventID: d.Event.ID, EventType: d.Event.Type, Aggregate: d.Event.Aggregate, Handler: d.Handler, State: d.State,
		Attempts: d.Attempts, LeaseOwner: d.LeaseOwner, LastError: d.LastError, EventAt: d.Event.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
	if d.State == "pending" && !d.NextAttemptAt.IsZero() {
		t := d.NextAttemptAt
		out.NextAttemptAt = &t
	}
	if withPayload {
		out.Payload = d.Event.Payload
	}
	return out
}

func (a *API) listEvents(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	q := r.URL.Query()
	o := events.ListOptions{State: q.Get("state"), Handler: q.Get("handler"), Cursor: q.Get("cursor")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fault.BadRequest("limit", "want a whole number")
		}
		o.Limit = n
	}
	page, err := a.events.List(r.Context(), p, o)
	if err != nil {
		return err
	}
	items := make([]deliveryJSON, 0, len(page.Items))
	for _, d := range page.Items {
		items = append(items, toDeliveryJSON(d, false))
	}
	out := map[string]any{"items": items}
	if page.NextCursor != "" {
		out["nextCursor"] = page.NextCursor
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func eventID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fault.NotFound("event %q not found", r.PathValue("id"))
	}
	return id, nil
}

func (a *API) getEvent(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := requireAdmin(p, "reading events"); err != nil {
		return err
	}
	id, err := eventID(r)
	if err != nil {
		return err
	}
	e, ds, err := a.events.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	deliveries := make([]deliveryJSON, 0, len(ds))
	for _, d := range ds {
		deliveries = append(deliveries, toDeliveryJSON(d, false))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"eventId": e.ID, "eventType": e.Type, "aggregate": e.Aggregate, "payload": e.Payload,
		"requestId": e.RequestID, "createdAt": e.CreatedAt, "deliveries": deliveries,
	})
	return nil
}

func (a *API) replayEvent(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := requireAdmin(p, "replaying events"); err != nil {
		return err
	}
	id, err := eventID(r)
	if err != nil {
		return err
	}
	handlers, err := a.events.Replay(r.Context(), p, id, r.URL.Query().Get("handler"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"eventId": id, "replayed": handlers})
	return nil
}

func (a *API) eventStats(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	stats, err := a.events.Stats(r.Context(), p)
	if err != nil {
		return err
	}
	items := make([]map[string]any, 0, len(stats))
	for _, s := range stats {
		item := map[string]any{"handler": s.Handler, "pending": s.Pending, "failing": s.Failing, "dead": s.Dead}
		if !s.OldestPending.IsZero() {
			item["oldestPendingAt"] = s.OldestPending
		}
		items = append(items, item)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

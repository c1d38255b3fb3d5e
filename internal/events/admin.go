package events

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/telemetry"
)

// Admin is the operator's side of event delivery: list the backlog and the
// dead letters, replay them, read the per-handler stats. It needs only the
// store, so a node that runs no worker serves it too. Every method requires
// a global administrator.
type Admin struct {
	db  *meta.DB
	now func() time.Time
}

// NewAdmin returns the admin service over db; now is the clock (nil:
// time.Now).
func NewAdmin(db *meta.DB, now func() time.Time) *Admin {
	if now == nil {
		now = time.Now
	}
	return &Admin{db: db, now: now}
}

// Listing page sizes.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
)

// ListOptions select deliveries to list.
type ListOptions struct {
	// State is "dead" (the default), "pending" or "done".
	State string
	// Handler keeps only that handler's deliveries ("" for all).
	Handler string
	// Limit is the page size: 0 for DefaultListLimit, at most MaxListLimit.
	Limit int
	// Cursor continues from a previous page's NextCursor.
	Cursor string
}

// Page is one page of deliveries in (event id, handler) order, oldest event
// first. NextCursor is "" on the last page.
type Page struct {
	Items      []meta.Delivery
	NextCursor string
}

// List returns a page of deliveries. Bad options are 400s naming the
// parameter (state, limit, cursor).
func (a *Admin) List(ctx context.Context, caller *auth.Principal, o ListOptions) (Page, error) {
	if err := requireAdmin(caller); err != nil {
		return Page{}, err
	}
	f := meta.DeliveryFilter{State: o.State, Handler: o.Handler, Limit: o.Limit}
	switch f.State {
	case "":
		f.State = meta.DeliveryDead
	case meta.DeliveryDead, meta.DeliveryPending, meta.DeliveryDone:
	default:
		return Page{}, fault.BadRequest("state", "want dead, pending or done, not %q", o.State)
	}
	switch {
	case f.Limit == 0:
		f.Limit = DefaultListLimit
	case f.Limit < 0 || f.Limit > MaxListLimit:
		return Page{}, fault.BadRequest("limit", "want a whole number from 1 to %d", MaxListLimit)
	}
	if o.Cursor != "" {
		id, h, err := decodeCursor(o.Cursor)
		if err != nil {
			return Page{}, err
		}
		f.AfterEventID, f.AfterHandler = id, h
	}
	f.Limit++ // one more tells whether another page exists
	items, err := a.db.ListDeliveries(ctx, f)
	if err != nil {
		return Page{}, err
	}
	page := Page{Items: items}
	if len(items) == f.Limit {
		page.Items = items[:len(items)-1]
		last := page.Items[len(page.Items)-1]
		page.NextCursor = encodeCursor(last.Event.ID, last.Handler)
	}
	if page.Items == nil {
		page.Items = []meta.Delivery{}
	}
	return page, nil
}

// Get returns an event and its delivery to every handler that has seen it.
func (a *Admin) Get(ctx context.Context, caller *auth.Principal, eventID int64) (meta.Event, []meta.Delivery, error) {
	if err := requireAdmin(caller); err != nil {
		return meta.Event{}, nil, err
	}
	e, err := a.db.GetEvent(ctx, eventID)
	if errors.Is(err, meta.ErrNotFound) {
		return e, nil, eventNotFound(eventID)
	}
	if err != nil {
		return e, nil, err
	}
	ds, err := a.db.ListDeliveries(ctx, meta.DeliveryFilter{EventID: eventID})
	return e, ds, err
}

// Replay moves the dead deliveries of an event (only handler's, when handler
// is not "") back to pending with their attempts reset; a worker delivers
// them on its next pass. It returns the handlers replayed and writes an
// event.replay audit record in the same transaction. Errors: 404 not_found
// when the event does not exist, 409 event_not_dead when it has no dead
// delivery (for that handler).
func (a *Admin) Replay(ctx context.Context, caller *auth.Principal, eventID int64, handler string) ([]string, error) {
	if err := requireAdmin(caller); err != nil {
		return nil, err
	}
	now := a.now().UTC().Truncate(time.Microsecond)
	var replayed []string
	err := a.db.Tx(ctx, func(tx *meta.Tx) error {
		e, err := tx.GetEvent(ctx, eventID)
		if errors.Is(err, meta.ErrNotFound) {
			return eventNotFound(eventID)
		}
		if err != nil {
			return err
		}
		if replayed, err = tx.ReplayDeliveries(ctx, eventID, handler, now); err != nil {
			return err
		}
		if len(replayed) == 0 {
			what := "no dead delivery"
			if handler != "" {
				what = "no dead delivery to handler " + strconv.Quote(handler)
			}
			return fault.Coded(fault.KindConflict, "event_not_dead", "event %d has %s; only dead deliveries can be replayed", eventID, what).
				With("eventId", eventID)
		}
		return tx.InsertAudit(ctx, meta.AuditRecord{
			At: now, Actor: caller.Name(), ActorVia: caller.Via(), Action: "event.replay",
			Resource: "event/" + strconv.FormatInt(eventID, 10), RequestID: telemetry.RequestID(ctx),
			Details: map[string]any{"eventType": e.Type, "aggregate": e.Aggregate, "handlers": replayed},
		})
	})
	if err != nil {
		return nil, err
	}
	return replayed, nil
}

// Stats returns the backlog of every handler a worker has run.
func (a *Admin) Stats(ctx context.Context, caller *auth.Principal) ([]meta.EventStats, error) {
	if err := requireAdmin(caller); err != nil {
		return nil, err
	}
	handlers, err := a.db.EventHandlers(ctx)
	if err != nil {
		return nil, err
	}
	return a.db.EventStats(ctx, handlers)
}

func requireAdmin(caller *auth.Principal) error {
	if !caller.Authenticated() {
		return fault.Unauthorized("authentication required: send a token as Bearer or as the Basic password")
	}
	if !caller.IsAdmin() {
		return fault.Forbidden("managing events needs the global admin scope")
	}
	return nil
}

func eventNotFound(id int64) error {
	return fault.NotFound("event %d not found", id)
}

const cursorPrefix = "ev:"

func encodeCursor(eventID int64, handler string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(eventID, 10) + ":" + handler))
}

func decodeCursor(c string) (int64, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if rest, ok := strings.CutPrefix(string(raw), cursorPrefix); ok {
			if num, h, ok := strings.Cut(rest, ":"); ok && checkName(h) == nil {
				if id, err := strconv.ParseInt(num, 10, 64); err == nil && id > 0 {
					return id, h, nil
				}
			}
		}
	}
	return 0, "", fault.BadRequest("cursor", "invalid cursor; pass nextCursor from the previous page unchanged")
}

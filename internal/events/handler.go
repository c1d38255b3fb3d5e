package events

import (
	"context"
	"fmt"
	"regexp"

	"github.com/artifortress/artifortress/internal/meta"
)

// Handler reacts to outbox events. The worker delivers every event to every
// registered handler at least once: after a failure, a timeout, or a worker
// that stopped while holding the event, it delivers the event again, possibly
// on another node and after later events. Handle must therefore be
// idempotent: delivering one event twice, at any time, must leave the same
// state as delivering it once (write with upserts keyed by the event or by
// the aggregate's current state, never with increments). Check it with
// eventstest.CheckIdempotent.
//
// Events arrive in no guaranteed order. A handler that maintains a view of
// an aggregate should read the aggregate's current state rather than apply
// the payload as a delta.
//
// Handle returns nil when the event is handled (ignoring an event is handling
// it) and an error to have it retried with backoff; after the worker's
// MaxAttempts failures the delivery goes dead until an operator replays it.
// Handle must return when ctx is done (the per-event timeout or shutdown).
type Handler interface {
	// Name identifies the handler's delivery state in the store. It must be
	// stable across releases: a new name is a new handler, which receives
	// every event in the outbox from the first one.
	Name() string
	Handle(ctx context.Context, e meta.Event) error
}

// TypeFilter is an optional capability of a Handler: the worker creates
// deliveries only for events of these types, and never calls Handle with
// another. An event type added to the list later applies to events written
// after the handler's cursor, not to older ones.
type TypeFilter interface {
	EventTypes() []string
}

// HandlerFunc returns a Handler named name that calls fn.
func HandlerFunc(name string, fn func(ctx context.Context, e meta.Event) error) Handler {
	return funcHandler{name: name, fn: fn}
}

type funcHandler struct {
	name string
	fn   func(context.Context, meta.Event) error
}

func (h funcHandler) Name() string                                   { return h.name }
func (h funcHandler) Handle(ctx context.Context, e meta.Event) error { return h.fn(ctx, e) }

// handlerName is what Register accepts: short, lowercase, printable in logs
// and metric labels.
var handlerName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

func checkName(name string) error {
	if !handlerName.MatchString(name) {
		return fmt.Errorf("events: invalid handler name %q (want 1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit)", name)
	}
	return nil
}

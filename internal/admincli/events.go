package admincli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// Delivery states of GET /v1/admin/events; the server lists dead ones
// when none is asked for.
var eventStates = []string{"dead", "pending", "done"}

// eventHandlers are the handlers the server runs, offered for completion.
var eventHandlers = []string{"search", "webhooks"}

// Bounds of the event and webhook tables.
const (
	maxErrorCell   = 80  // last error of a delivery in a list
	maxPayloadCell = 300 // payload of an event
)

// eventDelivery is the delivery of an event to one handler: an item of
// GET /v1/admin/events and of the deliveries of GET /v1/admin/events/{id}.
type eventDelivery struct {
	EventID       int64  `json:"eventId"`
	EventType     string `json:"eventType"`
	Aggregate     string `json:"aggregate"`
	Handler       string `json:"handler"`
	State         string `json:"state"`
	Attempts      int    `json:"attempts"`
	NextAttemptAt string `json:"nextAttemptAt"`
	LeaseOwner    string `json:"leaseOwner"`
	LastError     string `json:"lastError"`
	EventAt       string `json:"eventAt"`
	UpdatedAt     string `json:"updatedAt"`
}

// eventDetail is the answer of GET /v1/admin/events/{id}.
type eventDetail struct {
	EventID    int64           `json:"eventId"`
	EventType  string          `json:"eventType"`
	Aggregate  string          `json:"aggregate"`
	Payload    json.RawMessage `json:"payload"`
	RequestID  string          `json:"requestId"`
	CreatedAt  string          `json:"createdAt"`
	Deliveries []eventDelivery `json:"deliveries"`
}

// eventStat is one item of GET /v1/admin/events/stats.
type eventStat struct {
	Handler         string `json:"handler"`
	Pending         int64  `json:"pending"`
	Failing         int64  `json:"failing"`
	Dead            int64  `json:"dead"`
	OldestPendingAt string `json:"oldestPendingAt"`
}

// eventPath returns the escaped path of event id.
func eventPath(id int64) string {
	return Pathf("/v1/admin/events/%s", strconv.FormatInt(id, 10))
}

func newEventsCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "events",
		Aliases: []string{"event"},
		Short:   "Inspect and replay event deliveries (global administrators)",
		Long: `Inspect the delivery of events to their handlers, and replay dead letters.

Every committed change the server reacts to (a version published, a tag moved, ...)
is an event in the outbox. The event worker delivers each event to every handler
that wants it ("search" keeps the search index, "webhooks" calls the webhooks),
retrying with backoff; a delivery that keeps failing goes dead after its last
attempt and stays dead until an administrator replays it.

  list    deliveries by state: dead (the default), pending (the backlog) or done
  stats   the backlog of every handler: pending, failing and dead deliveries
  get     one event, its payload and its delivery to each handler
  replay  move the dead deliveries of an event back to pending`,
		Example: `  artifortress admin events stats
  artifortress admin events list --state dead
  artifortress admin events get 42
  artifortress admin events replay 42 --handler webhooks`,
		Args: cobra.NoArgs,
		RunE: showHelp,
	}
	cmd.AddCommand(newEventsListCommand(o), newEventsStatsCommand(o), newEventsGetCommand(o), newEventsReplayCommand(o))
	return cmd
}

func newEventsListCommand(o *options) *cobra.Command {
	var (
		state, handler string
		pages          pageFlags
	)
	cmd := &cobra.Command{
		Use:   "list [--state dead|pending|done] [--handler H] [--limit N] [--cursor C | --all]",
		Short: "List event deliveries by state, oldest event first",
		Long: `List the deliveries of events to handlers in one state, oldest event first: dead
letters by default, or the pending backlog (with the next attempt and the last
error of those that failed), or done deliveries. --handler keeps one handler's.

The server answers one page (--limit deliveries, 100 by default, at most 1000);
when more remain, the table output names the cursor of the next page on standard
error and -o json carries it as nextCursor. --all follows the cursors.`,
		Example: `  artifortress admin events list
  artifortress admin events list --state pending --handler webhooks
  artifortress admin events list --state done --limit 20 --all -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			if state != "" {
				if err := oneOf("--state", state, eventStates...); err != nil {
					return err
				}
				q.Set("state", state)
			}
			if handler != "" {
				q.Set("handler", handler)
			}
			if err := pages.query(cmd, q); err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			return pages.fetch(s, "events list", "deliveries", "/v1/admin/events", q, func(w io.Writer, raw []json.RawMessage) error {
				items, err := decodeItems[eventDelivery](raw, "event delivery")
				if err != nil {
					return err
				}
				t := newTable(w, "EVENT", "TYPE", "AGGREGATE", "HANDLER", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "UPDATED", "LAST ERROR")
				for _, d := range items {
					t.row(formatInt(d.EventID), d.EventType, d.Aggregate, d.Handler, d.State, strconv.Itoa(d.Attempts),
						d.NextAttemptAt, d.UpdatedAt, clip(d.LastError, maxErrorCell))
				}
				return t.flush()
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&state, "state", "", "deliveries in this `state`: dead (the server's default), pending or done")
	f.StringVar(&handler, "handler", "", "only the deliveries to this `handler` (search, webhooks)")
	pages.register(cmd, "deliveries", 100, 1000)
	_ = cmd.RegisterFlagCompletionFunc("state", fixedCompletion(eventStates...))
	_ = cmd.RegisterFlagCompletionFunc("handler", fixedCompletion(eventHandlers...))
	return cmd
}

func newEventsStatsCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "stats",
		Short: "Show the backlog of every event handler",
		Long: `Show, for every handler a worker has run, its pending deliveries (due, waiting
for a retry or running, plus new outbox events not yet taken up), how many of them
are failing (their last attempt failed), its dead letters and the time of its
oldest pending event. A growing backlog means the workers do not keep up, or a
handler's target is down.`,
		Example: `  artifortress admin events stats
  artifortress admin events stats -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res struct {
				Items []eventStat `json:"items"`
			}
			raw, err := s.client.Call(s.ctx, http.MethodGet, "/v1/admin/events/stats", nil, nil, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error {
				t := newTable(w, "HANDLER", "PENDING", "FAILING", "DEAD", "OLDEST PENDING")
				for _, st := range res.Items {
					t.row(st.Handler, formatInt(st.Pending), formatInt(st.Failing), formatInt(st.Dead), st.OldestPendingAt)
				}
				return t.flush()
			})
		},
	}
}

func newEventsGetCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "get EVENT_ID",
		Short: "Show an event, its payload and its delivery to each handler",
		Example: `  artifortress admin events get 42
  artifortress admin events get 42 -o json | jq .payload`,
		Args: exactArgs("EVENT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("EVENT_ID", args[0])
			if err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var e eventDetail
			raw, err := s.client.Call(s.ctx, http.MethodGet, eventPath(id), nil, nil, &e)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error { return writeEvent(w, &e) })
		},
	}
}

func writeEvent(w io.Writer, e *eventDetail) error {
	if err := writeFields(w, [][2]string{
		{"Event ID", formatInt(e.EventID)},
		{"Type", e.EventType},
		{"Aggregate", e.Aggregate},
		{"Created", e.CreatedAt},
		{"Request ID", e.RequestID},
		{"Payload", jsonCell(e.Payload, maxPayloadCell)},
	}); err != nil {
		return err
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	t := newTable(w, "HANDLER", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "UPDATED", "LAST ERROR")
	for _, d := range e.Deliveries {
		t.row(d.Handler, d.State, strconv.Itoa(d.Attempts), d.NextAttemptAt, d.UpdatedAt, d.LastError)
	}
	return t.flush()
}

func newEventsReplayCommand(o *options) *cobra.Command {
	var handler string
	cmd := &cobra.Command{
		Use:   "replay EVENT_ID [--handler H]",
		Short: "Move the dead deliveries of an event back to pending",
		Long: `Replay an event: its dead deliveries (only the one to --handler, when given) go
back to pending with their attempts reset, and a worker delivers them on its next
pass. The replay is audited (event.replay).

An event without a dead delivery (for that handler) is refused with 409
event_not_dead: deliveries that are pending retry by themselves, and done ones
are not repeated. To send a webhook an event again, see
"artifortress admin webhooks redeliver".`,
		Example: `  artifortress admin events replay 42
  artifortress admin events replay 42 --handler search`,
		Args: exactArgs("EVENT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("EVENT_ID", args[0])
			if err != nil {
				return err
			}
			q := url.Values{}
			if cmd.Flags().Changed("handler") {
				if handler == "" {
					return usageErrorf("--handler must not be empty")
				}
				q.Set("handler", handler)
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res struct {
				EventID  int64    `json:"eventId"`
				Replayed []string `json:"replayed"`
			}
			raw, err := s.client.Call(s.ctx, http.MethodPost, eventPath(id)+"/replay", q, nil, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "Replayed event %d to %s: a worker delivers it on its next pass.\n",
					res.EventID, sanitize(strings.Join(res.Replayed, ", ")))
				return err
			})
		},
	}
	cmd.Flags().StringVar(&handler, "handler", "", "replay only the delivery to this `handler` (search, webhooks)")
	_ = cmd.RegisterFlagCompletionFunc("handler", fixedCompletion(eventHandlers...))
	return cmd
}

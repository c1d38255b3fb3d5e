package events_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/artifortress/artifortress/internal/events"
	"github.com/artifortress/artifortress/internal/events/eventstest"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

// deadLetters makes n events whose deliveries to handlers one and two are dead.
func deadLetters(t *testing.T, db *meta.DB, clk *clock, n int) []meta.Event {
	t.Helper()
	evs := appendN(t, db, clk, n, "dead")
	w := events.New(db, nil, nil, events.Options{Now: clk.Now, MaxAttempts: 1})
	for _, name := range []string{"one", "two"} {
		r := newRecorder(name)
		r.setFail(func(meta.Event) error { return errBoom })
		w.Register(r)
	}
	eventstest.Drain(t, w)
	return evs
}

func TestAdminListPages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *meta.DB) {
		clk := newClock()
		evs := deadLetters(t, db, clk, 5)
		adm := events.NewAdmin(db, clk.Now)
		ctx := t.Context()

		var got []meta.Delivery
		cursor, pages := "", 0
		for {
			page, err := adm.List(ctx, admin, events.ListOptions{State: "dead", Limit: 3, Cursor: cursor})
			if err != nil {
				t.Fatalf("List page %d: %v", pages+1, err)
			}
			pages++
			got = append(got, page.Items...)
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if pages != 4 || len(got) != 10 {
			t.Fatalf("listed %d dead deliveries in %d pages, want 10 in 4", len(got), pages)
		}
		for i, d := range got {
			wantEvent, wantHandler := evs[i/2], []string{"one", "two"}[i%2]
			if d.Event.ID != wantEvent.ID || d.Handler != wantHandler || d.State != meta.DeliveryDead || d.LastError != "boom" ||
				d.Event.Type != wantEvent.Type || d.Event.RequestID != wantEvent.RequestID || d.Event.Payload["n"] == nil {
				t.Errorf("item %d = %+v, want event %d to %s", i, d, wantEvent.ID, wantHandler)
			}
		}

		page, err := adm.List(ctx, admin, events.ListOptions{Handler: "two"}) // state defaults to dead
		if err != nil || len(page.Items) != 5 || page.NextCursor != "" {
			t.Fatalf("List(handler two) = %d items, cursor %q, %v", len(page.Items), page.NextCursor, err)
		}
		page, err = adm.List(ctx, admin, events.ListOptions{State: "pending"})
		if err != nil || len(page.Items) != 0 || page.Items == nil {
			t.Fatalf("List(pending) = %#v, %v; want an empty list", page.Items, err)
		}

		e, ds, err := adm.Get(ctx, admin, evs[0].ID)
		if err != nil || e.ID != evs[0].ID || len(ds) != 2 {
			t.Fatalf("Get = %+v, %d deliveries, %v", e, len(ds), err)
		}
		_, _, err = adm.Get(ctx, admin, 1<<40)
		wantKind(t, err, fault.KindNotFound, "not_found")

		stats, err := adm.Stats(ctx, admin)
		if err != nil || len(stats) != 2 || stats[0].Handler != "one" || stats[0].Dead != 5 || stats[0].Pending != 0 || stats[1].Dead != 5 {
			t.Fatalf("Stats = %+v, %v", stats, err)
		}

		for _, bad := range []struct {
			o     events.ListOptions
			field string
		}{
			{events.ListOptions{State: "failed"}, "state"},
			{events.ListOptions{Limit: -1}, "limit"},
			{events.ListOptions{Limit: events.MaxListLimit + 1}, "limit"},
			{events.ListOptions{Cursor: "garbage"}, "cursor"},
			{events.ListOptions{Cursor: "ZXY6MTI"}, "cursor"}, // "ev:12" without a handler
		} {
			_, err := adm.List(ctx, admin, bad.o)
			wantKind(t, err, fault.KindBadRequest, "bad_request")
			if f := fault.As(err).Details["field"]; f != bad.field {
				t.Errorf("List(%+v) error names field %v, want %s", bad.o, f, bad.field)
			}
		}
	})
}

func TestAdminReplayErrorsAndAuthorization(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *meta.DB) {
		clk := newClock()
		evs := deadLetters(t, db, clk, 2)
		adm := events.NewAdmin(db, clk.Now)
		ctx := t.Context()

		_, err := adm.List(ctx, nil, events.ListOptions{})
		wantKind(t, err, fault.KindUnauthorized, "")
		_, err = adm.List(ctx, alice, events.ListOptions{})
		wantKind(t, err, fault.KindForbidden, "")
		_, err = adm.Replay(ctx, alice, evs[0].ID, "")
		wantKind(t, err, fault.KindForbidden, "")
		_, _, err = adm.Get(ctx, nil, evs[0].ID)
		wantKind(t, err, fault.KindUnauthorized, "")
		_, err = adm.Stats(ctx, alice)
		wantKind(t, err, fault.KindForbidden, "")

		_, err = adm.Replay(ctx, admin, 1<<40, "")
		wantKind(t, err, fault.KindNotFound, "not_found")
		_, err = adm.Replay(ctx, admin, evs[0].ID, "nobody")
		wantKind(t, err, fault.KindConflict, "event_not_dead")

		// One handler only, then the rest; a second replay is a conflict.
		got, err := adm.Replay(ctx, admin, evs[0].ID, "two")
		if err != nil || len(got) != 1 || got[0] != "two" {
			t.Fatalf("Replay(two) = %v, %v", got, err)
		}
		if d := delivery(t, db, evs[0].ID, "one"); d.State != meta.DeliveryDead {
			t.Errorf("replaying handler two moved handler one's delivery to %s", d.State)
		}
		got, err = adm.Replay(ctx, admin, evs[0].ID, "")
		if err != nil || len(got) != 1 || got[0] != "one" {
			t.Fatalf("Replay(all) = %v, %v", got, err)
		}
		_, err = adm.Replay(ctx, admin, evs[0].ID, "")
		wantKind(t, err, fault.KindConflict, "event_not_dead")
		got, err = adm.Replay(ctx, admin, evs[1].ID, "")
		if err != nil || len(got) != 2 {
			t.Fatalf("Replay(both handlers) = %v, %v", got, err)
		}
		if n := countState(t, db, meta.DeliveryDead); n != 0 {
			t.Errorf("%d deliveries still dead", n)
		}
	})
}

// The metrics appear on the registry; the gauges follow the store at most
// every StatsInterval.
func TestMetrics(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *meta.DB) {
		clk := newClock()
		reg := prometheus.NewRegistry()
		w := events.New(db, nil, reg, events.Options{Now: clk.Now, MaxAttempts: 3})
		ok, bad := newRecorder("ok"), newRecorder("bad")
		bad.setFail(func(meta.Event) error { return errBoom })
		w.Register(ok)
		w.Register(bad)

		names := []string{
			"artifortress_events_pending", "artifortress_events_oldest_pending_seconds",
			"artifortress_events_processed_total", "artifortress_events_failed_total",
			"artifortress_events_dead_total", "artifortress_events_handle_duration_seconds",
		}
		for _, name := range names {
			if _, found := metric(t, reg, name, "bad"); !found {
				t.Errorf("%s{handler=bad} not exported before any event", name)
			}
		}

		appendN(t, db, clk, 3, "m")
		clk.Advance(90 * time.Second)
		runOnce(t, w)
		want := func(name, handler string, v float64) {
			t.Helper()
			if got, _ := metric(t, reg, name, handler); got != v {
				t.Errorf("%s{handler=%s} = %v, want %v", name, handler, got, v)
			}
		}
		want("artifortress_events_processed_total", "ok", 3)
		want("artifortress_events_failed_total", "bad", 3)
		want("artifortress_events_processed_total", "bad", 0)
		want("artifortress_events_pending", "ok", 0)
		want("artifortress_events_pending", "bad", 3)
		want("artifortress_events_oldest_pending_seconds", "bad", 90)
		want("artifortress_events_oldest_pending_seconds", "ok", 0)
		want("artifortress_events_handle_duration_seconds", "ok", 3)

		// Within the stats interval the gauges are not recomputed.
		appendN(t, db, clk, 2, "n")
		runOnce(t, w)
		want("artifortress_events_pending", "bad", 3)
		want("artifortress_events_processed_total", "ok", 5)

		// After it, they are.
		clk.Advance(events.DefaultStatsInterval + events.DefaultBackoffCap) // every retry is due
		eventstest.Drain(t, w)
		want("artifortress_events_failed_total", "bad", 10)
		want("artifortress_events_dead_total", "bad", 0)
		want("artifortress_events_pending", "bad", 5)
		want("artifortress_events_oldest_pending_seconds", "bad", (90*time.Second + events.DefaultStatsInterval + events.DefaultBackoffCap).Seconds())
		stats, err := w.Stats(t.Context())
		if err != nil || len(stats) != 2 || stats[1].Handler != "bad" || stats[1].Dead != 0 || stats[1].Pending != 5 || stats[1].Failing != 5 || stats[0].Pending != 0 {
			t.Fatalf("Stats = %+v, %v", stats, err)
		}

		// The third attempt is the last.
		clk.Advance(events.DefaultBackoffCap)
		eventstest.Drain(t, w)
		want("artifortress_events_failed_total", "bad", 15)
		want("artifortress_events_dead_total", "bad", 5)
		want("artifortress_events_pending", "bad", 0)
		want("artifortress_events_oldest_pending_seconds", "bad", 0)
		want("artifortress_events_processed_total", "ok", 5)
	})
}

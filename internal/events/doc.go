// Package events delivers the transactional outbox to handlers: the search
// read model, webhooks, and whatever else reacts to a change after it has
// committed.
//
// # Model
//
// A state change writes its event into the outbox table in its own
// transaction (package meta, InsertEvent); the outbox is append-only. Each
// handler has a cursor over it. A Worker pass first moves the events past
// each registered handler's cursor into per-handler deliveries
// (event_deliveries: one row per event and handler, state pending, done or
// dead), then claims a batch of due deliveries, runs them and records the
// outcomes:
//
//	outbox ──discover──▶ pending ──claim (lease)──▶ running ──ok──▶ done
//	                        ▲                         │
//	                        └── failed: backoff ◀─────┤
//	                                                  └─ failed, no attempt left ──▶ dead
//	    dead ──Admin.Replay (attempts reset)──▶ pending
//
// A handler registered later starts from the first event in the outbox, so
// it sees every event ever written. A handler that implements TypeFilter
// only gets deliveries of the types it names.
//
// # Leases
//
// A claim leases the deliveries to the worker (Options.Lease, 30 s by
// default) and counts an attempt. On PostgreSQL claims use FOR UPDATE SKIP
// LOCKED, so workers on many nodes share the backlog without waiting on
// each other; on SQLite the store's single writer serializes them. If the
// worker dies, its leases expire and another worker claims the deliveries
// again: delivery is at least once. Outcomes are recorded only while the
// worker still holds the lease, so a worker that lost its lease never
// overwrites the new holder's state. Each Handle call is bounded by
// Options.HandlerTimeout, shorter than the lease; the lease is renewed before
// a call that could outlive it. Node clocks must agree to well within a
// tenth of the lease (NTP).
//
// Because delivery is at least once, and events arrive in no guaranteed
// order, handlers must be idempotent (see Handler); eventstest.CheckIdempotent
// delivers every event twice and compares the state.
//
// # Retries and dead letters
//
// A failed attempt (an error, a panic, the timeout) is retried after a
// delay drawn uniformly from [0, min(10 min, 1 s·2^(n-1))) after the n-th
// attempt ("full jitter", Options.BackoffBase and BackoffCap). After
// Options.MaxAttempts attempts (10) the delivery goes dead, keeping its last
// error. A worker killed mid-attempt counts as a failed attempt, so an event
// that crashes its worker ends dead too. An operator lists dead deliveries
// and replays them through Admin (GET /v1/admin/events?state=dead, POST
// /v1/admin/events/{id}/replay); a replayed delivery is pending again with no
// attempts counted. A stopping worker releases what it has not finished,
// without counting the attempt.
//
// # Discovery on PostgreSQL
//
// Outbox ids are drawn when a transaction inserts, not when it commits, so a
// lower id may become visible after a higher one. Discovery therefore creates
// deliveries for every visible event above the cursor that has none yet, and
// moves the cursor only past ids that can no longer appear: it notes the
// outbox sequence, then the transactions of this database holding a write
// lock on the outbox, and passes that sequence value once they have all
// ended (meta.OutboxHorizon). An open transaction delays only the cursor,
// never the delivery of events already committed, and never loses one.
//
// # Metrics
//
// Registered on the Registerer given to New, labelled by handler:
// artifortress_events_pending and artifortress_events_oldest_pending_seconds
// (gauges, recomputed from the store at most every Options.StatsInterval),
// artifortress_events_processed_total, artifortress_events_failed_total and
// artifortress_events_dead_total (counters of this process), and
// artifortress_events_handle_duration_seconds.
package events

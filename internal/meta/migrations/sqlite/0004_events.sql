-- Event delivery: the event worker's state over the outbox, per handler.
-- The outbox is append-only: delivery state lives here, never in its rows.
--
-- Each handler has a cursor over the outbox (event_cursors.last_id): every
-- event at or below it that the handler wants has a delivery row. The worker
-- creates delivery rows for the events above the cursor and advances the
-- cursor in the same transaction; a handler registered later starts from the
-- first event. The cursor only passes ids that can no longer appear: on
-- SQLite, where one writer commits at a time, every id up to the newest; on
-- PostgreSQL, ids whose writing transactions have all ended (the worker
-- watches the transactions that hold a write lock on the outbox).
CREATE TABLE event_cursors (
	handler    TEXT PRIMARY KEY,
	last_id    BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);

-- One row per (event, handler). A pending row is due at next_attempt_at and
-- leased to lease_owner until lease_until while a worker runs it; attempts
-- counts the attempts started. done and dead are final until an operator
-- replays a dead row (back to pending, attempts reset).
CREATE TABLE event_deliveries (
	event_id        BIGINT NOT NULL REFERENCES outbox (id),
	handler         TEXT NOT NULL,
	state           TEXT NOT NULL CHECK (state IN ('pending', 'done', 'dead')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at BIGINT NOT NULL,
	lease_owner     TEXT NOT NULL DEFAULT '',
	lease_until     BIGINT NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL,
	PRIMARY KEY (event_id, handler)
);
-- Claims: due pending rows, oldest due first.
CREATE INDEX event_deliveries_due ON event_deliveries (next_attempt_at, event_id) WHERE state = 'pending';
-- Listing by state (dead letters, backlog) in event order, and the per-state counts.
CREATE INDEX event_deliveries_state ON event_deliveries (state, event_id, handler);

-- Event delivery: the event worker's state over the outbox, per handler (see
-- the SQLite migration for the model). The outbox is append-only: delivery
-- state lives here, never in its rows.
--
-- On PostgreSQL an outbox id is drawn when a transaction inserts, not when it
-- commits, so id 7 can become visible after id 8. The worker therefore
-- creates deliveries for every visible event above a handler's cursor that
-- has none yet, but advances the cursor only past ids whose writers have all
-- ended: it notes the outbox sequence, then the transactions holding a write
-- lock on the outbox (pg_locks, this database only), and passes that
-- sequence value once they have all finished.
CREATE TABLE event_cursors (
	handler    TEXT PRIMARY KEY,
	last_id    BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);

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
CREATE INDEX event_deliveries_due ON event_deliveries (next_attempt_at, event_id) WHERE state = 'pending';
CREATE INDEX event_deliveries_state ON event_deliveries (state, event_id, handler);

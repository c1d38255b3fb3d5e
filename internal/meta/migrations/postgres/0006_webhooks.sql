-- Webhooks: subscriptions that POST outbox events to a URL, signed per the
-- Standard Webhooks convention, and the log of every delivery attempt.
-- Times are Unix microseconds.

CREATE TABLE webhooks (
	id         TEXT PRIMARY KEY,
	url        TEXT NOT NULL,
	events     TEXT NOT NULL,              -- JSON array of event types
	repos      TEXT NOT NULL DEFAULT '[]', -- JSON array of repository keys; [] = every repository (global admins only)
	-- The signing secret as given: an HMAC needs the key itself, so it cannot
	-- be hashed like a token. The API returns it once, on creation; reads
	-- show a masked form.
	secret     TEXT NOT NULL,
	enabled    BOOLEAN NOT NULL DEFAULT TRUE,
	created_by TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);

-- One row per delivery attempt. No foreign key to the outbox: the log
-- outlives pruned events.
CREATE TABLE webhook_deliveries (
	id            BIGSERIAL PRIMARY KEY,
	webhook_id    TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	event_id      BIGINT NOT NULL,
	event_type    TEXT NOT NULL,
	attempt       INTEGER NOT NULL,          -- 1, 2, ... per (webhook, event), redeliveries included
	redelivery    BOOLEAN NOT NULL DEFAULT FALSE,
	status        TEXT NOT NULL CHECK (status IN ('delivered', 'failed')),
	response_code INTEGER,                   -- NULL when no response arrived
	latency_ms    BIGINT NOT NULL,
	error         TEXT NOT NULL DEFAULT '',
	created_at    BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (webhook_id, event_id, status);

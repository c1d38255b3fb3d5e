-- Search read model: a derived, rebuildable index of published versions
-- (see the SQLite migration). Full text: a tsvector of words with the
-- 'simple' configuration (no stemming, no stop words) and a GIN index.

CREATE TABLE IF NOT EXISTS search_index (
	version_id   TEXT PRIMARY KEY,
	repo_key     TEXT NOT NULL,
	format       TEXT NOT NULL,
	namespace    TEXT NOT NULL,
	name         TEXT NOT NULL,
	package      TEXT NOT NULL,
	package_key  TEXT NOT NULL,
	name_key     TEXT NOT NULL,
	version      TEXT NOT NULL,
	published_at BIGINT NOT NULL,
	published_by TEXT NOT NULL,
	description  TEXT NOT NULL DEFAULT '',
	words        TEXT NOT NULL,
	generation   BIGINT NOT NULL DEFAULT 0,
	tsv          tsvector GENERATED ALWAYS AS (to_tsvector('simple', words)) STORED
);
-- fastupdate off: no pending list that every query scans until vacuum merges it.
CREATE INDEX IF NOT EXISTS search_index_tsv ON search_index USING GIN (tsv) WITH (fastupdate = off);
CREATE INDEX IF NOT EXISTS search_index_recent ON search_index (published_at DESC, version_id DESC);
CREATE INDEX IF NOT EXISTS search_index_repo ON search_index (repo_key, published_at DESC, version_id DESC);
CREATE INDEX IF NOT EXISTS search_index_package_key ON search_index (package_key text_pattern_ops);
CREATE INDEX IF NOT EXISTS search_index_name_key ON search_index (name_key text_pattern_ops);
CREATE INDEX IF NOT EXISTS search_index_generation ON search_index (generation);

CREATE TABLE IF NOT EXISTS search_state (
	id                  INTEGER PRIMARY KEY CHECK (id = 1),
	generation          BIGINT NOT NULL DEFAULT 1,
	last_event_id       BIGINT NOT NULL DEFAULT 0,
	last_event_at       BIGINT,
	rebuild_state       TEXT NOT NULL DEFAULT 'idle' CHECK (rebuild_state IN ('idle', 'running', 'paused')),
	rebuild_cursor      TEXT NOT NULL DEFAULT '',
	rebuild_indexed     BIGINT NOT NULL DEFAULT 0,
	rebuild_total       BIGINT NOT NULL DEFAULT 0,
	rebuild_event_id    BIGINT NOT NULL DEFAULT 0,
	rebuild_event_at    BIGINT,
	rebuild_started_at  BIGINT,
	rebuild_updated_at  BIGINT,
	rebuild_finished_at BIGINT
);
INSERT INTO search_state (id) VALUES (1) ON CONFLICT (id) DO NOTHING;

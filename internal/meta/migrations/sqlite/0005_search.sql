-- Search read model: a derived, rebuildable index of published versions.
-- Nothing outside package search reads or writes these tables; no foreign key
-- or trigger ties them to the truth tables, so a missing or broken index never
-- blocks a publish or a read. Every statement is idempotent (IF NOT EXISTS,
-- ON CONFLICT) so that the search service can re-run this file to repair
-- the index (meta.RepairSearchSchema).

-- One row per searchable (published) version. id is the FTS rowid.
CREATE TABLE IF NOT EXISTS search_index (
	id           INTEGER PRIMARY KEY, -- published_at * 1024 + slot: publication order; the FTS rowid
	version_id   TEXT NOT NULL UNIQUE,
	repo_key     TEXT NOT NULL,
	format       TEXT NOT NULL,
	namespace    TEXT NOT NULL,
	name         TEXT NOT NULL,
	package      TEXT NOT NULL,         -- full name as the format writes it
	package_key  TEXT NOT NULL,         -- lower(package): exact and prefix ranking
	name_key     TEXT NOT NULL,         -- lower(name)
	version      TEXT NOT NULL,
	published_at BIGINT NOT NULL,
	published_by TEXT NOT NULL,
	description  TEXT NOT NULL DEFAULT '',
	words        TEXT NOT NULL,         -- lowercase searchable words, space separated
	generation   BIGINT NOT NULL DEFAULT 0 -- search_state.generation when last written
);
CREATE INDEX IF NOT EXISTS search_index_repo ON search_index (repo_key, id);
CREATE INDEX IF NOT EXISTS search_index_package_key ON search_index (package_key);
CREATE INDEX IF NOT EXISTS search_index_name_key ON search_index (name_key);
CREATE INDEX IF NOT EXISTS search_index_generation ON search_index (generation);

-- Full text over words, kept in step by triggers (external content). Prefix
-- indexes up to 8 characters keep prefix queries of common words lazy: a
-- query walks the doclist newest first and stops at the page end.
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
	words, content = 'search_index', content_rowid = 'id', tokenize = 'unicode61', prefix = '2 3 4 5 6 7 8'
);
CREATE TRIGGER IF NOT EXISTS search_index_ai AFTER INSERT ON search_index BEGIN
	INSERT INTO search_fts (rowid, words) VALUES (new.id, new.words);
END;
CREATE TRIGGER IF NOT EXISTS search_index_ad AFTER DELETE ON search_index BEGIN
	INSERT INTO search_fts (search_fts, rowid, words) VALUES ('delete', old.id, old.words);
END;
CREATE TRIGGER IF NOT EXISTS search_index_au AFTER UPDATE ON search_index WHEN old.words IS NOT new.words BEGIN
	INSERT INTO search_fts (search_fts, rowid, words) VALUES ('delete', old.id, old.words);
	INSERT INTO search_fts (rowid, words) VALUES (new.id, new.words);
END;

-- The indexer's progress and the rebuild's state: one row.
CREATE TABLE IF NOT EXISTS search_state (
	id                  INTEGER PRIMARY KEY CHECK (id = 1),
	generation          BIGINT NOT NULL DEFAULT 1,
	last_event_id       BIGINT NOT NULL DEFAULT 0, -- newest outbox event applied
	last_event_at       BIGINT,
	rebuild_state       TEXT NOT NULL DEFAULT 'idle' CHECK (rebuild_state IN ('idle', 'running', 'paused')),
	rebuild_cursor      TEXT NOT NULL DEFAULT '',  -- last version id the rebuild indexed
	rebuild_indexed     BIGINT NOT NULL DEFAULT 0,
	rebuild_total       BIGINT NOT NULL DEFAULT 0,
	rebuild_event_id    BIGINT NOT NULL DEFAULT 0, -- newest indexable outbox event when it started
	rebuild_event_at    BIGINT,
	rebuild_started_at  BIGINT,
	rebuild_updated_at  BIGINT,
	rebuild_finished_at BIGINT
);
INSERT INTO search_state (id) VALUES (1) ON CONFLICT (id) DO NOTHING;

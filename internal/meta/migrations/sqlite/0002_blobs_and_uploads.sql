-- Data plane: blobs, their visibility per repository, upload sessions.

-- One row per stored blob (content addressed by SHA-256). The other
-- checksums are filled lazily, off the ingest path.
CREATE TABLE blobs (
	digest     TEXT PRIMARY KEY,
	size       BIGINT NOT NULL CHECK (size >= 0),
	md5        TEXT,
	sha1       TEXT,
	sha512     TEXT,
	created_at BIGINT NOT NULL
);

-- A blob is readable in a repository only through a link, made by an upload
-- by a writer of that repository (dedupe never grants access).
CREATE TABLE repo_blobs (
	repo_key   TEXT NOT NULL REFERENCES repos (key) ON DELETE CASCADE,
	digest     TEXT NOT NULL REFERENCES blobs (digest),
	created_by TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (repo_key, digest)
);
CREATE INDEX repo_blobs_digest ON repo_blobs (digest);

-- Upload sessions and their state machine (see docs/storage.md).
CREATE TABLE uploads (
	id              TEXT PRIMARY KEY,
	repo_key        TEXT NOT NULL REFERENCES repos (key) ON DELETE CASCADE,
	state           TEXT NOT NULL CHECK (state IN ('open', 'assembling', 'completed', 'committed', 'aborted', 'expired')),
	expected_digest TEXT NOT NULL DEFAULT '',
	expected_length BIGINT,
	digest          TEXT NOT NULL DEFAULT '',
	size            BIGINT,
	linked          INTEGER NOT NULL DEFAULT 0, -- 1: completed without bytes, by linking a readable blob
	error           TEXT NOT NULL DEFAULT '',
	created_by      TEXT NOT NULL,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL,
	expires_at      BIGINT NOT NULL
);
CREATE INDEX uploads_repo_state ON uploads (repo_key, state);
CREATE INDEX uploads_state_expires ON uploads (state, expires_at);

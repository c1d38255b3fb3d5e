-- Catalog: versions (draft -> published -> tombstoned), their entries and
-- manifests, tags, and the transactional outbox.

ALTER TABLE packages ADD COLUMN display_name TEXT NOT NULL DEFAULT '';

CREATE TABLE versions (
	id            TEXT PRIMARY KEY,
	package_id    TEXT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
	version       TEXT NOT NULL,
	state         TEXT NOT NULL CHECK (state IN ('draft', 'published', 'tombstoned')),
	manifest      TEXT,                  -- JSON document, NULL until put
	created_by    TEXT NOT NULL,
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL,
	published_by  TEXT,
	published_at  BIGINT,
	tombstoned_at BIGINT,
	UNIQUE (package_id, version)
);
CREATE INDEX versions_state ON versions (state, published_at);

-- A version's files. Each digest must be committed (linked) in the
-- version's repository: the foreign key makes the database check it.
CREATE TABLE entries (
	version_id TEXT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
	repo_key   TEXT NOT NULL,
	path       TEXT NOT NULL,
	digest     TEXT NOT NULL,
	size       BIGINT NOT NULL,
	media_type TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (version_id, path),
	FOREIGN KEY (repo_key, digest) REFERENCES repo_blobs (repo_key, digest)
);
CREATE INDEX entries_digest ON entries (repo_key, digest);

-- Mutable named pointers to versions (npm dist-tags, OCI tags, latest).
CREATE TABLE tags (
	package_id TEXT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	version_id TEXT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
	updated_by TEXT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (package_id, name)
);

-- Transactional outbox: events written in the transaction of the change
-- they announce; the event worker delivers them.
CREATE TABLE outbox (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	event_type TEXT NOT NULL,
	aggregate  TEXT NOT NULL,
	payload    TEXT NOT NULL,
	request_id TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL
);
-- A version is published once, so it is announced once.
CREATE UNIQUE INDEX outbox_published_once ON outbox (aggregate) WHERE event_type = 'version.published';

-- Immutability, enforced by the database: a published version changes only
-- by moving to tombstoned (and back, to restore it within the retention
-- window); its entries and manifest never change; it cannot be deleted.
CREATE TRIGGER versions_immutable BEFORE UPDATE ON versions
WHEN OLD.state <> 'draft' AND NOT (
	NEW.state IN ('published', 'tombstoned') AND NEW.state <> OLD.state
	AND NEW.id = OLD.id AND NEW.package_id = OLD.package_id AND NEW.version = OLD.version
	AND NEW.manifest IS OLD.manifest AND NEW.created_by = OLD.created_by AND NEW.created_at = OLD.created_at
	AND NEW.published_by IS OLD.published_by AND NEW.published_at IS OLD.published_at
)
BEGIN
	SELECT RAISE(ABORT, 'published versions are immutable');
END;

CREATE TRIGGER versions_no_delete BEFORE DELETE ON versions
WHEN OLD.state = 'published'
BEGIN
	SELECT RAISE(ABORT, 'published versions cannot be deleted; tombstone them');
END;

CREATE TRIGGER entries_insert_draft_only BEFORE INSERT ON entries
WHEN (SELECT state FROM versions WHERE id = NEW.version_id) IS NOT 'draft'
BEGIN
	SELECT RAISE(ABORT, 'entries can only be added to draft versions');
END;

CREATE TRIGGER entries_immutable BEFORE UPDATE ON entries
WHEN (SELECT state FROM versions WHERE id = OLD.version_id) IS NOT 'draft'
	OR (SELECT state FROM versions WHERE id = NEW.version_id) IS NOT 'draft'
BEGIN
	SELECT RAISE(ABORT, 'entries of published versions are immutable');
END;

CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
WHEN (SELECT state FROM versions WHERE id = OLD.version_id) = 'published'
BEGIN
	SELECT RAISE(ABORT, 'entries of published versions cannot be deleted');
END;

-- Catalog: versions (draft -> published -> tombstoned), their entries and
-- manifests, tags, and the transactional outbox.

ALTER TABLE packages ADD COLUMN display_name TEXT NOT NULL DEFAULT '';

CREATE TABLE versions (
	id            TEXT PRIMARY KEY,
	package_id    TEXT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
	version       TEXT NOT NULL,
	state         TEXT NOT NULL CHECK (state IN ('draft', 'published', 'tombstoned')),
	manifest      TEXT,
	created_by    TEXT NOT NULL,
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL,
	published_by  TEXT,
	published_at  BIGINT,
	tombstoned_at BIGINT,
	UNIQUE (package_id, version)
);
CREATE INDEX versions_state ON versions (state, published_at);

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

CREATE TABLE tags (
	package_id TEXT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	version_id TEXT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
	updated_by TEXT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (package_id, name)
);

CREATE TABLE outbox (
	id         BIGSERIAL PRIMARY KEY,
	event_type TEXT NOT NULL,
	aggregate  TEXT NOT NULL,
	payload    TEXT NOT NULL,
	request_id TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX outbox_published_once ON outbox (aggregate) WHERE event_type = 'version.published';

-- Immutability, enforced by the database (see the SQLite migration).
CREATE FUNCTION versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		IF OLD.state = 'published' THEN
			RAISE EXCEPTION 'published versions cannot be deleted; tombstone them' USING ERRCODE = 'restrict_violation';
		END IF;
		RETURN OLD;
	END IF;
	IF OLD.state <> 'draft' AND NOT (
		NEW.state IN ('published', 'tombstoned') AND NEW.state <> OLD.state
		AND NEW.id = OLD.id AND NEW.package_id = OLD.package_id AND NEW.version = OLD.version
		AND NEW.manifest IS NOT DISTINCT FROM OLD.manifest AND NEW.created_by = OLD.created_by
		AND NEW.created_at = OLD.created_at AND NEW.published_by IS NOT DISTINCT FROM OLD.published_by
		AND NEW.published_at IS NOT DISTINCT FROM OLD.published_at
	) THEN
		RAISE EXCEPTION 'published versions are immutable' USING ERRCODE = 'restrict_violation';
	END IF;
	RETURN NEW;
END;
$$;
CREATE TRIGGER versions_immutable BEFORE UPDATE OR DELETE ON versions
	FOR EACH ROW EXECUTE FUNCTION versions_immutable();

-- Entry changes lock their version row (FOR SHARE) so that they serialize
-- with a publish, which updates that row: an entry can never slip in after
-- the version was published.
CREATE FUNCTION entries_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	st TEXT;
BEGIN
	IF TG_OP = 'DELETE' THEN
		SELECT state INTO st FROM versions WHERE id = OLD.version_id FOR SHARE;
		IF st = 'published' THEN
			RAISE EXCEPTION 'entries of published versions cannot be deleted' USING ERRCODE = 'restrict_violation';
		END IF;
		RETURN OLD;
	END IF;
	SELECT state INTO st FROM versions WHERE id = NEW.version_id FOR SHARE;
	IF st IS DISTINCT FROM 'draft' THEN
		RAISE EXCEPTION 'entries can only be added to or changed in draft versions' USING ERRCODE = 'restrict_violation';
	END IF;
	IF TG_OP = 'UPDATE' AND NEW.version_id <> OLD.version_id THEN
		RAISE EXCEPTION 'entries cannot move between versions' USING ERRCODE = 'restrict_violation';
	END IF;
	RETURN NEW;
END;
$$;
CREATE TRIGGER entries_immutable BEFORE INSERT OR UPDATE OR DELETE ON entries
	FOR EACH ROW EXECUTE FUNCTION entries_immutable();

-- Who tombstoned a version and why. The move between published and
-- tombstoned is the one change the immutability trigger allows a published
-- version; these columns change with it (they are not part of the frozen
-- content). Both are NULL while the version is a draft or published.
ALTER TABLE versions ADD COLUMN tombstoned_by TEXT;
ALTER TABLE versions ADD COLUMN tombstone_reason TEXT;

-- When a remote repository's upstream published a cached version (Unix
-- microseconds; NULL for versions published here). Set when the version is
-- cached, read by policies as version.upstreamPublishedAt.
ALTER TABLE versions ADD COLUMN upstream_published_at BIGINT;

-- Package metadata a remote repository fetched from its upstream (an npm
-- packument, a PyPI project page), with the validators to revalidate it.
-- The body is the upstream's document as fetched; links are rewritten when
-- it is served. fetched_at (Unix microseconds) starts the TTL.
CREATE TABLE remote_metadata (
	repo_key      TEXT NOT NULL REFERENCES repos (key) ON DELETE CASCADE,
	path          TEXT NOT NULL,
	body          BYTEA NOT NULL,
	etag          TEXT NOT NULL DEFAULT '',
	last_modified TEXT NOT NULL DEFAULT '',
	fetched_at    BIGINT NOT NULL,
	PRIMARY KEY (repo_key, path)
);

-- Credentials a remote repository presents to its upstream: HTTP Basic
-- (username and secret) or a Bearer token (secret). The secret must be
-- usable, so it cannot be hashed; the API never returns it and the audit
-- trail records only that it changed.
CREATE TABLE upstream_credentials (
	repo_key   TEXT PRIMARY KEY REFERENCES repos (key) ON DELETE CASCADE,
	scheme     TEXT NOT NULL CHECK (scheme IN ('basic', 'bearer')),
	username   TEXT NOT NULL DEFAULT '',
	secret     TEXT NOT NULL,
	updated_by TEXT NOT NULL,
	updated_at BIGINT NOT NULL
);

-- Deprecation notices of published versions (npm deprecate). A notice is
-- not part of its version, which stays immutable: it can be set, changed
-- and cleared (the row deleted). Times are Unix microseconds.
CREATE TABLE deprecations (
	version_id TEXT PRIMARY KEY REFERENCES versions (id) ON DELETE CASCADE,
	message    TEXT NOT NULL,
	set_by     TEXT NOT NULL,
	set_at     BIGINT NOT NULL
);

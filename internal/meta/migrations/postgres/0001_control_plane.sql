-- Control plane: system state, tokens, repositories, role bindings, audit trail.
-- Times are Unix microseconds.

CREATE TABLE system_state (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE tokens (
	id           TEXT PRIMARY KEY,
	secret_hash  TEXT NOT NULL,          -- hex SHA-256 of the secret; the secret itself is never stored
	subject      TEXT NOT NULL,
	scopes       TEXT NOT NULL,          -- JSON array of scope strings
	created_by   TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT,                 -- NULL: never expires (the initial admin token)
	last_used_at BIGINT,
	revoked_at   BIGINT
);
CREATE INDEX tokens_subject ON tokens (subject);

CREATE TABLE repos (
	key          TEXT PRIMARY KEY,
	type         TEXT NOT NULL CHECK (type IN ('local', 'remote', 'virtual')),
	format       TEXT NOT NULL,
	description  TEXT NOT NULL DEFAULT '',
	upstream_url TEXT NOT NULL DEFAULT '',
	settings     TEXT NOT NULL DEFAULT '{}', -- JSON object
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL
);

-- Ordered members of a virtual repository. A member cannot be deleted while it
-- is referenced (no ON DELETE on member_key).
CREATE TABLE repo_members (
	repo_key   TEXT NOT NULL REFERENCES repos (key) ON DELETE CASCADE,
	position   INTEGER NOT NULL,
	member_key TEXT NOT NULL REFERENCES repos (key),
	PRIMARY KEY (repo_key, position),
	UNIQUE (repo_key, member_key)
);
CREATE INDEX repo_members_member ON repo_members (member_key);

CREATE TABLE role_bindings (
	repo_key   TEXT NOT NULL REFERENCES repos (key) ON DELETE CASCADE,
	subject    TEXT NOT NULL,
	role       TEXT NOT NULL CHECK (role IN ('read', 'write', 'promote', 'admin')),
	created_at BIGINT NOT NULL,
	PRIMARY KEY (repo_key, subject, role)
);
CREATE INDEX role_bindings_subject ON role_bindings (subject);

-- Packages of a repository. The catalog (versions, entries, manifests, tags)
-- grows on this table; a repository cannot be deleted while it holds packages
-- unless a global administrator forces it.
CREATE TABLE packages (
	id         TEXT PRIMARY KEY,
	repo_key   TEXT NOT NULL REFERENCES repos (key) ON DELETE CASCADE,
	format     TEXT NOT NULL,
	namespace  TEXT NOT NULL DEFAULT '',
	name       TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	UNIQUE (repo_key, namespace, name)
);

-- The audit trail has no foreign keys: it outlives what it describes.
CREATE TABLE audit (
	id         BIGSERIAL PRIMARY KEY,
	at         BIGINT NOT NULL,
	actor      TEXT NOT NULL,
	actor_via  TEXT NOT NULL DEFAULT '', -- the credential: "pat:<token id>", "bootstrap", "system"
	action     TEXT NOT NULL,
	resource   TEXT NOT NULL,
	repo       TEXT NOT NULL DEFAULT '',
	request_id TEXT NOT NULL DEFAULT '',
	details    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_actor ON audit (actor, id);
CREATE INDEX audit_action ON audit (action, id);
CREATE INDEX audit_repo ON audit (repo, id);

-- The audit trail is append-only, enforced by the database.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit records are append-only' USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit
	FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

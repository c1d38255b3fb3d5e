-- Policies evaluated at publish and promotion, their evaluation log, the
-- quarantine lane, and version labels (which policies may require).
-- Times are Unix microseconds.

-- Labels are set on a draft and frozen with it at publish.
ALTER TABLE versions ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';

CREATE OR REPLACE FUNCTION versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
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
		AND NEW.labels = OLD.labels
	) THEN
		RAISE EXCEPTION 'published versions are immutable' USING ERRCODE = 'restrict_violation';
	END IF;
	RETURN NEW;
END;
$$;

-- A policy applies to one repository (repo_key) or to every repository
-- (repo_key NULL). Names are unique per scope.
CREATE TABLE policies (
	id         TEXT PRIMARY KEY,
	repo_key   TEXT REFERENCES repos (key) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	expression TEXT NOT NULL,
	action     TEXT NOT NULL CHECK (action IN ('deny', 'quarantine')),
	message    TEXT NOT NULL DEFAULT '',
	on_error   TEXT NOT NULL CHECK (on_error IN ('deny', 'quarantine')),
	created_by TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_by TEXT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX policies_scope_name ON policies (COALESCE(repo_key, ''), name);

-- Every evaluation made at publish or promotion, per version.
CREATE TABLE policy_evaluations (
	id          BIGSERIAL PRIMARY KEY,
	version_id  TEXT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
	repo_key    TEXT NOT NULL,
	stage       TEXT NOT NULL,
	policy      TEXT NOT NULL,
	decision    TEXT NOT NULL CHECK (decision IN ('allow', 'deny', 'quarantine')),
	passed      BOOLEAN NOT NULL,
	message     TEXT NOT NULL DEFAULT '',
	error       TEXT NOT NULL DEFAULT '',
	duration_us BIGINT NOT NULL,
	actor       TEXT NOT NULL,
	created_at  BIGINT NOT NULL
);
CREATE INDEX policy_evaluations_version ON policy_evaluations (version_id, id);

-- The quarantine lane: a published version held back by a policy.
-- quarantined and rejected versions are invisible to every read path;
-- released ones are visible like any other.
CREATE TABLE quarantine (
	id         TEXT PRIMARY KEY,
	version_id TEXT NOT NULL UNIQUE REFERENCES versions (id) ON DELETE CASCADE,
	repo_key   TEXT NOT NULL REFERENCES repos (key) ON DELETE CASCADE,
	status     TEXT NOT NULL CHECK (status IN ('quarantined', 'released', 'rejected')),
	reason     TEXT NOT NULL,
	policies   TEXT NOT NULL DEFAULT '[]', -- JSON array of the policy names that quarantined it
	created_at BIGINT NOT NULL,
	decided_by TEXT,
	decided_at BIGINT,
	note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX quarantine_repo_status ON quarantine (repo_key, status, created_at);

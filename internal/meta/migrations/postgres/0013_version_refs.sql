-- References a version makes by digest to content it does not hold as a
-- file (ADR 0010): an OCI manifest's subject, which the referrers API
-- looks up, and which need not exist when the manifest is pushed. Like
-- entries, refs are written while the version is a draft and frozen with
-- it: a published version's refs never change or go away.
CREATE TABLE version_refs (
	version_id    TEXT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
	repo_key      TEXT NOT NULL,
	kind          TEXT NOT NULL CHECK (kind IN ('subject', 'blob', 'manifest')),
	digest        TEXT NOT NULL,
	artifact_type TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (version_id, kind, digest)
);

CREATE INDEX version_refs_digest ON version_refs (repo_key, kind, digest);

-- The version row is locked FOR SHARE, as for entries, so a publish and a
-- ref insert cannot interleave.
CREATE FUNCTION version_refs_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	st TEXT;
BEGIN
	IF TG_OP = 'UPDATE' THEN
		RAISE EXCEPTION 'refs never change' USING ERRCODE = 'restrict_violation';
	END IF;
	IF TG_OP = 'DELETE' THEN
		SELECT state INTO st FROM versions WHERE id = OLD.version_id FOR SHARE;
		IF st = 'published' THEN
			RAISE EXCEPTION 'refs of published versions cannot be deleted' USING ERRCODE = 'restrict_violation';
		END IF;
		RETURN OLD;
	END IF;
	SELECT state INTO st FROM versions WHERE id = NEW.version_id FOR SHARE;
	IF st IS DISTINCT FROM 'draft' THEN
		RAISE EXCEPTION 'refs can only be added to draft versions' USING ERRCODE = 'restrict_violation';
	END IF;
	RETURN NEW;
END;
$$;

CREATE TRIGGER version_refs_frozen BEFORE INSERT OR UPDATE OR DELETE ON version_refs
	FOR EACH ROW EXECUTE FUNCTION version_refs_frozen();

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

CREATE TRIGGER version_refs_insert_draft_only BEFORE INSERT ON version_refs
WHEN (SELECT state FROM versions WHERE id = NEW.version_id) IS NOT 'draft'
BEGIN
	SELECT RAISE(ABORT, 'refs can only be added to draft versions');
END;

CREATE TRIGGER version_refs_immutable BEFORE UPDATE ON version_refs
BEGIN
	SELECT RAISE(ABORT, 'refs never change');
END;

CREATE TRIGGER version_refs_no_delete BEFORE DELETE ON version_refs
WHEN (SELECT state FROM versions WHERE id = OLD.version_id) = 'published'
BEGIN
	SELECT RAISE(ABORT, 'refs of published versions cannot be deleted');
END;

-- Catalog rules the database enforces beyond 0003 (docs/catalog.md):
-- a version is unique per package under its normalised spelling, a
-- package's coordinates never change once it has a published (or
-- tombstoned) version, and an entry lives in its version's repository.

-- The catalog computes normalized_version with the format's rule (PEP 440
-- "1.0" and "1.0.0" are "1"; formats without a rule keep the string) and the
-- unique index keeps one spelling per version, also against a concurrent
-- writer or SQL run by hand. Rows written before this migration take their
-- version string: no release of Artifortress published versions before it.
ALTER TABLE versions ADD COLUMN normalized_version TEXT NOT NULL DEFAULT '';
DROP TRIGGER versions_immutable; -- it would refuse the backfill of published rows
UPDATE versions SET normalized_version = version;
CREATE UNIQUE INDEX versions_normalized ON versions (package_id, normalized_version);

CREATE TRIGGER versions_normalized_required BEFORE INSERT ON versions
WHEN NEW.normalized_version = ''
BEGIN
	SELECT RAISE(ABORT, 'versions.normalized_version is required: the version as the format normalises it');
END;

-- 0007's rule, with the normalised version frozen too.
CREATE TRIGGER versions_immutable BEFORE UPDATE ON versions
WHEN OLD.state <> 'draft' AND NOT (
	NEW.state IN ('published', 'tombstoned') AND NEW.state <> OLD.state
	AND NEW.id = OLD.id AND NEW.package_id = OLD.package_id AND NEW.version = OLD.version
	AND NEW.normalized_version = OLD.normalized_version
	AND NEW.manifest IS OLD.manifest AND NEW.created_by = OLD.created_by AND NEW.created_at = OLD.created_at
	AND NEW.published_by IS OLD.published_by AND NEW.published_at IS OLD.published_at
	AND NEW.labels = OLD.labels
)
BEGIN
	SELECT RAISE(ABORT, 'published versions are immutable');
END;

-- A published version's coordinates are its package's: renaming or moving
-- the package would change them.
CREATE TRIGGER packages_immutable BEFORE UPDATE OF repo_key, format, namespace, name ON packages
WHEN (NEW.repo_key IS NOT OLD.repo_key OR NEW.format IS NOT OLD.format
	OR NEW.namespace IS NOT OLD.namespace OR NEW.name IS NOT OLD.name)
	AND EXISTS (SELECT 1 FROM versions WHERE package_id = OLD.id AND state <> 'draft')
BEGIN
	SELECT RAISE(ABORT, 'packages with published or tombstoned versions are immutable');
END;

-- An entry's repo_key is the repository of its version's package (its
-- foreign key to repo_blobs then checks the digest is committed there).
-- Neither side can move away from the other afterwards.
CREATE TRIGGER entries_same_repo_insert BEFORE INSERT ON entries
WHEN NEW.repo_key IS NOT (SELECT p.repo_key FROM versions v JOIN packages p ON p.id = v.package_id WHERE v.id = NEW.version_id)
BEGIN
	SELECT RAISE(ABORT, 'an entry''s repo_key must be the repository of its version''s package');
END;

CREATE TRIGGER entries_same_repo_update BEFORE UPDATE OF version_id, repo_key ON entries
WHEN NEW.repo_key IS NOT (SELECT p.repo_key FROM versions v JOIN packages p ON p.id = v.package_id WHERE v.id = NEW.version_id)
BEGIN
	SELECT RAISE(ABORT, 'an entry''s repo_key must be the repository of its version''s package');
END;

CREATE TRIGGER packages_keep_entries_repo BEFORE UPDATE OF repo_key ON packages
WHEN NEW.repo_key IS NOT OLD.repo_key
	AND EXISTS (SELECT 1 FROM versions v JOIN entries e ON e.version_id = v.id WHERE v.package_id = OLD.id)
BEGIN
	SELECT RAISE(ABORT, 'a package whose versions have entries cannot move to another repository');
END;

CREATE TRIGGER versions_keep_entries_repo BEFORE UPDATE OF package_id ON versions
WHEN NEW.package_id IS NOT OLD.package_id
	AND EXISTS (SELECT 1 FROM entries WHERE version_id = OLD.id)
	AND (SELECT repo_key FROM packages WHERE id = NEW.package_id) IS NOT (SELECT repo_key FROM packages WHERE id = OLD.package_id)
BEGIN
	SELECT RAISE(ABORT, 'a version with entries cannot move to a package of another repository');
END;

-- Catalog rules the database enforces beyond 0003 (see the SQLite
-- migration and docs/catalog.md): normalised versions unique per package,
-- package coordinates frozen once published, entries in their version's
-- repository.

ALTER TABLE versions ADD COLUMN normalized_version TEXT;
ALTER TABLE versions DISABLE TRIGGER versions_immutable; -- it would refuse the backfill of published rows
UPDATE versions SET normalized_version = version;
ALTER TABLE versions ENABLE TRIGGER versions_immutable;
ALTER TABLE versions ALTER COLUMN normalized_version SET NOT NULL;
ALTER TABLE versions ADD CONSTRAINT versions_normalized_required CHECK (normalized_version <> '');
CREATE UNIQUE INDEX versions_normalized ON versions (package_id, normalized_version);

-- 0007's rule, with the normalised version frozen too.
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
		AND NEW.normalized_version = OLD.normalized_version
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

-- A published version's coordinates are its package's; a package whose
-- versions have entries keeps its repository. The versions are locked
-- first, so a publish in flight commits before the check looks (each
-- statement of the function reads what is committed when it starts), or
-- waits for the change.
CREATE FUNCTION packages_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF (NEW.repo_key, NEW.format, NEW.namespace, NEW.name) IS NOT DISTINCT FROM (OLD.repo_key, OLD.format, OLD.namespace, OLD.name) THEN
		RETURN NEW;
	END IF;
	PERFORM 1 FROM versions WHERE package_id = OLD.id FOR SHARE;
	IF EXISTS (SELECT 1 FROM versions WHERE package_id = OLD.id AND state <> 'draft') THEN
		RAISE EXCEPTION 'packages with published or tombstoned versions are immutable' USING ERRCODE = 'restrict_violation';
	END IF;
	IF NEW.repo_key <> OLD.repo_key AND EXISTS (SELECT 1 FROM versions v JOIN entries e ON e.version_id = v.id WHERE v.package_id = OLD.id) THEN
		RAISE EXCEPTION 'a package whose versions have entries cannot move to another repository' USING ERRCODE = 'restrict_violation';
	END IF;
	RETURN NEW;
END;
$$;
CREATE TRIGGER packages_immutable BEFORE UPDATE ON packages
	FOR EACH ROW EXECUTE FUNCTION packages_immutable();

-- An entry's repo_key is the repository of its version's package. The
-- package row is locked (FOR KEY SHARE, which a change of repo_key
-- conflicts with) so that the two cannot drift apart concurrently.
CREATE FUNCTION entries_same_repo() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	rk TEXT;
BEGIN
	SELECT p.repo_key INTO rk FROM versions v JOIN packages p ON p.id = v.package_id WHERE v.id = NEW.version_id FOR KEY SHARE OF p;
	IF rk IS DISTINCT FROM NEW.repo_key THEN
		RAISE EXCEPTION 'an entry''s repo_key must be the repository of its version''s package' USING ERRCODE = 'restrict_violation';
	END IF;
	RETURN NEW;
END;
$$;
CREATE TRIGGER entries_same_repo BEFORE INSERT OR UPDATE OF version_id, repo_key ON entries
	FOR EACH ROW EXECUTE FUNCTION entries_same_repo();

CREATE FUNCTION versions_keep_entries_repo() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.package_id <> OLD.package_id
		AND EXISTS (SELECT 1 FROM entries WHERE version_id = OLD.id)
		AND (SELECT repo_key FROM packages WHERE id = NEW.package_id) IS DISTINCT FROM (SELECT repo_key FROM packages WHERE id = OLD.package_id) THEN
		RAISE EXCEPTION 'a version with entries cannot move to a package of another repository' USING ERRCODE = 'restrict_violation';
	END IF;
	RETURN NEW;
END;
$$;
CREATE TRIGGER versions_keep_entries_repo BEFORE UPDATE OF package_id ON versions
	FOR EACH ROW EXECUTE FUNCTION versions_keep_entries_repo();

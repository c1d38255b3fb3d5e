-- A package's revision counts the changes to what its metadata shows (an npm
-- packument, a PyPI page): a version's state (publish, tombstone, restore),
-- its tags, deprecation notices and the quarantine lane. The triggers bump
-- it inside the changing transaction, so a node that rendered the metadata
-- at revision N may serve that rendering for as long as the row says N
-- (docs/native.md, "Packument cache"), on every node at once. The UPDATE
-- takes the row's FOR NO KEY UPDATE lock, which does not conflict with the
-- FOR KEY SHARE locks entry inserts take (0010).
ALTER TABLE packages ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION packages_revision_of_package() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		UPDATE packages SET revision = revision + 1 WHERE id = OLD.package_id;
	ELSE
		UPDATE packages SET revision = revision + 1 WHERE id = NEW.package_id;
	END IF;
	RETURN NULL;
END;
$$;

CREATE FUNCTION packages_revision_of_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	vid TEXT;
BEGIN
	IF TG_OP = 'DELETE' THEN
		vid := OLD.version_id;
	ELSE
		vid := NEW.version_id;
	END IF;
	UPDATE packages SET revision = revision + 1 WHERE id = (SELECT package_id FROM versions WHERE id = vid);
	RETURN NULL;
END;
$$;

CREATE TRIGGER packages_revision_version_state AFTER UPDATE OF state ON versions
	FOR EACH ROW EXECUTE FUNCTION packages_revision_of_package();
CREATE TRIGGER packages_revision_version_delete AFTER DELETE ON versions
	FOR EACH ROW EXECUTE FUNCTION packages_revision_of_package();
CREATE TRIGGER packages_revision_tags AFTER INSERT OR UPDATE OR DELETE ON tags
	FOR EACH ROW EXECUTE FUNCTION packages_revision_of_package();
CREATE TRIGGER packages_revision_deprecations AFTER INSERT OR UPDATE OR DELETE ON deprecations
	FOR EACH ROW EXECUTE FUNCTION packages_revision_of_version();
CREATE TRIGGER packages_revision_quarantine AFTER INSERT OR UPDATE ON quarantine
	FOR EACH ROW EXECUTE FUNCTION packages_revision_of_version();

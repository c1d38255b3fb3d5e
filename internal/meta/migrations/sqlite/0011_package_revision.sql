-- A package's revision counts the changes to what its metadata shows (an npm
-- packument, a PyPI page): a version's state (publish, tombstone, restore),
-- its tags, deprecation notices and the quarantine lane. The triggers bump
-- it inside the changing transaction, so a node that rendered the metadata
-- at revision N may serve that rendering for as long as the row says N
-- (docs/native.md, "Packument cache"), on every node at once.
ALTER TABLE packages ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;

CREATE TRIGGER packages_revision_version_state AFTER UPDATE OF state ON versions
BEGIN
	UPDATE packages SET revision = revision + 1 WHERE id = NEW.package_id;
END;

CREATE TRIGGER packages_revision_version_delete AFTER DELETE ON versions
BEGIN
	UPDATE packages SET revision = revision + 1 WHERE id = OLD.package_id;
END;

CREATE TRIGGER packages_revision_tag_insert AFTER INSERT ON tags
BEGIN
	UPDATE packages SET revision = revision + 1 WHERE id = NEW.package_id;
END;

CREATE TRIGGER packages_revision_tag_update AFTER UPDATE ON tags
BEGIN
	UPDATE packages SET revision = revision + 1 WHERE id IN (OLD.package_id, NEW.package_id);
END;

CREATE TRIGGER packages_revision_tag_delete AFTER DELETE ON tags
BEGIN
	UPDATE packages SET revision = revision + 1 WHERE id = OLD.package_id;
END;

CREATE TRIGGER packages_revision_deprecation_insert AFTER INSERT ON deprecations
BEGIN
	UPDATE packages SET revision = revision + 1 WHERE id = (SELECT package_id FROM versions WHERE id = NEW.version_id);
END;

CREATE TRIGGER packages_revision_deprecation_update AFTER UPDATE ON deprecations
BEGIN
	UPDATE packages SET revision = revision + 1 WHERE id = (SELECT package_id FROM versions WHERE id = NEW.version_id);
END;

CREATE TRIGGER packages_revision_deprecation_delete AFTER DELETE ON deprecations
BEGIN
	UPDATE packages SET revision = revision + 1 WHERE id = (SELECT package_id FROM versions WHERE id = OLD.version_id);
END;

CREATE TRIGGER packages_revision_quarantine_insert AFTER INSERT ON quarantine
BEGIN
	UPDATE packages SET revision = revision + 1 WHERE id = (SELECT package_id FROM versions WHERE id = NEW.version_id);
END;

CREATE TRIGGER packages_revision_quarantine_update AFTER UPDATE ON quarantine
BEGIN
	UPDATE packages SET revision = revision + 1 WHERE id = (SELECT package_id FROM versions WHERE id = NEW.version_id);
END;

-- Versions of append-only formats gain files after publish (ADR 0009).
-- twine uploads a release's wheel and sdist in separate requests, and a
-- generic version's files arrive one PUT at a time: for the formats whose
-- clients work that way (generic, pypi), an entry with a new path may be
-- inserted into a published version. Entries still never change or go
-- away, and no other format's published versions gain anything. 0003's
-- rule otherwise, with the version row locked FOR SHARE as before.
CREATE OR REPLACE FUNCTION entries_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	st TEXT;
	fmt TEXT;
BEGIN
	IF TG_OP = 'DELETE' THEN
		SELECT state INTO st FROM versions WHERE id = OLD.version_id FOR SHARE;
		IF st = 'published' THEN
			RAISE EXCEPTION 'entries of published versions cannot be deleted' USING ERRCODE = 'restrict_violation';
		END IF;
		RETURN OLD;
	END IF;
	SELECT state INTO st FROM versions WHERE id = NEW.version_id FOR SHARE;
	IF TG_OP = 'INSERT' AND st = 'published' THEN
		SELECT p.format INTO fmt FROM versions v JOIN packages p ON p.id = v.package_id WHERE v.id = NEW.version_id;
		IF fmt IN ('generic', 'pypi') THEN
			RETURN NEW;
		END IF;
	END IF;
	IF st IS DISTINCT FROM 'draft' THEN
		RAISE EXCEPTION 'entries can only be added to draft versions, or to published versions of append-only formats' USING ERRCODE = 'restrict_violation';
	END IF;
	IF TG_OP = 'UPDATE' AND NEW.version_id <> OLD.version_id THEN
		RAISE EXCEPTION 'entries cannot move between versions' USING ERRCODE = 'restrict_violation';
	END IF;
	RETURN NEW;
END;
$$;

-- A file added to a published version changes what the package's metadata
-- shows (a PyPI page, a directory listing): 0011's revision moves with it.
CREATE FUNCTION packages_revision_of_entry_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE packages SET revision = revision + 1
	WHERE id = (SELECT package_id FROM versions WHERE id = NEW.version_id AND state = 'published');
	RETURN NULL;
END;
$$;

CREATE TRIGGER packages_revision_entry_append AFTER INSERT ON entries
	FOR EACH ROW EXECUTE FUNCTION packages_revision_of_entry_append();

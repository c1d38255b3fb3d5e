-- Versions of append-only formats gain files after publish (ADR 0009).
-- twine uploads a release's wheel and sdist in separate requests, and a
-- generic version's files arrive one PUT at a time: for the formats whose
-- clients work that way (generic, pypi), an entry with a new path may be
-- inserted into a published version. Entries still never change or go
-- away (0003's entries_immutable and entries_no_delete stay), and no other
-- format's published versions gain anything.
DROP TRIGGER entries_insert_draft_only;

CREATE TRIGGER entries_insert_draft_only BEFORE INSERT ON entries
WHEN (SELECT state FROM versions WHERE id = NEW.version_id) IS NOT 'draft'
	AND NOT (
		(SELECT state FROM versions WHERE id = NEW.version_id) = 'published'
		AND (SELECT p.format FROM versions v JOIN packages p ON p.id = v.package_id WHERE v.id = NEW.version_id) IN ('generic', 'pypi')
	)
BEGIN
	SELECT RAISE(ABORT, 'entries can only be added to draft versions, or to published versions of append-only formats');
END;

-- A file added to a published version changes what the package's metadata
-- shows (a PyPI page, a directory listing): 0011's revision moves with it.
CREATE TRIGGER packages_revision_entry_append AFTER INSERT ON entries
WHEN (SELECT state FROM versions WHERE id = NEW.version_id) = 'published'
BEGIN
	UPDATE packages SET revision = revision + 1 WHERE id = (SELECT package_id FROM versions WHERE id = NEW.version_id);
END;

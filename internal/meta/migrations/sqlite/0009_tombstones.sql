-- Who tombstoned a version and why. The move between published and
-- tombstoned is the one change the immutability trigger allows a published
-- version; these columns change with it (they are not part of the frozen
-- content). Both are NULL while the version is a draft or published.
ALTER TABLE versions ADD COLUMN tombstoned_by TEXT;
ALTER TABLE versions ADD COLUMN tombstone_reason TEXT;

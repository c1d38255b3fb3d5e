-- A blob can be deleted from a repository (OCI DELETE /v2/<name>/blobs/<digest>,
-- ADR 0010): its link is tombstoned, not removed (invariant 8). A
-- tombstoned link hides the blob from the repository at once; the bytes and
-- the entries that refer to them stay, and uploading the digest again
-- clears the tombstone.
ALTER TABLE repo_blobs ADD COLUMN deleted_at BIGINT;
ALTER TABLE repo_blobs ADD COLUMN deleted_by TEXT;

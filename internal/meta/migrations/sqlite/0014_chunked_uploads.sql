-- Chunked (OCI PATCH-style) upload sessions, ADR 0010 §3. A chunked session
-- keeps the running SHA-256 and SHA-512 states of the bytes it received, so
-- that finishing it verifies the client's digest without reading the bytes
-- back. hash_state is NULL for the other sessions (parts numbered by the
-- client, hashed at complete): that is how the two kinds are told apart.
-- received only grows and every chunk adds at least one byte, so a
-- compare-and-set on (id, received) lets exactly one of two concurrent
-- appends land.
ALTER TABLE uploads ADD COLUMN received BIGINT NOT NULL DEFAULT 0 CHECK (received >= 0);
ALTER TABLE uploads ADD COLUMN parts INTEGER NOT NULL DEFAULT 0 CHECK (parts >= 0);
ALTER TABLE uploads ADD COLUMN hash_state BLOB;   -- crypto/sha256 MarshalBinary
ALTER TABLE uploads ADD COLUMN sha512_state BLOB; -- crypto/sha512 MarshalBinary

-- The chunks a chunked session accepted, in order. Each chunk is staged
-- under a name of its own (uploads/<id>/chunk-NNNNN-<tag>), written before
-- its row exists: two concurrent appends never write the same object, and
-- the loser's object is simply deleted. This table, not a listing of the
-- store, says which staged object holds the bytes the hash states cover;
-- anything else under the session's prefix is debris of a crash, removed
-- with the session.
CREATE TABLE upload_chunks (
	upload_id    TEXT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
	n            INTEGER NOT NULL CHECK (n >= 1),
	tag          TEXT NOT NULL,
	start_offset BIGINT NOT NULL CHECK (start_offset >= 0),
	size         BIGINT NOT NULL CHECK (size > 0),
	PRIMARY KEY (upload_id, n)
);

-- A sha512: digest names a blob by its SHA-512 (OCI); the store stays
-- SHA-256 addressed (invariant 1), so reads by sha512: look the blob up here.
CREATE INDEX blobs_sha512 ON blobs (sha512);

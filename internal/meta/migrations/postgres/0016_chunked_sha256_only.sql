-- Chunked sessions keep only their running SHA-256 (ADR 0010 §3,
-- implementation notes): hashing every pushed layer with SHA-512 as well
-- cost about 5 s of CPU per GiB for the few clients that name blobs by
-- sha512:, which now pay for it themselves with one read of their bytes at
-- the finish. The column is dropped with the open sessions' states: a
-- session finishing with a sha512: digest after the upgrade is read back
-- like any other.
ALTER TABLE uploads DROP COLUMN sha512_state;

// Package transfer moves bytes in and out of repositories: resumable multipart upload
// sessions (parts through the API or straight to the object store through
// pre-signed URLs), a one-shot upload for small files, verification of digest
// and length, dedupe, quotas, and the sweeper that cleans what clients
// abandon.
//
// A session's state machine (every transition is a compare-and-set on the
// session row, so a lost race is a clear conflict, never a corrupt state):
//
//	          parts (PUT, pre-signed PUT)
//	           ┌────┐
//	           ▼    │
//	create ─► open ─┴─ complete ─► assembling ─► completed ─ commit ─► committed
//	           │  ▲                   │ parts missing  │  mismatch
//	           │  └───────────────────┘ or error       ├──────────► aborted
//	           ├── abort ─────────────────────────────►│ (abort)
//	           └── expires (sweeper) ─► expired ◄──────┘ expires
//
// complete assembles the parts in order into one staged object, hashing it in
// the same pass; commit checks the result against what the client declared,
// promotes the staged object to a content-addressed blob (dedupe: an existing
// blob is kept and the duplicate dropped) and links it into the repository, in
// one transaction with the session change and its audit record. Only then is
// the blob readable there.
//
// A chunked session (OCI's POST, PATCH..., PUT ?digest=) runs through the
// same states, driven by other calls. Its row carries the bytes received,
// the chunk count and the running SHA-256 and SHA-512 states; each chunk is
// staged under a name of its own while both hashes are fed, and the row
// takes the new states by a compare-and-set on the bytes received, so one
// of two racing appends lands and the other's object is deleted:
//
//	                  AppendChunk
//	                  ┌─────┐
//	                  ▼     │                   one chunk
//	CreateChunked ─► open ──┴─ FinishChunked ─┬──────────────► completed ─► committed
//	                  │ ▲     digest matches  │ none or several   ▲ (promote, link)
//	                  │ │                     └─► assembling ─────┘
//	                  │ └──── error ──────────────────┘
//	                  ├── digest mismatch, Abort ─► aborted
//	                  └── expires (sweeper) ─► expired
//
// The digest is compared with the saved states, never by reading the bytes
// back; only several chunks are read again, to write them as one object.
package transfer

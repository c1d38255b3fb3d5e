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
package transfer

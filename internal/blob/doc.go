// Package blob is the byte store: immutable blobs addressed by their SHA-256
// digest, plus a staging area where work in progress (upload parts, assembled
// uploads) lives until it is verified and promoted.
//
// A Store has two implementations that pass one conformance suite
// (blobtest.Run): filestore (the default, under the data directory) and
// s3store (any S3-compatible object store). Optional capabilities are
// discovered by type assertion: Presigner for direct uploads and downloads,
// FileOpener for serving an *os.File through sendfile.
//
// The flow of bytes in:
//
//	client ──► Ingest: hash SHA-256 + count while streaming ──► Writer (staging)
//	                                                               │ Commit: durable staged object
//	                              verify digest/size ──► Promote(staged → blob, atomic; dedupe)
//
// Nothing becomes a blob until its digest and size are verified, and a blob
// never changes once it exists.
package blob

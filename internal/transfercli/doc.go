// Package transfercli implements "artifortress push" and "artifortress
// pull", the commands that move whole files in and out of a repository's
// blob store through the /v1 API.
//
// push hashes each file once (SHA-256 and length), opens an upload session
// that declares both, and then either links a blob the caller can already
// read (no bytes sent), sends a small file in one request, or sends the parts
// of a large one in parallel, each streamed from the file with an
// io.SectionReader, through the API or to pre-signed part URLs (--direct).
// The session is completed (the server assembles and hashes the parts) and
// committed (the server checks the declared digest and length). A small state
// file beside the file, "<file>.afupload", records the session, so a push
// that was interrupted resumes where it stopped when run again: parts the
// server already holds with the right size are not sent again.
//
//	push FILE ─ hash ─ state file matches? ── yes ─ GET session ─ open ─────────┐
//	                        │ no                            └ gone/expired/aborted │
//	                        ▼                                   (start over)      │
//	                  create session ─ linkable ─────────────► complete ─ commit  │
//	                        │ smaller than a part ─ abort ─ one-shot PUT          │
//	                        └ write state ─ parts in parallel ◄───────────────────┘
//	                                        (each retried on 5xx and transport errors)
//	                                        ─ complete ─ commit ─ remove state
//
// pull downloads a blob into "<file>.part", resuming a partial file with an
// HTTP Range request (and If-Range on the blob's ETag, so changed bytes are
// never spliced in), hashes the whole file in one pass (the partial prefix
// first, then the rest as it streams), and renames it to its final name only
// when the SHA-256 matches the requested digest; a mismatch removes the
// partial file.
//
// Both commands share the admin tree's connection flags and environment
// (--url, --token, --timeout, ARTIFORTRESS_URL, ARTIFORTRESS_TOKEN), its HTTP
// client and its error conventions: errors are printed once by the command,
// and admincli.ExitCode maps them to the exit status (0 success, 1 an API or
// transport error or a failed verification, 2 a wrong command line).
// Progress goes to standard error: a progress bar on a terminal, plain lines
// at most every two seconds otherwise, nothing with --quiet.
package transfercli

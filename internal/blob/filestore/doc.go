// Package filestore is the default blob store: content-addressed files under
// one directory on the local filesystem.
//
// Layout under the root (normally <data-dir>/blobs):
//
//	sha256/ab/ab12...ef   blobs, read-only, named by their digest
//	staging/<name>        staged objects (upload parts, assembled uploads)
//	tmp/                  files being written
//
// Every write goes to a temporary file in tmp/, is fsynced, renamed into
// staging/ and the directory fsynced; promotion is one more rename into
// sha256/. All three directories are on one filesystem, so a crash at any
// instant leaves either the old state or the new one, never a partial file
// under a visible name.
package filestore

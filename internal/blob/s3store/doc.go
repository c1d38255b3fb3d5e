// Package s3store is a blob store on any S3-compatible object store (AWS S3,
// MinIO, Ceph RGW, versitygw, ...), for running several Artifortress nodes
// on the same bytes. It implements [blob.Store] and [blob.Presigner] with
// github.com/minio/minio-go/v7.
//
// # Layout
//
// All keys live in one bucket, under an optional prefix:
//
//	<prefix>/sha256/ab/ab12...ef   blobs, named by their digest
//	<prefix>/staging/<name>        staged objects (upload parts, assembled uploads)
//	<prefix>/tmp/                  Ping's probe objects
//
// # Writes
//
// A [blob.Writer] keeps the first bytes (up to 1 MiB) in memory; an object
// committed within that size is stored with one PUT. A larger object is
// streamed through an io.Pipe into a multipart upload with 16 MiB parts
// ([PartSize]), so a writer holds at most one part in memory whatever the
// object's size; objects up to 10,000 parts (about 156 GiB) are possible.
// Commit completes the upload; Cancel, and any failure, aborts it so that no
// parts are left behind. A process killed mid-upload does leave an
// incomplete multipart upload: configure the bucket's lifecycle rule
// AbortIncompleteMultipartUpload (for example after 1 day) to reclaim them.
//
// Promote is a server-side copy of the staged object to its blob key
// (CopyObject; a multipart copy above 5 GiB), then a delete of the staged
// object: the bytes never travel through the node again. S3 writes are
// atomic, so a blob key is either absent or complete.
//
// # Presigned transfers
//
// [Store.PresignPut] returns a URL through which a client PUTs the bytes of
// a staged object straight into the bucket, and [Store.PresignGet] one from
// which a client GETs a blob (Range requests included), so that large
// transfers bypass the node:
//
//  1. the node creates an upload session and returns PresignPut(name);
//  2. the client PUTs the bytes to that URL;
//  3. the node verifies the staged object — it reads it back through
//     OpenStaged, hashing it, since the bytes did not stream through it —
//     and promotes it to its digest, or deletes it;
//  4. downloads redirect authorized clients to PresignGet(digest).
//
// URLs are bearer credentials until they expire: keep their lifetime short.
package s3store

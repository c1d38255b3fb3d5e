package s3store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/artifortress/artifortress/internal/blob"
)

// PartSize is the size of the parts of a streamed multipart upload. It
// bounds the memory one writer uses and, with S3's limit of 10,000 parts,
// the size of one object (about 156 GiB).
const PartSize = 16 << 20

// smallObjectMax is how much a writer buffers before it starts a multipart
// upload: smaller objects are stored with a single PUT.
const smallObjectMax = 1 << 20

// maxCopySize is the largest object a single CopyObject may copy; larger
// ones are copied part by part.
const maxCopySize = 5 << 30

// maxPresignTTL is the longest lifetime S3 accepts for a presigned URL.
const maxPresignTTL = 7 * 24 * time.Hour

// Config locates the bucket a Store keeps its objects in.
type Config struct {
	// Endpoint is the URL of the S3 service, http:// or https://, with no
	// path, for example "https://s3.eu-west-1.amazonaws.com" or
	// "http://127.0.0.1:7070". Empty means "https://s3.amazonaws.com".
	Endpoint string
	// Region is the bucket's region. Empty lets the client ask the service
	// (one extra request on first use); AWS needs the right one.
	Region string
	// AccessKey and SecretKey are static credentials. When both are empty
	// the usual AWS sources are tried: the AWS_* environment variables, the
	// shared credentials file, then the instance or task role.
	AccessKey string
	SecretKey string
	// Bucket is the bucket name.
	Bucket string
	// Prefix is prepended, followed by "/", to every key, so that several
	// stores can share a bucket. It is made of the same "/"-separated
	// segments as staged names; leading and trailing slashes are ignored.
	Prefix string
	// PathStyle addresses the bucket as https://host/bucket rather than as
	// https://bucket.host; most self-hosted services need it.
	PathStyle bool
	// CreateBucket creates the bucket when it does not exist (useful for
	// tests and quick starts); otherwise a missing bucket is an error.
	CreateBucket bool
}

// ParseURL splits an "s3://bucket/prefix" URL into its bucket and key
// prefix (which may be empty).
func ParseURL(s string) (bucket, prefix string, err error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", "", fmt.Errorf("s3 URL: %w", err)
	}
	if u.Scheme != "s3" {
		return "", "", fmt.Errorf("s3 URL %q: want s3://bucket/prefix", s)
	}
	if u.User != nil || u.Port() != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", "", fmt.Errorf("s3 URL %q: want only s3://bucket/prefix", s)
	}
	bucket = u.Host
	if err := s3utils.CheckValidBucketNameStrict(bucket); err != nil {
		return "", "", fmt.Errorf("s3 URL %q: bucket: %w", s, err)
	}
	prefix = strings.Trim(u.Path, "/")
	if prefix != "" {
		if err := blob.ValidName(prefix); err != nil {
			return "", "", fmt.Errorf("s3 URL %q: prefix: %w", s, err)
		}
	}
	return bucket, prefix, nil
}

// Store is a blob.Store and blob.Presigner on an S3 bucket.
type Store struct {
	client *minio.Client
	core   minio.Core
	bucket string
	prefix string // "" or "<prefix>/"
}

var (
	_ blob.Store     = (*Store)(nil)
	_ blob.Presigner = (*Store)(nil)
)

// New connects to the bucket cfg names and checks that it exists, creating
// it if cfg.CreateBucket is set.
func New(ctx context.Context, cfg Config) (*Store, error) {
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = "https://s3.amazonaws.com"
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("s3 store: endpoint: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" ||
		u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("s3 store: endpoint %q: want http(s)://host[:port]", endpoint)
	}
	if err := s3utils.CheckValidBucketNameStrict(cfg.Bucket); err != nil {
		return nil, fmt.Errorf("s3 store: bucket %q: %w", cfg.Bucket, err)
	}
	prefix := strings.Trim(cfg.Prefix, "/")
	if prefix != "" {
		if err := blob.ValidName(prefix); err != nil {
			return nil, fmt.Errorf("s3 store: prefix: %w", err)
		}
		prefix += "/"
	}

	var creds *credentials.Credentials
	if cfg.AccessKey == "" && cfg.SecretKey == "" {
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{},
			&credentials.FileAWSCredentials{},
			&credentials.IAM{},
		})
	} else {
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:        creds,
		Secure:       u.Scheme == "https",
		Region:       cfg.Region,
		BucketLookup: lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 store: %w", err)
	}
	s := &Store{client: client, core: minio.Core{Client: client}, bucket: cfg.Bucket, prefix: prefix}

	exists, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3 store: bucket %s at %s: %w", cfg.Bucket, u.Redacted(), err)
	}
	if !exists {
		if !cfg.CreateBucket {
			return nil, fmt.Errorf("s3 store: bucket %s does not exist at %s", cfg.Bucket, u.Redacted())
		}
		if err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
			// Another node may have created it meanwhile.
			if code := errorCode(err); code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
				return nil, fmt.Errorf("s3 store: create bucket %s: %w", cfg.Bucket, err)
			}
		}
	}
	return s, nil
}

func (s *Store) blobKey(d blob.Digest) (string, error) {
	if _, err := blob.ParseDigest(string(d)); err != nil {
		return "", err
	}
	h := d.Hex()
	return s.prefix + "sha256/" + h[:2] + "/" + h, nil
}

func (s *Store) blobsPrefix() string   { return s.prefix + "sha256/" }
func (s *Store) stagingPrefix() string { return s.prefix + "staging/" }

func (s *Store) stagedKey(name string) (string, error) {
	if err := blob.ValidName(name); err != nil {
		return "", err
	}
	return s.stagingPrefix() + name, nil
}

// errorCode returns the S3 error code of err, or "".
func errorCode(err error) string {
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		return er.Code
	}
	return ""
}

// isNotFound reports whether err says that the object does not exist. A
// missing bucket is not that: it is a configuration error.
func isNotFound(err error) bool {
	var er minio.ErrorResponse
	if !errors.As(err, &er) {
		return false
	}
	switch er.Code {
	case minio.NoSuchKey, "NotFound":
		return true
	case minio.NoSuchBucket, "NoSuchUpload":
		return false
	}
	return er.StatusCode == http.StatusNotFound
}

// wrap turns a client error into ours: blob.ErrNotFound for a missing
// object, else the error with the operation and key.
func wrap(err error, op, key string) error {
	if err == nil {
		return nil
	}
	if isNotFound(err) {
		return blob.ErrNotFound
	}
	return fmt.Errorf("s3 store: %s %s: %w", op, key, err)
}

// NewWriter implements blob.Store. The upload is bound to ctx: canceling it
// aborts the write.
func (s *Store) NewWriter(ctx context.Context, name string) (blob.Writer, error) {
	key, err := s.stagedKey(name)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	uctx, cancel := context.WithCancel(ctx)
	return &writer{s: s, key: key, name: name, ctx: uctx, cancel: cancel}, nil
}

// OpenStaged implements blob.Store.
func (s *Store) OpenStaged(ctx context.Context, name string) (io.ReadCloser, error) {
	key, err := s.stagedKey(name)
	if err != nil {
		return nil, err
	}
	rc, _, _, err := s.core.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, wrap(err, "get", key)
	}
	return rc, nil
}

// list yields the objects whose keys start with prefix, in key order; it
// stops listing when the consumer stops.
func (s *Store) list(ctx context.Context, prefix string) iter.Seq[minio.ObjectInfo] {
	return func(yield func(minio.ObjectInfo) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		for o := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
			if !yield(o) {
				return
			}
		}
	}
}

// ListStaged implements blob.Store.
func (s *Store) ListStaged(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	base := s.stagingPrefix()
	for o := range s.list(ctx, base+prefix) {
		if o.Err != nil {
			return fmt.Errorf("s3 store: list %s: %w", base+prefix, o.Err)
		}
		name := strings.TrimPrefix(o.Key, base)
		if blob.ValidName(name) != nil {
			continue // a directory marker or a foreign object
		}
		if err := fn(blob.Info{Name: name, Size: o.Size, ModTime: o.LastModified.UTC(), ETag: o.ETag}); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// DeleteStaged implements blob.Store. It deletes in batches of up to 1,000
// keys (DeleteObjects).
func (s *Store) DeleteStaged(ctx context.Context, prefix string) error {
	base := s.stagingPrefix()
	var listErr error
	objects := func(yield func(minio.ObjectInfo) bool) {
		for o := range s.list(ctx, base+prefix) {
			if o.Err != nil {
				listErr = o.Err
				return
			}
			if !yield(minio.ObjectInfo{Key: o.Key}) {
				return
			}
		}
	}
	results, err := s.client.RemoveObjectsWithIter(ctx, s.bucket, objects, minio.RemoveObjectsOptions{})
	if err != nil {
		return fmt.Errorf("s3 store: delete %s: %w", base+prefix, err)
	}
	var errs []error
	for r := range results {
		if r.Err != nil && !isNotFound(r.Err) && len(errs) < 10 {
			errs = append(errs, fmt.Errorf("%s: %w", r.ObjectName, r.Err))
		}
	}
	if listErr != nil {
		errs = append(errs, listErr)
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("s3 store: delete %s: %w", base+prefix, errors.Join(errs...))
	}
	return nil
}

// Promote implements blob.Store: a server-side copy of the staged object to
// the blob key, then a delete of the staged object.
func (s *Store) Promote(ctx context.Context, name string, d blob.Digest) error {
	src, err := s.stagedKey(name)
	if err != nil {
		return err
	}
	dst, err := s.blobKey(d)
	if err != nil {
		return err
	}
	_, err = s.client.StatObject(ctx, s.bucket, dst, minio.StatObjectOptions{})
	switch {
	case err == nil:
		// Dedupe: the blob is already stored; drop the duplicate.
		return s.removeStaged(ctx, src)
	case !isNotFound(err):
		return wrap(err, "stat", dst)
	}
	if err := s.copy(ctx, src, dst); err != nil {
		if !isNotFound(err) {
			return err
		}
		// The staged object is gone: a retry, or a concurrent Promote won.
		if _, err := s.client.StatObject(ctx, s.bucket, dst, minio.StatObjectOptions{}); err != nil {
			return wrap(err, "stat", dst)
		}
		return nil
	}
	return s.removeStaged(ctx, src)
}

func (s *Store) removeStaged(ctx context.Context, key string) error {
	err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("s3 store: delete %s: %w", key, err)
	}
	return nil
}

// copy copies src to dst inside the bucket, server-side. CopyObject handles
// up to 5 GiB; a larger object is copied as a multipart upload of
// UploadPartCopy requests (ComposeObject of one source).
func (s *Store) copy(ctx context.Context, src, dst string) error {
	dstOpts := minio.CopyDestOptions{Bucket: s.bucket, Object: dst}
	srcOpts := minio.CopySrcOptions{Bucket: s.bucket, Object: src}
	_, err := s.client.CopyObject(ctx, dstOpts, srcOpts)
	if err == nil || isNotFound(err) {
		return err
	}
	// Too large for one copy?
	info, serr := s.client.StatObject(ctx, s.bucket, src, minio.StatObjectOptions{})
	if serr != nil || info.Size <= maxCopySize {
		return fmt.Errorf("s3 store: copy %s to %s: %w", src, dst, err)
	}
	if _, err := s.client.ComposeObject(ctx, dstOpts, srcOpts); err != nil {
		if isNotFound(err) {
			return err
		}
		return fmt.Errorf("s3 store: multipart copy %s to %s: %w", src, dst, err)
	}
	return nil
}

// emptyReader is what Open returns for a range of no bytes.
func emptyReader() io.ReadCloser { return io.NopCloser(bytes.NewReader(nil)) }

// Open implements blob.Store with a ranged GET.
func (s *Store) Open(ctx context.Context, d blob.Digest, offset, length int64) (io.ReadCloser, error) {
	key, err := s.blobKey(d)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("s3 store: negative offset %d", offset)
	}
	if length == 0 {
		// No bytes to fetch, but the blob must exist.
		if _, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{}); err != nil {
			return nil, wrap(err, "stat", key)
		}
		return emptyReader(), nil
	}
	var opts minio.GetObjectOptions
	switch {
	case length > 0:
		err = opts.SetRange(offset, offset+length-1)
	case offset > 0:
		err = opts.SetRange(offset, 0) // bytes=offset-
	}
	if err != nil {
		return nil, fmt.Errorf("s3 store: %w", err)
	}
	rc, _, _, err := s.core.GetObject(ctx, s.bucket, key, opts)
	if err == nil {
		return rc, nil
	}
	if errorCode(err) == "InvalidRange" {
		// The offset is at or past the end: no bytes, if the blob exists.
		info, serr := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
		if serr != nil {
			return nil, wrap(serr, "stat", key)
		}
		if offset >= info.Size {
			return emptyReader(), nil
		}
	}
	return nil, wrap(err, "get", key)
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, d blob.Digest) (blob.Info, error) {
	key, err := s.blobKey(d)
	if err != nil {
		return blob.Info{}, err
	}
	o, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return blob.Info{}, wrap(err, "stat", key)
	}
	return blob.Info{Digest: d, Size: o.Size, ModTime: o.LastModified.UTC()}, nil
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, d blob.Digest) error {
	key, err := s.blobKey(d)
	if err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil && !isNotFound(err) {
		return fmt.Errorf("s3 store: delete %s: %w", key, err)
	}
	return nil
}

// List implements blob.Store.
func (s *Store) List(ctx context.Context, fn func(blob.Info) error) error {
	base := s.blobsPrefix()
	for o := range s.list(ctx, base) {
		if o.Err != nil {
			return fmt.Errorf("s3 store: list %s: %w", base, o.Err)
		}
		// "ab/ab12...": anything else is not a blob.
		dir, file := path.Split(strings.TrimPrefix(o.Key, base))
		d, err := blob.ParseDigest(blob.SHA256Prefix + file)
		if err != nil || dir != file[:2]+"/" {
			continue
		}
		if err := fn(blob.Info{Digest: d, Size: o.Size, ModTime: o.LastModified.UTC()}); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// Ping implements blob.Store: it writes and deletes a probe object under
// <prefix>/tmp/, so that missing write permission fails too.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	key := s.prefix + "tmp/ping-" + hex.EncodeToString(b[:])
	if _, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader([]byte("ok")), 2,
		minio.PutObjectOptions{ContentType: "text/plain"}); err != nil {
		return fmt.Errorf("s3 store: ping: put %s: %w", key, err)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("s3 store: ping: delete %s: %w", key, err)
	}
	return nil
}

func checkTTL(ttl time.Duration) error {
	if ttl < time.Second || ttl > maxPresignTTL {
		return fmt.Errorf("s3 store: presigned URL lifetime %v: want 1s to 7 days", ttl)
	}
	return nil
}

// PresignPut implements blob.Presigner: a URL accepting one PUT of the
// staged object name for ttl (at most 7 days). The PUT replaces any object
// of that name.
func (s *Store) PresignPut(ctx context.Context, name string, ttl time.Duration) (string, error) {
	key, err := s.stagedKey(name)
	if err != nil {
		return "", err
	}
	if err := checkTTL(ttl); err != nil {
		return "", err
	}
	u, err := s.client.PresignedPutObject(ctx, s.bucket, key, ttl)
	if err != nil {
		return "", fmt.Errorf("s3 store: presign PUT %s: %w", key, err)
	}
	return u.String(), nil
}

// PresignGet implements blob.Presigner: a URL serving blob d, Range
// requests included, for ttl (at most 7 days). It does not check that the
// blob exists; the URL of a missing blob answers 404.
func (s *Store) PresignGet(ctx context.Context, d blob.Digest, ttl time.Duration) (string, error) {
	key, err := s.blobKey(d)
	if err != nil {
		return "", err
	}
	if err := checkTTL(ttl); err != nil {
		return "", err
	}
	u, err := s.client.PresignedGetObject(ctx, s.bucket, key, ttl, nil)
	if err != nil {
		return "", fmt.Errorf("s3 store: presign GET %s: %w", key, err)
	}
	return u.String(), nil
}

package s3store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/blob/blobtest"
	"github.com/artifortress/artifortress/internal/blob/s3store"
	"github.com/artifortress/artifortress/internal/s3test"
)

func newStore(t testing.TB, cfg s3store.Config) *s3store.Store {
	t.Helper()
	s, err := s3store.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("s3store.New: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		return newStore(t, s3test.Config(t))
	})
}

// TestConformancePrefix runs the suite on a store that shares its bucket:
// keys under a prefix, next to someone else's objects.
func TestConformancePrefix(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		cfg := s3test.Config(t)
		other := cfg
		other.Prefix = "tenant-b"
		b := newStore(t, other)
		// The neighbour's objects must stay invisible to the store under test.
		w, err := b.NewWriter(t.Context(), "x/y")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Commit(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := b.Promote(t.Context(), "x/y", digestOf(nil)); err != nil {
			t.Fatal(err)
		}
		cfg.Prefix = "/tenant-a/sub/"
		return newStore(t, cfg)
	})
}

func BenchmarkStore(b *testing.B) {
	blobtest.Bench(b, func(b *testing.B) blob.Store {
		return newStore(b, s3test.Config(b))
	})
}

// BenchmarkPutObject is the peer of IngestPromote: one PUT of the bytes
// with minio-go and their size known, no hashing, no copy.
func BenchmarkPutObject(b *testing.B) {
	cfg := s3test.Config(b)
	client := s3test.Client(b, cfg)
	for _, size := range []int{4 << 10, 256 << 10, 16 << 20} {
		b.Run(sizeName(size), func(b *testing.B) {
			data := make([]byte, size)
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := client.PutObject(context.Background(), cfg.Bucket, "peer", bytes.NewReader(data),
					int64(size), minio.PutObjectOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return strconv.Itoa(n>>20) + "MiB"
	}
	return strconv.Itoa(n>>10) + "KiB"
}

func digestOf(b []byte) blob.Digest {
	sum := sha256.Sum256(b)
	return blob.FromSum(sum[:])
}

func TestParseURL(t *testing.T) {
	cases := []struct {
		in             string
		bucket, prefix string
		ok             bool
	}{
		{"s3://bucket", "bucket", "", true},
		{"s3://bucket/", "bucket", "", true},
		{"s3://my-bucket/a/b", "my-bucket", "a/b", true},
		{"s3://my.bucket/a/b/", "my.bucket", "a/b", true},
		{"s3://bucket/../x", "", "", false},
		{"s3://bucket/a//b", "", "", false},
		{"s3://", "", "", false},
		{"s3:///prefix", "", "", false},
		{"s3://Bucket_Upper/x", "", "", false},
		{"s3://b/x", "", "", false}, // bucket names have 3-63 characters
		{"https://bucket/x", "", "", false},
		{"s3://user:pw@bucket/x", "", "", false},
		{"s3://bucket:9000/x", "", "", false},
		{"s3://bucket/x?y=1", "", "", false},
		{"bucket/x", "", "", false},
	}
	for _, c := range cases {
		bucket, prefix, err := s3store.ParseURL(c.in)
		if (err == nil) != c.ok || bucket != c.bucket || prefix != c.prefix {
			t.Errorf("ParseURL(%q) = %q, %q, %v; want %q, %q, ok=%v", c.in, bucket, prefix, err, c.bucket, c.prefix, c.ok)
		}
	}
}

func TestNewConfigErrors(t *testing.T) {
	ctx := t.Context()
	for _, cfg := range []s3store.Config{
		{Endpoint: "ftp://host", Bucket: "bucket"},
		{Endpoint: "http://host/path", Bucket: "bucket"},
		{Endpoint: "http://", Bucket: "bucket"},
		{Endpoint: "http://127.0.0.1:1", Bucket: "b"},
		{Endpoint: "http://127.0.0.1:1", Bucket: "bucket", Prefix: "a/../b"},
	} {
		if _, err := s3store.New(ctx, cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

func TestNewBucket(t *testing.T) {
	cfg := s3test.ConfigNoBucket(t)
	if _, err := s3store.New(t.Context(), cfg); err == nil {
		t.Fatalf("New with a missing bucket succeeded")
	}
	cfg.CreateBucket = true
	s := newStore(t, cfg)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Creating an existing bucket is fine (several nodes starting at once).
	newStore(t, cfg)

	bad := cfg
	bad.SecretKey = "wrong-" + cfg.SecretKey
	if _, err := s3store.New(t.Context(), bad); err == nil {
		t.Errorf("New with a wrong secret key succeeded")
	}
}

// keys returns every key in the bucket.
func keys(t *testing.T, client *minio.Client, bucket string) []string {
	t.Helper()
	var out []string
	for o := range client.ListObjects(t.Context(), bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		out = append(out, o.Key)
	}
	slices.Sort(out)
	return out
}

func TestLayout(t *testing.T) {
	ctx := t.Context()
	cfg := s3test.Config(t)
	cfg.Prefix = "af/blobs"
	s := newStore(t, cfg)
	client := s3test.Client(t, cfg)

	data := []byte("layout")
	d := digestOf(data)
	w, err := s.NewWriter(ctx, "uploads/u1/data")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	info, err := w.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keys(t, client, cfg.Bucket), []string{"af/blobs/staging/uploads/u1/data"}; !slices.Equal(got, want) {
		t.Errorf("keys after Commit = %q, want %q", got, want)
	}
	st, err := client.StatObject(ctx, cfg.Bucket, "af/blobs/staging/uploads/u1/data", minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.ETag != info.ETag {
		t.Errorf("Commit ETag %q, S3 ETag %q", info.ETag, st.ETag)
	}
	if err := s.Promote(ctx, "uploads/u1/data", d); err != nil {
		t.Fatal(err)
	}
	h := d.Hex()
	if got, want := keys(t, client, cfg.Bucket), []string{"af/blobs/sha256/" + h[:2] + "/" + h}; !slices.Equal(got, want) {
		t.Errorf("keys after Promote = %q, want %q", got, want)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if got := keys(t, client, cfg.Bucket); len(got) != 1 {
		t.Errorf("Ping left keys: %q", got)
	}

	// Objects that are not blobs under sha256/ are not listed as blobs.
	for _, k := range []string{"af/blobs/sha256/" + h, "af/blobs/sha256/zz/" + h, "af/blobs/sha256/" + h[:2] + "/x"} {
		if _, err := client.PutObject(ctx, cfg.Bucket, k, bytes.NewReader(nil), 0, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	if err := s.List(ctx, func(i blob.Info) error {
		n++
		if i.Digest != d {
			t.Errorf("List reports %s", i.Digest)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("List reported %d blobs, want 1", n)
	}
}

// incompleteUploads returns the keys with multipart uploads in progress.
func incompleteUploads(t *testing.T, client *minio.Client, bucket string) []string {
	t.Helper()
	var out []string
	for u := range client.ListIncompleteUploads(t.Context(), bucket, "", true) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		out = append(out, u.Key)
	}
	return out
}

func TestCancelAbortsMultipartUpload(t *testing.T) {
	ctx := t.Context()
	cfg := s3test.Config(t)
	s := newStore(t, cfg)
	client := s3test.Client(t, cfg)

	// Cancel after streaming began (past the in-memory buffer, across a part).
	w, err := s.NewWriter(ctx, "big/canceled")
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for range s3store.PartSize>>20 + 2 {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if got := incompleteUploads(t, client, cfg.Bucket); len(got) != 1 {
		t.Errorf("while streaming: incomplete uploads %q, want one", got)
	}
	if err := w.Cancel(ctx); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if got := incompleteUploads(t, client, cfg.Bucket); len(got) != 0 {
		t.Errorf("after Cancel: incomplete uploads %q, want none", got)
	}
	if got := keys(t, client, cfg.Bucket); len(got) != 0 {
		t.Errorf("after Cancel: keys %q, want none", got)
	}

	// The writer's context canceled mid-stream: writes fail, and the upload
	// is aborted all the same.
	wctx, cancel := context.WithCancel(ctx)
	w, err = s.NewWriter(wctx, "big/ctx")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 3<<20)); err != nil {
		t.Fatal(err)
	}
	cancel()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := w.Write(chunk); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("writes still succeed 30s after the writer's context was canceled")
		}
	}
	if _, err := w.Commit(ctx); err == nil {
		t.Error("Commit after the context was canceled succeeded")
	}
	_ = w.Cancel(ctx)
	if got := incompleteUploads(t, client, cfg.Bucket); len(got) != 0 {
		t.Errorf("after a canceled context: incomplete uploads %q, want none", got)
	}
	if got := keys(t, client, cfg.Bucket); len(got) != 0 {
		t.Errorf("after a canceled context: keys %q, want none", got)
	}

	// A failing Ingest (wrong digest) of a multi-part stream leaves nothing.
	data := bytes.Repeat([]byte("0123456789abcdef"), (s3store.PartSize+5<<20)/16)
	_, err = blob.Ingest(ctx, s, "big/wrong", bytes.NewReader(data), blob.Expect{Digest: digestOf(nil), Size: -1})
	var ve *blob.VerificationError
	if !errors.As(err, &ve) {
		t.Fatalf("Ingest = %v, want a verification error", err)
	}
	if got := incompleteUploads(t, client, cfg.Bucket); len(got) != 0 {
		t.Errorf("after a failed Ingest: incomplete uploads %q, want none", got)
	}
	if got := keys(t, client, cfg.Bucket); len(got) != 0 {
		t.Errorf("after a failed Ingest: keys %q, want none", got)
	}
}

// TestMultipartRoundTrip stores an object of several parts (and a final
// short one) and reads it back whole and across part boundaries.
func TestMultipartRoundTrip(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, s3test.Config(t))
	size := 2*s3store.PartSize + 3<<20 + 17
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i * 7 / 3)
	}
	sums, err := blob.Ingest(ctx, s, "mp/obj", bytes.NewReader(data), blob.Expect{Digest: digestOf(data), Size: int64(size)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Promote(ctx, "mp/obj", sums.Digest); err != nil {
		t.Fatal(err)
	}
	rc, err := s.Open(ctx, sums.Digest, s3store.PartSize-10, 20)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data[s3store.PartSize-10:s3store.PartSize+10]) {
		t.Errorf("range across a part boundary differs")
	}
	rc, err = s.Open(ctx, sums.Digest, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, rc)
	rc.Close()
	if err != nil || n != int64(size) || blob.FromSum(h.Sum(nil)) != sums.Digest {
		t.Errorf("read back %d bytes (%v), digest %x", n, err, h.Sum(nil))
	}
}

// TestWriterMemoryBounded checks invariant 10: what a writer allocates does
// not grow with the object (one part buffer plus change, for 6 parts).
func TestWriterMemoryBounded(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, s3test.Config(t))
	const size = 6 * s3store.PartSize
	chunk := make([]byte, 256<<10)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	w, err := s.NewWriter(ctx, "mem/obj")
	if err != nil {
		t.Fatal(err)
	}
	for written := 0; written < size; written += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("writing %d MiB allocated %d MiB", size>>20, allocated>>20)
	if allocated > 3*s3store.PartSize {
		t.Errorf("writing %d MiB allocated %d MiB, want at most %d MiB (memory must not grow with the object)",
			size>>20, allocated>>20, 3*s3store.PartSize>>20)
	}
}

func TestPresignTTL(t *testing.T) {
	s := newStore(t, s3test.Config(t))
	ctx := t.Context()
	for _, ttl := range []time.Duration{0, -time.Second, 8 * 24 * time.Hour} {
		if _, err := s.PresignPut(ctx, "a", ttl); err == nil {
			t.Errorf("PresignPut with ttl %v succeeded", ttl)
		}
		if _, err := s.PresignGet(ctx, digestOf(nil), ttl); err == nil {
			t.Errorf("PresignGet with ttl %v succeeded", ttl)
		}
	}
}

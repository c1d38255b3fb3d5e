package transfer_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/servertest"
	"github.com/artifortress/artifortress/internal/transfer"
)

func TestChunkedLinksAReadableDigest(t *testing.T) {
	servertest.ForEachStack(t, func(t *testing.T, b servertest.Backend, opt func(*config.Config)) {
		s := newStack(t, b, opt)
		s.env.CreateRepo(t, "secret", map[string]any{"format": "oci"})
		s.env.CreateRepo(t, "team", map[string]any{"format": "oci"})
		ctx := t.Context()
		data := randomBytes(11, 3000)
		cs := s.create(t, admin, "secret")
		if _, err := s.svc.FinishChunked(ctx, admin, "secret", cs.ID, sha512Of(data), bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}

		// Without read on "secret": no bytes, no blob.
		writer := caller(t, "writer", "repo:team:write")
		cs = s.create(t, writer, "team")
		_, err := s.svc.FinishChunked(ctx, writer, "team", cs.ID, sha256Of(data), nil)
		wantCode(t, err, "digest_invalid", http.StatusBadRequest, "finish without bytes or read access")
		if _, err := s.svc.Lookup(ctx, admin, "team", sha256Of(data)); code(err) != "blob_not_found" {
			t.Errorf("linked without read access: %v", err)
		}

		// With it, by either digest: linked.
		for _, digest := range []string{sha256Of(data), sha512Of(data)} {
			both := caller(t, "both", "repo:team:write", "repo:secret:read")
			cs = s.create(t, both, "team")
			blb, err := s.svc.FinishChunked(ctx, both, "team", cs.ID, digest, nil)
			if err != nil || blb.Digest != sha256Of(data) {
				t.Fatalf("finish by link with %s: %+v %v", digest[:6], blb, err)
			}
			if got := s.content(t, "team", blb.Digest); !bytes.Equal(got, data) {
				t.Error("linked blob differs")
			}
		}
	})
}

func TestResolveDigest(t *testing.T) {
	servertest.ForEachStack(t, func(t *testing.T, b servertest.Backend, opt func(*config.Config)) {
		s := newStack(t, b, opt)
		ctx := t.Context()
		d := sha256Of([]byte("anything"))
		if got, err := s.svc.ResolveDigest(ctx, d); err != nil || got != d {
			t.Errorf("sha256 resolves to itself: %q %v", got, err)
		}
		_, err := s.svc.ResolveDigest(ctx, sha512Of([]byte("never stored")))
		wantCode(t, err, "blob_not_found", http.StatusNotFound, "unknown sha512")
		_, err = s.svc.ResolveDigest(ctx, "sha384:"+strings.Repeat("a", 96))
		wantCode(t, err, "digest_invalid", http.StatusBadRequest, "unsupported algorithm")
	})
}

// TestChecksummerCompletesSHA512Blobs: a chunked upload records the SHA-512
// alone; the checksummer must still fill in MD5 and SHA-1.
func TestChecksummerCompletesSHA512Blobs(t *testing.T) {
	servertest.ForEachStack(t, func(t *testing.T, b servertest.Backend, opt func(*config.Config)) {
		s := newStack(t, b, opt)
		ctx := t.Context()
		db := s.env.Server.DB()
		data := randomBytes(14, 1000)
		cs := s.create(t, admin, "images")
		blb, err := s.svc.FinishChunked(ctx, admin, "images", cs.ID, sha512Of(data), bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		// The node's own checksummer may have got there: forget its work.
		if _, err := db.RawExec(ctx, "UPDATE blobs SET md5 = NULL, sha1 = NULL WHERE digest = ?", blb.Digest); err != nil {
			t.Fatal(err)
		}
		missing, err := db.BlobsMissingChecksums(ctx, 100)
		if err != nil || !slices.Contains(missing, blb.Digest) {
			t.Fatalf("BlobsMissingChecksums = %v %v, want it to list %s", missing, err, blb.Digest)
		}
		sums, err := transfer.NewChecksummer(db, s.env.Server.Store(), slog.Default()).Ensure(ctx, blob.Digest(blb.Digest))
		if err != nil || sums.MD5 == "" || sums.SHA1 == "" || "sha512:"+sums.SHA512 != sha512Of(data) {
			t.Fatalf("Ensure: %+v %v", sums, err)
		}
	})
}

package blobtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
)

func testPing(t *testing.T, s blob.Store) {
	for range 2 {
		if err := s.Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	}
	if got := staged(t, s, ""); len(got) != 0 {
		t.Errorf("Ping left staged objects %q", got)
	}
	if got := blobs(t, s); len(got) != 0 {
		t.Errorf("Ping left blobs %v", got)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Ping(ctx); err == nil {
		t.Errorf("Ping with a canceled context succeeded")
	}
}

func presigner(t *testing.T, s blob.Store) blob.Presigner {
	p, ok := s.(blob.Presigner)
	if !ok {
		t.Skipf("%T does not implement blob.Presigner", s)
	}
	return p
}

func httpDo(t *testing.T, method, url string, body []byte, header http.Header) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = nil, 0
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func testPresignPut(t *testing.T, s blob.Store) {
	p := presigner(t, s)
	ctx := t.Context()
	data := randomBytes(19, 100_000)
	u, err := p.PresignPut(ctx, "direct/upload-1/data", 5*time.Minute)
	if err != nil {
		t.Fatalf("PresignPut: %v", err)
	}
	if code, body := httpDo(t, http.MethodPut, u, data, nil); code != http.StatusOK {
		t.Fatalf("PUT to the presigned URL: %d %s", code, body)
	}
	equalBytes(t, "object put through the presigned URL", readStaged(t, s, "direct/upload-1/data"), data)
	if infos := stagedInfos(t, s, "direct/"); infos["direct/upload-1/data"].Size != int64(len(data)) {
		t.Errorf("ListStaged = %+v", infos)
	}
	d := digestOf(data)
	if err := s.Promote(ctx, "direct/upload-1/data", d); err != nil {
		t.Fatal(err)
	}
	equalBytes(t, "promoted", readBlob(t, s, d, 0, -1), data)

	// The URL is for PUT of that object only: a GET with it is refused.
	if code, _ := httpDo(t, http.MethodGet, u, nil, nil); code == http.StatusOK {
		t.Errorf("GET with a presigned PUT URL succeeded")
	}
}

func testPresignGet(t *testing.T, s blob.Store) {
	p := presigner(t, s)
	ctx := t.Context()
	data := randomBytes(23, 300_000)
	d := promote(t, s, "pg", data)
	u, err := p.PresignGet(ctx, d, 5*time.Minute)
	if err != nil {
		t.Fatalf("PresignGet: %v", err)
	}
	code, body := httpDo(t, http.MethodGet, u, nil, nil)
	if code != http.StatusOK {
		t.Fatalf("GET of the presigned URL: %d %s", code, body)
	}
	equalBytes(t, "GET of the presigned URL", body, data)

	code, body = httpDo(t, http.MethodGet, u, nil, http.Header{"Range": {"bytes=1000-1999"}})
	if code != http.StatusPartialContent {
		t.Fatalf("ranged GET of the presigned URL: %d", code)
	}
	equalBytes(t, "ranged GET", body, data[1000:2000])

	// Tampering with the URL invalidates it.
	other := digestOf([]byte("other"))
	bad := strings.Replace(u, d.Hex(), other.Hex(), 1)
	if bad != u {
		if code, _ := httpDo(t, http.MethodGet, bad, nil, nil); code == http.StatusOK {
			t.Errorf("GET of a tampered presigned URL succeeded")
		}
	}
}

// checksumInput is a fixed input spanning several internal chunks.
func checksumInput() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < 700_000; i++ {
		fmt.Fprintf(&b, "line %d: the quick brown fox jumps over the lazy dog\n", i)
	}
	return b.Bytes()
}

func testComputeChecksums(t *testing.T, s blob.Store) {
	ctx := t.Context()
	for _, data := range [][]byte{nil, []byte("abc"), checksumInput()} {
		d := promote(t, s, "sums", data)
		got, err := blob.ComputeChecksums(ctx, s, d)
		if err != nil {
			t.Fatalf("ComputeChecksums: %v", err)
		}
		m, s1, s5 := md5.Sum(data), sha1.Sum(data), sha512.Sum512(data)
		want := blob.Checksums{
			MD5:    hex.EncodeToString(m[:]),
			SHA1:   hex.EncodeToString(s1[:]),
			SHA512: hex.EncodeToString(s5[:]),
		}
		if got != want {
			t.Errorf("ComputeChecksums of %d bytes = %+v, want %+v", len(data), got, want)
		}
	}
	// Well-known values for "abc".
	got, err := blob.ComputeChecksums(ctx, s, digestOf([]byte("abc")))
	if err != nil {
		t.Fatal(err)
	}
	if got.MD5 != "900150983cd24fb0d6963f7d28e17f72" || got.SHA1 != "a9993e364706816aba3e25717850c26c9cd0d89d" ||
		!strings.HasPrefix(got.SHA512, "ddaf35a193617aba") {
		t.Errorf("ComputeChecksums(\"abc\") = %+v", got)
	}
	if _, err := blob.ComputeChecksums(ctx, s, digestOf([]byte("missing"))); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("ComputeChecksums of a missing blob = %v, want blob.ErrNotFound", err)
	}
}

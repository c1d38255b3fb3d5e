package e2e

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/artifortress/artifortress/internal/servertest"
)

// TestMemoryIsBoundedForLargeBlobs streams a 2 GiB blob in and out of a
// server process (one-shot upload, download) and a 1 GiB blob through a
// two-part session, then checks the process's peak resident memory: bytes
// stream, they are never buffered whole.
func TestMemoryIsBoundedForLargeBlobs(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 5 GiB through a server process")
	}
	const limit = 200 << 20
	dataDir := t.TempDir()
	p := servertest.StartProcess(t, dataDir, nil)
	c := newClient(p.URL, adminToken(t, dataDir))
	c.mustJSON(t, 201, "POST", "/v1/repos", map[string]any{"key": "big", "type": "local", "format": "generic"}, nil)

	const size = 2 << 30
	sum := sha256.New()
	code, body, err := c.do("PUT", "/v1/repos/big/blobs", newGen(42, size, sum), size)
	if err != nil || code != 201 {
		t.Fatalf("upload: %d %v %s", code, err, body)
	}
	d := hexDigest(sum.Sum(nil))

	req, _ := http.NewRequest("GET", p.URL+"/v1/repos/big/blobs/"+d, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got := sha256.New()
	n, err := io.Copy(got, resp.Body)
	resp.Body.Close()
	if err != nil || n != size || hexDigest(got.Sum(nil)) != d {
		t.Fatalf("download: %d bytes, %v, digest match %v", n, err, hexDigest(got.Sum(nil)) == d)
	}

	var s struct{ UploadID string }
	c.mustJSON(t, 201, "POST", "/v1/repos/big/uploads", map[string]any{}, &s)
	msum := sha256.New()
	gen := newGen(7, 1<<30, msum)
	for part := 1; part <= 2; part++ {
		code, body, err := c.do("PUT", fmt.Sprintf("/v1/repos/big/uploads/%s/parts/%d", s.UploadID, part), io.LimitReader(gen, 512<<20), 512<<20)
		if err != nil || code != 200 {
			t.Fatalf("part %d: %d %v %s", part, code, err, body)
		}
	}
	var done struct{ Digest string }
	c.mustJSON(t, 200, "POST", "/v1/repos/big/uploads/"+s.UploadID+"/complete", nil, &done)
	if done.Digest != hexDigest(msum.Sum(nil)) {
		t.Fatalf("assembled digest %s", done.Digest)
	}
	c.mustJSON(t, 200, "POST", "/v1/repos/big/uploads/"+s.UploadID+"/commit", nil, nil)

	peak := p.PeakRSS(t)
	t.Logf("peak RSS after moving 5 GiB: %.1f MiB", float64(peak)/(1<<20))
	if peak > limit {
		t.Errorf("peak RSS %.1f MiB exceeds %d MiB", float64(peak)/(1<<20), limit>>20)
	}
	p.Stop(t)
}

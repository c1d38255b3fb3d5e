package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/blob/filestore"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/servertest"
)

// TestCrashDuringUploads kills the server with SIGKILL, again and again,
// while clients upload blobs one-shot and in multipart sessions. After a
// last restart: every commit the server acknowledged is readable with its
// exact bytes, every blob file on disk hashes to its name (no partial blob
// is ever visible), and every link in the metadata points at bytes that
// exist.
func TestCrashDuringUploads(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a server process repeatedly")
	}
	dataDir := t.TempDir()
	p := servertest.StartProcess(t, dataDir, nil)
	token := adminToken(t, dataDir)
	c := newClient(p.URL, token)
	c.mustJSON(t, 201, "POST", "/v1/repos", map[string]any{"key": "files", "type": "local", "format": "generic"}, nil)
	p.Stop(t)

	var mu sync.Mutex
	acked := map[string][]byte{} // digest → bytes, for commits answered with success
	rounds := 10
	for round := range rounds {
		p = servertest.StartProcess(t, dataDir, nil)
		c = newClient(p.URL, token)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for worker := range 4 {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(round), uint64(worker)))
				for i := 0; ctx.Err() == nil; i++ {
					data := make([]byte, 1+rng.IntN(3<<20))
					for j := range data {
						data[j] = byte(rng.Uint32())
					}
					var d string
					if i%2 == 0 {
						d = oneShot(c, data)
					} else {
						d = multipart(c, data)
					}
					if d != "" {
						mu.Lock()
						acked[d] = data
						mu.Unlock()
					}
				}
			})
		}
		// Kill mid-flight, but only once this round has had an upload
		// acknowledged (a loaded machine may need seconds for the first):
		// rounds that acknowledge nothing prove nothing.
		mu.Lock()
		before := len(acked)
		mu.Unlock()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			mu.Lock()
			n := len(acked)
			mu.Unlock()
			if n > before {
				break
			}
		}
		time.Sleep(time.Duration(100+rand.IntN(400)) * time.Millisecond)
		p.Kill(t)
		cancel()
		wg.Wait()
	}
	if len(acked) == 0 {
		t.Fatal("no upload was acknowledged in any round; the test proves nothing")
	}
	t.Logf("%d acknowledged blobs over %d crashes", len(acked), rounds)

	// Every blob file on disk is whole: its bytes hash to its name.
	store, err := filestore.New(filepath.Join(dataDir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	err = store.List(context.Background(), func(i blob.Info) error {
		files++
		rc, err := store.Open(context.Background(), i.Digest, 0, -1)
		if err != nil {
			return err
		}
		defer rc.Close()
		h := sha256.New()
		if _, err := io.Copy(h, rc); err != nil {
			return err
		}
		if got := hexDigest(h.Sum(nil)); got != string(i.Digest) {
			t.Errorf("blob file %s holds bytes hashing to %s", i.Digest, got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Every link in the metadata has its bytes.
	db, err := meta.Open(context.Background(), "", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	links := 0
	err = db.EachBlobLink(context.Background(), func(l meta.BlobLink) error {
		links++
		info, err := store.Stat(context.Background(), blob.Digest(l.Digest))
		if err != nil || info.Size != l.Size {
			t.Errorf("link %s/%s: stored %+v, %v", l.Repo, l.Digest, info, err)
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	// Every acknowledged commit survived, byte for byte.
	p = servertest.StartProcess(t, dataDir, nil)
	c = newClient(p.URL, token)
	for d, data := range acked {
		code, body, err := c.do("GET", "/v1/repos/files/blobs/"+d, nil, 0)
		if err != nil || code != 200 || !bytes.Equal(body, data) {
			t.Errorf("acknowledged blob %s: %d %v (%d bytes)", d, code, err, len(body))
		}
	}
	// Nothing staged lies where blobs are looked up.
	if _, err := os.Stat(filepath.Join(dataDir, "blobs", "sha256", "tmp")); !os.IsNotExist(err) {
		t.Errorf("temporary files under sha256/")
	}
	t.Logf("%d blob files verified, %d links checked", files, links)
	p.Stop(t)
}

// oneShot uploads data in one request; it returns the digest when the
// server acknowledged the commit, "" otherwise.
func oneShot(c *client, data []byte) string {
	d := digestOf(data)
	code, _, err := c.do("PUT", "/v1/repos/files/blobs?digest="+d, bytes.NewReader(data), int64(len(data)))
	if err != nil || code != http.StatusCreated {
		return ""
	}
	return d
}

// multipart uploads data as a session of up to three parts.
func multipart(c *client, data []byte) string {
	d := digestOf(data)
	code, body, err := c.do("POST", "/v1/repos/files/uploads", strings.NewReader(fmt.Sprintf(`{"expectedDigest":%q,"expectedLength":%d}`, d, len(data))), -1)
	if err != nil || code != 201 {
		return ""
	}
	id := between(string(body), `"uploadId":"`, `"`)
	third := len(data)/3 + 1
	for n, off := 1, 0; off < len(data); n, off = n+1, off+third {
		end := min(off+third, len(data))
		if code, _, err := c.do("PUT", fmt.Sprintf("/v1/repos/files/uploads/%s/parts/%d", id, n), bytes.NewReader(data[off:end]), int64(end-off)); err != nil || code != 200 {
			return ""
		}
	}
	for _, step := range []string{"complete", "commit"} {
		if code, _, err := c.do("POST", "/v1/repos/files/uploads/"+id+"/"+step, nil, 0); err != nil || code != 200 {
			return ""
		}
	}
	return d
}

func between(s, a, b string) string {
	_, rest, _ := strings.Cut(s, a)
	v, _, _ := strings.Cut(rest, b)
	return v
}

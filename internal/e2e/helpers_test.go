package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// client talks to a node over HTTP with a token.
type client struct {
	base, token string
	http        *http.Client
}

func newClient(base, token string) *client {
	return &client{base: base, token: token, http: &http.Client{}}
}

func (c *client) do(method, path string, body io.Reader, length int64) (int, []byte, error) {
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return 0, nil, err
	}
	req.ContentLength = length
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (c *client) mustJSON(t testing.TB, want int, method, path string, body any, out any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	code, resp, err := c.do(method, path, bytes.NewReader(raw), int64(len(raw)))
	if err != nil || code != want {
		t.Fatalf("%s %s: %d %v %s", method, path, code, err, resp)
	}
	if out != nil {
		if err := json.Unmarshal(resp, out); err != nil {
			t.Fatal(err)
		}
	}
}

func adminToken(t testing.TB, dataDir string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dataDir, "initial-admin-token"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(raw))
}

// genReader yields n deterministic pseudo-random bytes without holding them.
type genReader struct {
	r   *rand.ChaCha8
	n   int64
	sum io.Writer
}

func newGen(seed uint64, n int64, sum io.Writer) *genReader {
	var s [32]byte
	for i := range s {
		s[i] = byte(seed >> (i % 8 * 8))
	}
	return &genReader{r: rand.NewChaCha8(s), n: n, sum: sum}
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.n {
		p = p[:g.n]
	}
	n, _ := g.r.Read(p)
	g.n -= int64(n)
	if g.sum != nil {
		g.sum.Write(p[:n])
	}
	return n, nil
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func hexDigest(h []byte) string { return "sha256:" + hex.EncodeToString(h) }

package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
)

// registry speaks the OCI distribution API to a node as a push client
// does: a PAT as the password of Basic on every /v2/ request.
type registry struct {
	base, user, pat string
	http            *http.Client
}

func newRegistry(t testing.TB, base, user, pat string) *registry {
	tr := &http.Transport{
		DisableCompression: true, // blobs are compared byte for byte
		WriteBufferSize:    layerBuf,
		ReadBufferSize:     layerBuf,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &registry{base: base, user: user, pat: pat, http: &http.Client{Transport: tr}}
}

// send sends a request to path (path-absolute, as the registry's Location
// headers are) with body of length bytes (-1: unknown, sent chunked) and
// headers hdr, and fails the test unless the answer's status is want.
// The caller closes the answer's body.
func (r *registry) send(t testing.TB, want int, method, path string, body io.Reader, length int64, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, r.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = length
	if body == nil {
		req.ContentLength = 0
	}
	req.SetBasicAuth(r.user, r.pat)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if resp.StatusCode != want {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		t.Fatalf("%s %s: %s, want %d: %s", method, path, resp.Status, want, msg)
	}
	return resp
}

// must sends a request like send and discards the answer's body.
func (r *registry) must(t testing.TB, want int, method, path string, body io.Reader, length int64, hdr map[string]string) http.Header {
	t.Helper()
	resp := r.send(t, want, method, path, body, length, hdr)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.Header
}

// startSession opens an upload session of name: the Location of its
// first chunk.
func (r *registry) startSession(t testing.TB, name string) string {
	t.Helper()
	return location(t, r.must(t, 202, "POST", "/v2/"+name+"/blobs/uploads/", nil, 0, nil))
}

// finishSession closes a session with PUT ?digest= and no body, and checks
// the digest the registry answers.
func (r *registry) finishSession(t testing.TB, loc, digest string) {
	t.Helper()
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("digest", digest)
	u.RawQuery = q.Encode()
	h := r.must(t, 201, "PUT", u.String(), nil, 0, nil)
	if got := h.Get("Docker-Content-Digest"); got != digest {
		t.Fatalf("finished upload answers digest %q, want %s", got, digest)
	}
}

// location is the Location of an answer, which must be path-absolute.
func location(t testing.TB, h http.Header) string {
	t.Helper()
	loc := h.Get("Location")
	if len(loc) == 0 || loc[0] != '/' {
		t.Fatalf("Location %q is not path-absolute", loc)
	}
	return loc
}

// wantRange checks the Range header of a session holding n bytes.
func wantRange(t testing.TB, h http.Header, n int64) {
	t.Helper()
	if got, want := h.Get("Range"), fmt.Sprintf("0-%d", n-1); got != want {
		t.Fatalf("session Range %q, want %q", got, want)
	}
}

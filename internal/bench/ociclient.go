package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
)

// ociRegistry is one registry under test, spoken to as docker does.
type ociRegistry struct {
	name   string
	base   *url.URL // the registry's root (…/v2/ is below it)
	auth   string   // Authorization header of every request ("" anonymous)
	client *http.Client
}

func newOCIRegistry(name, base, auth string) (*ociRegistry, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	return &ociRegistry{name: name, base: u, auth: auth, client: newNPMClient()}, nil
}

// do sends a request to ref, a path or an absolute URL (a Location), and
// returns the answer with its body unread.
func (r *ociRegistry) do(ctx context.Context, method, ref string, body []byte, header http.Header) (*http.Response, error) {
	u, err := r.base.Parse(ref)
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	if r.auth != "" {
		req.Header.Set("Authorization", r.auth)
	}
	return r.client.Do(req)
}

// expect sends a request, reads the answer's body to the end and fails
// unless its status is want.
func (r *ociRegistry) expect(ctx context.Context, want int, method, ref string, body []byte, header http.Header) (*http.Response, error) {
	resp, err := r.do(ctx, method, ref, body, header)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != want {
		return resp, fmt.Errorf("%s: %s %s: %s, want %d: %s", r.name, method, ref, resp.Status, want, bytes.TrimSpace(b))
	}
	return resp, nil
}

// withDigest is an upload's Location with ?digest= added to its query
// (Distribution's Location carries a _state parameter already).
func withDigest(location, digest string) (string, error) {
	u, err := url.Parse(location)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("digest", digest)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// startUpload opens an upload session: POST …/blobs/uploads/, 202, and
// the Location the next request goes to.
func (r *ociRegistry) startUpload(ctx context.Context, name string) (string, error) {
	resp, err := r.expect(ctx, http.StatusAccepted, "POST", "/v2/"+name+"/blobs/uploads/", nil, nil)
	if err != nil {
		return "", err
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", fmt.Errorf("%s: POST upload: 202 without a Location", r.name)
	}
	return loc, nil
}

// pushMethod is one way of pushing a blob.
type pushMethod struct {
	label string
	push  func(r *ociRegistry, ctx context.Context, name, digest string, data []byte) error
}

// pushDocker pushes a blob as docker does: POST opens a session, one
// PATCH sends the whole blob (no Content-Range), PUT ?digest= without a
// body finishes it.
func (r *ociRegistry) pushDocker(ctx context.Context, name, digest string, data []byte) error {
	loc, err := r.startUpload(ctx, name)
	if err != nil {
		return err
	}
	resp, err := r.expect(ctx, http.StatusAccepted, "PATCH", loc, data, nil)
	if err != nil {
		return err
	}
	if l := resp.Header.Get("Location"); l != "" {
		loc = l
	}
	return r.finishUpload(ctx, loc, digest, nil)
}

// pushPostPut pushes a blob monolithically in two requests: POST opens a
// session, PUT ?digest= sends the whole blob and finishes it.
func (r *ociRegistry) pushPostPut(ctx context.Context, name, digest string, data []byte) error {
	loc, err := r.startUpload(ctx, name)
	if err != nil {
		return err
	}
	return r.finishUpload(ctx, loc, digest, data)
}

func (r *ociRegistry) finishUpload(ctx context.Context, loc, digest string, data []byte) error {
	put, err := withDigest(loc, digest)
	if err != nil {
		return err
	}
	_, err = r.expect(ctx, http.StatusCreated, "PUT", put, data, nil)
	return err
}

// pushSingle pushes a blob in one request: POST ?digest= with the blob as
// the body, which the spec lets a registry refuse by opening a session
// instead (202). probeSingle tells which a registry does.
func (r *ociRegistry) pushSingle(ctx context.Context, name, digest string, data []byte) error {
	_, err := r.expect(ctx, http.StatusCreated, "POST", "/v2/"+name+"/blobs/uploads/?digest="+digest, data, nil)
	return err
}

// probeSingle reports whether the registry takes a blob in one POST
// ?digest=; a session it opened instead is cancelled.
func (r *ociRegistry) probeSingle(ctx context.Context, name string) (bool, error) {
	data := []byte("artifortress bench oci: probe of POST ?digest=")
	sum := sha256.Sum256(data)
	resp, err := r.do(ctx, "POST", "/v2/"+name+"/blobs/uploads/?digest=sha256:"+hex.EncodeToString(sum[:]), data, nil)
	if err != nil {
		return false, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusCreated:
		return true, nil
	case http.StatusAccepted:
		if loc := resp.Header.Get("Location"); loc != "" {
			_, _ = r.expect(ctx, http.StatusNoContent, "DELETE", loc, nil, nil)
		}
		return false, nil
	}
	return false, fmt.Errorf("%s: POST ?digest=: %s", r.name, resp.Status)
}

// putManifest pushes a manifest under ref (a tag or its digest).
func (r *ociRegistry) putManifest(ctx context.Context, name, ref string, m ociManifest) error {
	h := http.Header{"Content-Type": {ociManifestType}}
	resp, err := r.do(ctx, "PUT", "/v2/"+name+"/manifests/"+ref, m.body, h)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("%s: PUT manifest %s:%s: %s: %s", r.name, name, ref, resp.Status, bytes.TrimSpace(b))
	}
	if got := resp.Header.Get("Docker-Content-Digest"); got != m.digest {
		return fmt.Errorf("%s: PUT manifest %s:%s: Docker-Content-Digest %q, want %s", r.name, name, ref, got, m.digest)
	}
	return nil
}

// ociAccept is what docker accepts for a manifest.
const ociAccept = ociManifestType + ", application/vnd.oci.image.index.v1+json, " +
	"application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json"

// getManifest reads a manifest by ref and checks that it is m, by length
// and Docker-Content-Digest; it returns the body when keep is set.
func (r *ociRegistry) getManifest(ctx context.Context, name, ref string, m ociManifest, keep bool) ([]byte, error) {
	resp, err := r.do(ctx, "GET", "/v2/"+name+"/manifests/"+ref, nil, http.Header{"Accept": {ociAccept}})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body []byte
	var n int64
	if keep {
		body, err = io.ReadAll(resp.Body)
		n = int64(len(body))
	} else {
		n, err = drain(resp.Body)
	}
	switch {
	case err != nil:
		return nil, err
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%s: GET manifest %s:%s: %s", r.name, name, ref, resp.Status)
	case n != int64(len(m.body)) || resp.Header.Get("Docker-Content-Digest") != m.digest:
		return nil, fmt.Errorf("%s: GET manifest %s:%s: %d bytes, digest %q; want %d, %s", r.name, name, ref, n, resp.Header.Get("Docker-Content-Digest"), len(m.body), m.digest)
	}
	return body, nil
}

// blob reads (GET) or checks (HEAD) a blob and fails unless it is there
// with size bytes; the bytes read are not hashed.
func (r *ociRegistry) blob(ctx context.Context, method, name, digest string, size int64) (int64, error) {
	resp, err := r.do(ctx, method, "/v2/"+name+"/blobs/"+digest, nil, nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := drain(resp.Body)
	switch {
	case err != nil:
		return n, err
	case resp.StatusCode != http.StatusOK:
		return n, fmt.Errorf("%s: %s blob %s@%s: %s", r.name, method, name, digest, resp.Status)
	case resp.ContentLength != size || method == "GET" && n != size:
		return n, fmt.Errorf("%s: %s blob %s@%s: Content-Length %d, read %d, want %d", r.name, method, name, digest, resp.ContentLength, n, size)
	}
	return n, nil
}

// drainBuffers are the buffers drain reads into: large, so that a 16 MiB
// layer takes 64 reads rather than io.Discard's 2,048.
var drainBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// drain reads r to the end and returns how many bytes it had.
func drain(r io.Reader) (int64, error) {
	bp := drainBuffers.Get().(*[]byte)
	defer drainBuffers.Put(bp)
	var n int64
	for {
		m, err := r.Read(*bp)
		n += int64(m)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

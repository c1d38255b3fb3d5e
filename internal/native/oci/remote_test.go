package oci_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/ocitest"
	"github.com/artifortress/artifortress/internal/servertest"
)

// upstreamPush sends one request of a push straight to an upstream
// registry, as a client would, and returns the answer, whose status must
// be one of want.
func upstreamPush(t *testing.T, method, url string, body []byte, contentType string, authorize func(*http.Request), want ...int) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if authorize != nil {
		authorize(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !slices.Contains(want, resp.StatusCode) {
		t.Fatalf("%s %s: %s", method, url, resp.Status)
	}
	return resp
}

// upstreamBlob uploads b to name at base monolithically: POST ?digest=
// with the bytes, which Artifortress takes at once (201) and Distribution
// answers with a session (202), which a PUT ?digest= with the bytes
// completes.
func upstreamBlob(t *testing.T, base, name string, b []byte, authorize func(*http.Request)) {
	t.Helper()
	d := digestOf(b)
	resp := upstreamPush(t, "POST", base+"/v2/"+name+"/blobs/uploads/?digest="+d, b, "application/octet-stream", authorize, 201, 202)
	if resp.StatusCode == 202 {
		loc, err := resp.Location()
		if err != nil {
			t.Fatal(err)
		}
		q := loc.Query()
		q.Set("digest", d)
		loc.RawQuery = q.Encode()
		upstreamPush(t, "PUT", loc.String(), b, "application/octet-stream", authorize, 201)
	}
}

// pushUpstream pushes an image of one config and one layer as name:tag
// to the registry at base (monolithic uploads, then the manifest) and
// returns the manifest and its digest.
func pushUpstream(t *testing.T, base, name, tag string, layer []byte, authorize func(*http.Request)) ([]byte, string) {
	t.Helper()
	config := []byte(`{"architecture":"amd64","os":"linux","name":"` + name + `"}`)
	for _, b := range [][]byte{config, layer} {
		upstreamBlob(t, base, name, b, authorize)
	}
	m := imageManifest(t, config, layer)
	upstreamPush(t, "PUT", base+"/v2/"+name+"/manifests/"+tag, m, "application/vnd.oci.image.manifest.v1+json", authorize, 201)
	return m, digestOf(m)
}

// imageManifest is the OCI image manifest of config and one layer.
func imageManifest(t *testing.T, config, layer []byte) []byte {
	t.Helper()
	m, err := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": descriptor("application/vnd.oci.image.config.v1+json", config),
		"layers": []any{descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layer)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// startRemote runs a node with remote oci repository "hub" of upstream.
func startRemote(t *testing.T, upstream string, settings map[string]any) *servertest.Env {
	t.Helper()
	env := servertest.Start(t, servertest.Backends()[0], func(c *config.Config) { c.OutboundAllow = "127.0.0.1" })
	env.CreateRepo(t, "hub", map[string]any{"format": "oci", "type": "remote", "upstreamUrl": upstream, "settings": settings})
	return env
}

// mustPull GETs a manifest or blob through the remote and checks the
// bytes and the digest header.
func mustPull(t *testing.T, env *servertest.Env, token, path string, want []byte, digest string) *servertest.Response {
	t.Helper()
	r := env.Must(t, 200, "GET", path, token, nil)
	if !bytes.Equal(r.Body, want) || r.Header.Get("Docker-Content-Digest") != digest {
		t.Fatalf("GET %s: %q (digest %q), want %q (%s)", path, r.Body, r.Header.Get("Docker-Content-Digest"), want, digest)
	}
	return r
}

// TestRemotePullThrough: a remote repository in front of CNCF
// Distribution (with a name prefix) resolves tags upstream, caches each
// manifest and blob on first pull — one upstream fetch however many
// clients ask at once — serves no blob that no cached manifest uses,
// refuses writes, and keeps serving what it cached once the upstream is
// gone: by digest as it was, by tag with a Warning, a tag it never saw
// 502.
func TestRemotePullThrough(t *testing.T) {
	reg := ocitest.StartDistribution(t, ocitest.DistributionOptions{})
	layer := []byte("the only layer of team/app")
	m, d := pushUpstream(t, reg.URL, "mirror/team/app", "v1", layer, nil)
	config := []byte(`{"architecture":"amd64","os":"linux","name":"mirror/team/app"}`)
	stray := []byte("a blob no manifest uses")
	upstreamBlob(t, reg.URL, "mirror/team/app", stray, nil)
	up := servertest.NewUpstreamProxy(t, reg.URL)
	env := startRemote(t, up.URL+"/mirror", map[string]any{"metadataTtlSeconds": 1})
	reader := env.Token(t, "reader", "repo:hub:read")
	name, upstreamName := "/v2/hub/team/app", "/v2/mirror/team/app"

	// A HEAD by tag learns the digest without fetching the manifest.
	r := env.Must(t, 200, "HEAD", name+"/manifests/v1", reader, nil)
	if r.Header.Get("Docker-Content-Digest") != d || up.Count(upstreamName+"/manifests/"+d) != 0 {
		t.Errorf("HEAD by tag: %v; manifest fetched %d times", r.Header, up.Count(upstreamName+"/manifests/"+d))
	}
	for _, ref := range []string{"v1", d} {
		r := mustPull(t, env, reader, name+"/manifests/"+ref, m, d)
		if ct := r.Header.Get("Content-Type"); ct != "application/vnd.oci.image.manifest.v1+json" {
			t.Errorf("manifest by %s: Content-Type %q", ref, ct)
		}
	}
	var v struct{ State, PublishedBy string }
	env.Must(t, 200, "GET", "/v1/repos/hub/packages/team%2Fapp/versions/"+d, env.AdminToken, nil).JSON(t, &v)
	if v.State != "published" || v.PublishedBy != "reader" {
		t.Errorf("cached version %+v", v)
	}

	// Eight clients pull the layer at once: one upstream fetch.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			r := env.Do(t, "GET", name+"/blobs/"+digestOf(layer), reader, nil)
			if r.Status != 200 || !bytes.Equal(r.Body, layer) {
				t.Errorf("concurrent layer GET: %d %q", r.Status, r.Body)
			}
		})
	}
	wg.Wait()
	mustPull(t, env, reader, name+"/blobs/"+digestOf(config), config, digestOf(config))
	mustPull(t, env, reader, name+"/blobs/"+digestOf(layer), layer, digestOf(layer))
	for path, want := range map[string]int{"/blobs/" + digestOf(layer): 1, "/blobs/" + digestOf(config): 1, "/manifests/" + d: 1} {
		if n := up.Count(upstreamName + path); n != want {
			t.Errorf("the upstream served %s %d times, want %d", path, n, want)
		}
	}
	if r := env.Do(t, "GET", name+"/blobs/"+digestOf(stray), reader, nil); r.Status != 404 || !strings.Contains(string(r.Body), "BLOB_UNKNOWN") ||
		up.Count(upstreamName+"/blobs/"+digestOf(stray)) != 0 {
		t.Errorf("a blob no cached manifest uses: %d %s", r.Status, r.Body)
	}

	var tags struct {
		Name string
		Tags []string
	}
	env.Must(t, 200, "GET", name+"/tags/list", reader, nil).JSON(t, &tags)
	if tags.Name != "hub/team/app" || strings.Join(tags.Tags, ",") != "v1" {
		t.Errorf("tags %+v", tags)
	}
	var idx struct {
		MediaType string
		Manifests []any
	}
	env.Must(t, 200, "GET", name+"/referrers/"+d, reader, nil).JSON(t, &idx)
	if idx.MediaType != "application/vnd.oci.image.index.v1+json" || len(idx.Manifests) != 0 {
		t.Errorf("referrers %+v", idx)
	}

	for _, w := range []struct{ method, path string }{
		{"POST", "/blobs/uploads/"}, {"PATCH", "/blobs/uploads/x"}, {"PUT", "/manifests/v2"}, {"DELETE", "/manifests/" + d}, {"DELETE", "/blobs/" + digestOf(layer)},
	} {
		r := env.Do(t, w.method, name+w.path, env.AdminToken, "x")
		if r.Status != 405 || !strings.Contains(string(r.Body), `"code":"UNSUPPORTED"`) || !strings.Contains(string(r.Body), "remote repository") {
			t.Errorf("%s %s: %d %s", w.method, w.path, r.Status, r.Body)
		}
	}

	// The upstream goes away.
	reg.Stop()
	time.Sleep(1100 * time.Millisecond) // past the metadata TTL: the tag is asked for again
	mustPull(t, env, reader, name+"/manifests/"+d, m, d)
	mustPull(t, env, reader, name+"/blobs/"+digestOf(layer), layer, digestOf(layer))
	for _, method := range []string{"GET", "HEAD"} {
		r := env.Must(t, 200, method, name+"/manifests/v1", reader, nil)
		if !strings.HasPrefix(r.Header.Get("Warning"), `299 - "`) || r.Header.Get("Docker-Content-Digest") != d {
			t.Errorf("%s by tag with the upstream down: %v", method, r.Header)
		}
	}
	if r := env.Must(t, 200, "GET", name+"/tags/list", reader, nil); !strings.HasPrefix(r.Header.Get("Warning"), "299 ") {
		t.Errorf("tags with the upstream down: %v", r.Header)
	}
	if r := env.Do(t, "GET", name+"/manifests/never-seen", reader, nil); r.Status != 502 {
		t.Errorf("a tag never seen, the upstream down: %d %s", r.Status, r.Body)
	}
}

// TestRemoteBasicUpstream: an upstream behind Basic auth is refused (502)
// until the repository has its credentials, which then answer its
// challenge; the secret is never logged.
func TestRemoteBasicUpstream(t *testing.T) {
	const user, pass = "alice", "s3cret pass"
	reg := ocitest.StartDistribution(t, ocitest.DistributionOptions{Username: user, Password: pass})
	layer := []byte("a private layer")
	m, d := pushUpstream(t, reg.URL, "team/app", "v1", layer, func(r *http.Request) { r.SetBasicAuth(user, pass) })
	env := startRemote(t, reg.URL, nil)
	if r := env.Do(t, "GET", "/v2/hub/team/app/manifests/v1", env.AdminToken, nil); r.Status != 502 || !strings.Contains(string(r.Body), "upstream_unauthorized") {
		t.Fatalf("without credentials: %d %s", r.Status, r.Body)
	}
	env.Must(t, 200, "PUT", "/v1/repos/hub/upstream-credentials", env.AdminToken, map[string]any{"scheme": "basic", "username": user, "secret": pass})
	mustPull(t, env, env.AdminToken, "/v2/hub/team/app/manifests/v1", m, d)
	mustPull(t, env, env.AdminToken, "/v2/hub/team/app/blobs/"+digestOf(layer), layer, digestOf(layer))
	if strings.Contains(env.Logs.String(), pass) {
		t.Errorf("the upstream password is in the log")
	}
}

// TestRemoteTokenUpstream: another node as the upstream, whose registry
// challenges with Bearer: the remote fetches a token from the realm with
// its Basic credentials (a PAT of the upstream) and reuses it for every
// request of the same scope; anonymous tokens do not open a private
// repository.
func TestRemoteTokenUpstream(t *testing.T) {
	node := servertest.Start(t, servertest.Backends()[0])
	node.CreateRepo(t, "images", map[string]any{"format": "oci"})
	layer := []byte("a layer on another node")
	m, d := pushUpstream(t, node.URL, "images/team/app", "v1", layer, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+node.AdminToken) })
	pat := node.Token(t, "mirror", "repo:images:read")
	up := servertest.NewUpstreamProxy(t, node.URL)
	env := startRemote(t, up.URL+"/images", nil)

	if r := env.Do(t, "GET", "/v2/hub/team/app/manifests/v1", env.AdminToken, nil); r.Status != 502 || !strings.Contains(string(r.Body), "upstream_unauthorized") {
		t.Fatalf("without credentials: %d %s", r.Status, r.Body)
	}
	env.Must(t, 200, "PUT", "/v1/repos/hub/upstream-credentials", env.AdminToken, map[string]any{"scheme": "basic", "username": "mirror", "secret": pat})
	mustPull(t, env, env.AdminToken, "/v2/hub/team/app/manifests/v1", m, d)
	mustPull(t, env, env.AdminToken, "/v2/hub/team/app/blobs/"+digestOf(layer), layer, digestOf(layer))
	var tags struct{ Tags []string }
	env.Must(t, 200, "GET", "/v2/hub/team/app/tags/list", env.AdminToken, nil).JSON(t, &tags)
	if strings.Join(tags.Tags, ",") != "v1" {
		t.Errorf("tags %+v", tags)
	}
	// One anonymous token (refused), then one for the credentials, which
	// served the tag, the manifest, the layer and the tag list.
	if n := up.Count("/v2/token"); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
	if logs := env.Logs.String(); strings.Contains(logs, pat) || strings.Contains(logs, "eyJ") {
		t.Errorf("the upstream PAT or a registry token (a JWT) is in the log")
	}
}

// TestRemoteQuarantine: a quarantine policy on the remote repository
// holds an image as it is cached: 423 DENIED by tag, by digest and for
// its layer, until it is released.
func TestRemoteQuarantine(t *testing.T) {
	reg := ocitest.StartDistribution(t, ocitest.DistributionOptions{})
	okLayer, heldLayer := []byte("a layer of an image that passes"), []byte("a layer of an image to review")
	pushUpstream(t, reg.URL, "team/app", "v1", okLayer, nil)
	held, d := pushUpstream(t, reg.URL, "team/held", "v1", heldLayer, nil)
	env := startRemote(t, reg.URL, nil)
	admin := env.AdminToken
	env.Must(t, 201, "POST", "/v1/repos/hub/policies", admin, map[string]any{
		"name": "review", "expression": "version.name != 'held'", "action": "quarantine", "message": "images named held are reviewed",
	})
	env.Must(t, 200, "GET", "/v2/hub/team/app/manifests/v1", admin, nil)
	env.Must(t, 200, "GET", "/v2/hub/team/app/blobs/"+digestOf(okLayer), admin, nil)
	for _, path := range []string{"/manifests/v1", "/manifests/" + d, "/blobs/" + digestOf(heldLayer), "/manifests/v1"} {
		if r := env.Do(t, "GET", "/v2/hub/team/held"+path, admin, nil); r.Status != 423 || !strings.Contains(string(r.Body), `"code":"DENIED"`) {
			t.Errorf("GET %s of a held image: %d %s", path, r.Status, r.Body)
		}
	}
	var tags struct{ Tags []string }
	env.Must(t, 200, "GET", "/v2/hub/team/held/tags/list", admin, nil).JSON(t, &tags)
	if len(tags.Tags) != 0 {
		t.Errorf("tags of a held image are listed: %v", tags.Tags)
	}
	var q struct{ Items []struct{ ID string } }
	env.Must(t, 200, "GET", "/v1/repos/hub/quarantine", admin, nil).JSON(t, &q)
	if len(q.Items) != 1 {
		t.Fatalf("quarantine: %+v", q)
	}
	env.Must(t, 200, "POST", "/v1/repos/hub/quarantine/"+q.Items[0].ID+"/release", admin, map[string]string{"note": "reviewed"})
	mustPull(t, env, admin, "/v2/hub/team/held/manifests/v1", held, d)
	mustPull(t, env, admin, "/v2/hub/team/held/blobs/"+digestOf(heldLayer), heldLayer, digestOf(heldLayer))
	env.Must(t, 200, "GET", "/v2/hub/team/held/tags/list", admin, nil).JSON(t, &tags)
	if strings.Join(tags.Tags, ",") != "v1" {
		t.Errorf("tags of a released image: %v", tags.Tags)
	}
}

// TestRemoteBlobMismatch: an upstream that sends bytes which do not match
// the blob's digest gets nothing kept, and the client being streamed
// them gets an answer cut short, never the whole wrong blob.
func TestRemoteBlobMismatch(t *testing.T) {
	config := []byte(`{"architecture":"amd64","os":"linux"}`)
	layer := bytes.Repeat([]byte("the real layer "), 20000)
	wrong := bytes.Repeat([]byte("not the layer! "), 20000)
	m := imageManifest(t, config, layer)
	var mu sync.Mutex
	layerGets := 0
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/team/app/manifests/v1", "/v2/team/app/manifests/" + digestOf(m):
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.Header().Set("Docker-Content-Digest", digestOf(m))
			w.Write(m)
		case "/v2/team/app/blobs/" + digestOf(layer):
			mu.Lock()
			layerGets++
			mu.Unlock()
			w.Write(wrong)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(fake.Close)
	env := startRemote(t, fake.URL, nil)
	mustPull(t, env, env.AdminToken, "/v2/hub/team/app/manifests/v1", m, digestOf(m))
	for range 2 {
		req := env.Request(t, "GET", "/v2/hub/team/app/blobs/"+digestOf(layer), nil)
		req.Header.Set("Authorization", "Bearer "+env.AdminToken)
		resp, err := env.HTTP.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil || len(body) >= len(wrong) {
			t.Errorf("a blob that does not match its digest: %d, %d bytes, %v", resp.StatusCode, len(body), err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if layerGets != 2 {
		t.Errorf("the upstream was asked for the layer %d times, want 2 (nothing kept)", layerGets)
	}
}

// TestRemoteInVirtual: a remote member of a virtual repository serves
// what its local members lack, blobs streamed through the virtual name.
func TestRemoteInVirtual(t *testing.T) {
	reg := ocitest.StartDistribution(t, ocitest.DistributionOptions{})
	layer := []byte("a layer only upstream has")
	m, d := pushUpstream(t, reg.URL, "team/app", "v1", layer, nil)
	env := startRemote(t, reg.URL, nil)
	env.CreateRepo(t, "images", map[string]any{"format": "oci"})
	env.CreateRepo(t, "all", map[string]any{"format": "oci", "type": "virtual", "members": []string{"images", "hub"}})
	mustPull(t, env, env.AdminToken, "/v2/all/team/app/manifests/v1", m, d)
	mustPull(t, env, env.AdminToken, "/v2/all/team/app/blobs/"+digestOf(layer), layer, digestOf(layer))
	var tags struct{ Tags []string }
	env.Must(t, 200, "GET", "/v2/all/team/app/tags/list", env.AdminToken, nil).JSON(t, &tags)
	if strings.Join(tags.Tags, ",") != "v1" {
		t.Errorf("tags through the virtual repository: %v", tags.Tags)
	}
}

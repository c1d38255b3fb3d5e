package oci_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/servertest"
)

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func startOCI(t *testing.T) *servertest.Env {
	t.Helper()
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "images", map[string]any{"format": "oci"})
	return env
}

// pushBlob uploads b monolithically into name's repository.
func pushBlob(t *testing.T, env *servertest.Env, name string, b []byte) string {
	t.Helper()
	d := digestOf(b)
	r := env.Must(t, 201, "POST", "/v2/"+name+"/blobs/uploads/?digest="+d, env.AdminToken, b)
	if r.Header.Get("Docker-Content-Digest") != d {
		t.Fatalf("blob digest header %q", r.Header.Get("Docker-Content-Digest"))
	}
	return d
}

func descriptor(mediaType string, b []byte) map[string]any {
	return map[string]any{"mediaType": mediaType, "digest": digestOf(b), "size": len(b)}
}

// image pushes a config and one layer and returns the manifest bytes.
func image(t *testing.T, env *servertest.Env, name, layer string, extra map[string]any) []byte {
	t.Helper()
	config := []byte(`{"architecture":"amd64","os":"linux"}`)
	pushBlob(t, env, name, config)
	pushBlob(t, env, name, []byte(layer))
	m := map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": descriptor("application/vnd.oci.image.config.v1+json", config),
		"layers": []any{descriptor("application/vnd.oci.image.layer.v1.tar+gzip", []byte(layer))},
	}
	for k, v := range extra {
		m[k] = v
	}
	b, err := json.MarshalIndent(m, "", "   ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func putManifest(t *testing.T, env *servertest.Env, path string, body []byte) *servertest.Response {
	t.Helper()
	req := env.Request(t, "PUT", path, body)
	req.Header.Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
	req.Header.Set("Authorization", "Bearer "+env.AdminToken)
	return env.Send(t, req)
}

// TestPushAndPull: blobs, a manifest by tag, the same bytes back by tag
// and digest, tags, referrers.
func TestPushAndPull(t *testing.T) {
	env := startOCI(t)
	name := "images/team/app"
	m := image(t, env, name, "layer one", nil)
	d := digestOf(m)
	r := putManifest(t, env, "/v2/"+name+"/manifests/v1", m)
	if r.Status != 201 || r.Header.Get("Docker-Content-Digest") != d || r.Header.Get("Location") != "/v2/"+name+"/manifests/"+d {
		t.Fatalf("push: %d %s %v", r.Status, r.Body, r.Header)
	}
	for _, ref := range []string{"v1", d} {
		r := env.Must(t, 200, "GET", "/v2/"+name+"/manifests/"+ref, env.AdminToken, nil)
		if string(r.Body) != string(m) || r.Header.Get("Content-Type") != "application/vnd.oci.image.manifest.v1+json" || r.Header.Get("Docker-Content-Digest") != d {
			t.Fatalf("GET %s: %s %v", ref, r.Body, r.Header)
		}
	}
	if r := env.Must(t, 200, "GET", "/v2/"+name+"/blobs/"+digestOf([]byte("layer one")), env.AdminToken, nil); string(r.Body) != "layer one" {
		t.Fatalf("blob: %q", r.Body)
	}
	// A referrer pushed by digest, and its subject's referrers.
	sig := image(t, env, name, "signature", map[string]any{"artifactType": "application/vnd.example.sig", "subject": map[string]any{
		"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d, "size": len(m)}})
	r = putManifest(t, env, "/v2/"+name+"/manifests/"+digestOf(sig), sig)
	if r.Status != 201 || r.Header.Get("OCI-Subject") != d {
		t.Fatalf("referrer push: %d %s %v", r.Status, r.Body, r.Header)
	}
	var idx struct {
		Manifests []struct{ Digest, ArtifactType string }
	}
	json.Unmarshal(env.Must(t, 200, "GET", "/v2/"+name+"/referrers/"+d, env.AdminToken, nil).Body, &idx)
	if len(idx.Manifests) != 1 || idx.Manifests[0].Digest != digestOf(sig) || idx.Manifests[0].ArtifactType != "application/vnd.example.sig" {
		t.Fatalf("referrers: %+v", idx)
	}
	var tags struct{ Tags []string }
	json.Unmarshal(env.Must(t, 200, "GET", "/v2/"+name+"/tags/list", env.AdminToken, nil).Body, &tags)
	if strings.Join(tags.Tags, ",") != "v1" {
		t.Fatalf("tags: %+v", tags)
	}
	// The published referrer's subject is frozen with it (invariant 3).
	db := env.Server.DB()
	for _, q := range []string{"DELETE FROM version_refs", "UPDATE version_refs SET digest = 'sha256:00'"} {
		if _, err := db.RawExec(t.Context(), q); err == nil {
			t.Errorf("the database accepted: %s", q)
		}
	}
}

// TestManifestRefusals: what the registry refuses, with the spec's codes.
func TestManifestRefusals(t *testing.T) {
	env := startOCI(t)
	name := "images/app"
	m := image(t, env, name, "layer", nil)
	missing := strings.Replace(string(m), digestOf([]byte("layer")), digestOf([]byte("not pushed")), 1)
	for _, tc := range []struct {
		name, path, body, code string
		status                 int
	}{
		{"missing blob", "/v2/" + name + "/manifests/x", missing, "MANIFEST_BLOB_UNKNOWN", 400},
		{"not JSON", "/v2/" + name + "/manifests/x", "{", "MANIFEST_INVALID", 400},
		{"wrong digest", "/v2/" + name + "/manifests/" + digestOf([]byte("other")), string(m), "DIGEST_INVALID", 400},
		{"bad name", "/v2/images/App/manifests/x", string(m), "NAME_INVALID", 400},
		{"no image", "/v2/images/manifests/x", string(m), "NAME_UNKNOWN", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := putManifest(t, env, tc.path, []byte(tc.body))
			if r.Status != tc.status || !strings.Contains(string(r.Body), `"code":"`+tc.code+`"`) {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
		})
	}
}

// registryToken fetches a token as docker does: Basic with the PAT.
func registryToken(t *testing.T, env *servertest.Env, pat string, scopes ...string) string {
	t.Helper()
	q := url.Values{"service": {"x"}, "scope": scopes}
	req := env.Request(t, "GET", "/v2/token?"+q.Encode(), nil)
	if pat != "" {
		req.SetBasicAuth("anyone", pat)
	}
	r := env.Send(t, req)
	var out struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if r.Status != 200 || json.Unmarshal(r.Body, &out) != nil || out.Token == "" || out.Token != out.AccessToken {
		t.Fatalf("token: %d %s", r.Status, r.Body)
	}
	return out.Token
}

// TestTokenFlow: the challenge names the token endpoint; tokens carry what
// the caller holds of what it asked, and no more; a revoked PAT's tokens
// stop working.
func TestTokenFlow(t *testing.T) {
	env := startOCI(t)
	env.CreateRepo(t, "public", map[string]any{"format": "oci", "settings": map[string]any{"anonymousRead": true}})
	name := "images/app"
	m := image(t, env, name, "layer", nil)
	putManifest(t, env, "/v2/"+name+"/manifests/v1", m)

	r := env.Do(t, "GET", "/v2/", "", nil)
	want := `Bearer realm="` + env.URL + `/v2/token",service="` + strings.TrimPrefix(env.URL, "http://") + `"`
	if r.Status != 401 || r.Header.Get("WWW-Authenticate") != want {
		t.Fatalf("ping: %d %q, want %q", r.Status, r.Header.Get("WWW-Authenticate"), want)
	}
	r = env.Do(t, "GET", "/v2/"+name+"/manifests/v1", "", nil)
	if r.Status != 401 || !strings.Contains(r.Header.Get("WWW-Authenticate"), `scope="repository:images/app:pull"`) {
		t.Fatalf("anonymous pull: %d %v", r.Status, r.Header)
	}

	reader := env.Token(t, "reader", "repo:images:read")
	pull := registryToken(t, env, reader, "repository:images/app:pull,push")
	env.Must(t, 200, "GET", "/v2/", pull, nil)
	env.Must(t, 200, "GET", "/v2/"+name+"/manifests/v1", pull, nil)
	// The reader asked for push too, and was not given it.
	r = env.Do(t, "POST", "/v2/"+name+"/blobs/uploads/?digest="+digestOf([]byte("x")), pull, "x")
	if r.Status != 401 || !strings.Contains(r.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
		t.Fatalf("push with a pull token: %d %s %v", r.Status, r.Body, r.Header)
	}
	// A token for one name does not open another.
	other := registryToken(t, env, env.AdminToken, "repository:images/other:pull")
	if r := env.Do(t, "GET", "/v2/"+name+"/manifests/v1", other, nil); r.Status != 401 {
		t.Fatalf("token for another name: %d", r.Status)
	}
	// Anonymous tokens pull from anonymous-read repositories only.
	anon := registryToken(t, env, "", "repository:public/app:pull", "repository:images/app:pull")
	if r := env.Do(t, "GET", "/v2/"+name+"/manifests/v1", anon, nil); r.Status != 401 {
		t.Fatalf("anonymous token on a private repository: %d", r.Status)
	}
	if r := env.Do(t, "GET", "/v2/public/app/tags/list", anon, nil); r.Status != 404 || !strings.Contains(string(r.Body), "NAME_UNKNOWN") {
		t.Fatalf("anonymous token on a public repository: %d %s", r.Status, r.Body)
	}
	// Forged and tampered tokens are refused.
	if r := env.Do(t, "GET", "/v2/"+name+"/manifests/v1", pull[:len(pull)-2]+"xx", nil); r.Status != 401 {
		t.Fatalf("tampered token: %d", r.Status)
	}
	// Revoking the PAT ends its registry tokens.
	env.Must(t, 200, "POST", "/v1/auth/pats/revoke", env.AdminToken, map[string]string{"subject": "reader"})
	if r := env.Do(t, "GET", "/v2/"+name+"/manifests/v1", pull, nil); r.Status != 401 {
		t.Fatalf("token of a revoked PAT: %d %s", r.Status, r.Body)
	}
}

// TestPoliciesAndQuarantine: a deny refuses a push (nothing is left to
// pull); a quarantine holds it: 201 with a Warning, then 423 by tag and
// digest, its layer 423 too, its tag out of tags/list, until released.
func TestPoliciesAndQuarantine(t *testing.T) {
	env := startOCI(t)
	admin := env.AdminToken
	name := "images/app"
	env.Must(t, 201, "POST", "/v1/repos/images/policies", admin, map[string]any{
		"name": "no-huge-layers", "expression": "version.entries.all(e, e.size < 1000)", "action": "deny",
	})
	big := image(t, env, name, strings.Repeat("x", 2000), nil)
	if r := putManifest(t, env, "/v2/"+name+"/manifests/big", big); r.Status != 403 || !strings.Contains(string(r.Body), `"code":"DENIED"`) {
		t.Fatalf("denied push: %d %s", r.Status, r.Body)
	}
	// Nothing of a refused push is kept: not the manifest, not its bytes
	// as a blob, not the tag.
	for _, path := range []string{"/manifests/" + digestOf(big), "/blobs/" + digestOf(big), "/manifests/big"} {
		if r := env.Do(t, "GET", "/v2/"+name+path, admin, nil); r.Status != 404 {
			t.Errorf("GET %s of a denied push: %d %s", path, r.Status, r.Body)
		}
	}
	env.Must(t, 201, "POST", "/v1/repos/images/policies", admin, map[string]any{
		"name": "review", "expression": "version.entries.all(e, e.mediaType != 'application/vnd.oci.image.layer.v1.tar+gzip' || e.size < 10)", "action": "quarantine", "message": "layers are reviewed",
	})
	held := image(t, env, name, "a reviewed layer", nil)
	r := putManifest(t, env, "/v2/"+name+"/manifests/held", held)
	if r.Status != 201 || !strings.Contains(r.Header.Get("Warning"), "held in quarantine") {
		t.Fatalf("held push: %d %s %v", r.Status, r.Body, r.Header)
	}
	for _, path := range []string{"/manifests/held", "/manifests/" + digestOf(held), "/blobs/" + digestOf([]byte("a reviewed layer"))} {
		if r := env.Do(t, "GET", "/v2/"+name+path, admin, nil); r.Status != 423 || !strings.Contains(string(r.Body), `"code":"DENIED"`) {
			t.Errorf("GET %s of a held image: %d %s", path, r.Status, r.Body)
		}
	}
	var tags struct{ Tags []string }
	json.Unmarshal(env.Must(t, 200, "GET", "/v2/"+name+"/tags/list", admin, nil).Body, &tags)
	if len(tags.Tags) != 0 {
		t.Errorf("tags of held images are listed: %v", tags.Tags)
	}
	var q struct{ Items []struct{ ID string } }
	env.Must(t, 200, "GET", "/v1/repos/images/quarantine", admin, nil).JSON(t, &q)
	if len(q.Items) != 1 {
		t.Fatalf("quarantine: %+v", q)
	}
	env.Must(t, 200, "POST", "/v1/repos/images/quarantine/"+q.Items[0].ID+"/release", admin, map[string]string{"note": "ok"})
	if r := env.Do(t, "GET", "/v2/"+name+"/manifests/held", admin, nil); r.Status != 200 || string(r.Body) != string(held) {
		t.Errorf("released image: %d %s", r.Status, r.Body)
	}
}

// TestVirtual: pulls resolve through the members in order, tags are
// their union, pushes land in deployTo; a member the caller cannot read
// is skipped.
func TestVirtual(t *testing.T) {
	env := startOCI(t)
	env.CreateRepo(t, "other", map[string]any{"format": "oci"})
	env.CreateRepo(t, "all", map[string]any{"format": "oci", "type": "virtual", "members": []string{"images", "other"}, "settings": map[string]any{"deployTo": "images"}})
	first := image(t, env, "images/app", "first", nil)
	putManifest(t, env, "/v2/images/app/manifests/v1", first)
	second := image(t, env, "other/app", "second", nil)
	putManifest(t, env, "/v2/other/app/manifests/v1", second)
	putManifest(t, env, "/v2/other/app/manifests/v2", second)

	if r := env.Must(t, 200, "GET", "/v2/all/app/manifests/v1", env.AdminToken, nil); string(r.Body) != string(first) {
		t.Errorf("v1 should come from the first member: %s", r.Body)
	}
	if r := env.Must(t, 200, "GET", "/v2/all/app/manifests/v2", env.AdminToken, nil); string(r.Body) != string(second) {
		t.Errorf("v2 should come from the second member: %s", r.Body)
	}
	env.Must(t, 200, "GET", "/v2/all/app/blobs/"+digestOf([]byte("second")), env.AdminToken, nil)
	var tags struct{ Tags []string }
	json.Unmarshal(env.Must(t, 200, "GET", "/v2/all/app/tags/list", env.AdminToken, nil).Body, &tags)
	if strings.Join(tags.Tags, ",") != "v1,v2" {
		t.Errorf("tags: %v", tags.Tags)
	}
	// A caller who cannot read "other" sees only the first member.
	reader := env.Token(t, "reader", "repo:all:read", "repo:images:read")
	if r := env.Do(t, "GET", "/v2/all/app/manifests/v2", reader, nil); r.Status != 404 {
		t.Errorf("v2 through an unreadable member: %d", r.Status)
	}
	// Pushes land in deployTo.
	third := image(t, env, "all/app", "third", nil)
	if r := putManifest(t, env, "/v2/all/app/manifests/v3", third); r.Status != 201 {
		t.Fatalf("push to the virtual repository: %d %s", r.Status, r.Body)
	}
	env.Must(t, 200, "GET", "/v2/images/app/manifests/v3", env.AdminToken, nil)
}

// TestCatalog: _catalog lists the names the caller can read, byte-ordered,
// with n/last paging.
func TestCatalog(t *testing.T) {
	env := startOCI(t)
	env.CreateRepo(t, "secret", map[string]any{"format": "oci"})
	for _, name := range []string{"images/b", "images/a/x", "secret/app"} {
		putManifest(t, env, "/v2/"+name+"/manifests/v1", image(t, env, name, "l", nil))
	}
	var out struct{ Repositories []string }
	r := env.Must(t, 200, "GET", "/v2/_catalog?n=2", env.AdminToken, nil)
	json.Unmarshal(r.Body, &out)
	if strings.Join(out.Repositories, ",") != "images/a/x,images/b" || !strings.Contains(r.Header.Get("Link"), "last=images%2Fb") {
		t.Fatalf("first page: %v %v", out.Repositories, r.Header.Get("Link"))
	}
	json.Unmarshal(env.Must(t, 200, "GET", "/v2/_catalog?n=2&last=images/b", env.AdminToken, nil).Body, &out)
	if strings.Join(out.Repositories, ",") != "secret/app" {
		t.Fatalf("second page: %v", out.Repositories)
	}
	reader := env.Token(t, "reader", "repo:images:read")
	json.Unmarshal(env.Must(t, 200, "GET", "/v2/_catalog", reader, nil).Body, &out)
	if strings.Join(out.Repositories, ",") != "images/a/x,images/b" {
		t.Fatalf("a reader of images sees: %v", out.Repositories)
	}
}

// TestDeletes: a tag goes (write); a manifest by digest is tombstoned
// (admin), its tags no longer listed or pulled; pushing it again revives it.
func TestDeletes(t *testing.T) {
	env := startOCI(t)
	name := "images/app"
	m := image(t, env, name, "layer", nil)
	d := digestOf(m)
	putManifest(t, env, "/v2/"+name+"/manifests/v1", m)
	putManifest(t, env, "/v2/"+name+"/manifests/v2", m)
	writer := env.Token(t, "w", "repo:images:write")
	env.Must(t, 202, "DELETE", "/v2/"+name+"/manifests/v2", writer, nil)
	if r := env.Do(t, "GET", "/v2/"+name+"/manifests/v2", writer, nil); r.Status != 404 || !strings.Contains(string(r.Body), "MANIFEST_UNKNOWN") {
		t.Fatalf("deleted tag: %d %s", r.Status, r.Body)
	}
	if r := env.Do(t, "DELETE", "/v2/"+name+"/manifests/"+d, writer, nil); r.Status != 403 {
		t.Fatalf("a writer deleted a manifest: %d %s", r.Status, r.Body)
	}
	env.Must(t, 202, "DELETE", "/v2/"+name+"/manifests/"+d, env.AdminToken, nil)
	for _, ref := range []string{"v1", d} {
		if r := env.Do(t, "GET", "/v2/"+name+"/manifests/"+ref, env.AdminToken, nil); r.Status != 404 {
			t.Errorf("GET %s of a deleted manifest: %d", ref, r.Status)
		}
	}
	var tags struct{ Tags []string }
	json.Unmarshal(env.Must(t, 200, "GET", "/v2/"+name+"/tags/list", env.AdminToken, nil).Body, &tags)
	if len(tags.Tags) != 0 {
		t.Errorf("tags of a deleted manifest: %v", tags.Tags)
	}
	if r := putManifest(t, env, "/v2/"+name+"/manifests/v3", m); r.Status != 201 {
		t.Fatalf("pushing a deleted manifest again: %d %s", r.Status, r.Body)
	}
	for _, ref := range []string{"v1", "v3", d} {
		env.Must(t, 200, "GET", "/v2/"+name+"/manifests/"+ref, env.AdminToken, nil)
	}
}

// TestImmutableTags: with settings.immutableTags a tag is set once.
func TestImmutableTags(t *testing.T) {
	env := startOCI(t)
	env.CreateRepo(t, "releases", map[string]any{"format": "oci", "settings": map[string]any{"immutableTags": true}})
	name := "releases/app"
	first := image(t, env, name, "one", nil)
	if r := putManifest(t, env, "/v2/"+name+"/manifests/1.0", first); r.Status != 201 {
		t.Fatalf("first push: %d %s", r.Status, r.Body)
	}
	if r := putManifest(t, env, "/v2/"+name+"/manifests/1.0", first); r.Status != 201 {
		t.Fatalf("the same manifest again: %d %s", r.Status, r.Body)
	}
	second := image(t, env, name, "two", nil)
	if r := putManifest(t, env, "/v2/"+name+"/manifests/1.0", second); r.Status != 403 || !strings.Contains(string(r.Body), "tag_immutable") {
		t.Fatalf("re-pointing an immutable tag: %d %s", r.Status, r.Body)
	}
	if r := env.Do(t, "DELETE", "/v2/"+name+"/manifests/1.0", env.AdminToken, nil); r.Status != 403 {
		t.Fatalf("deleting an immutable tag: %d %s", r.Status, r.Body)
	}
	if r := env.Must(t, 200, "GET", "/v2/"+name+"/manifests/1.0", env.AdminToken, nil); string(r.Body) != string(first) {
		t.Fatalf("the tag moved: %s", r.Body)
	}
	if r := env.Do(t, "GET", "/v2/"+name+"/manifests/"+digestOf(second), env.AdminToken, nil); r.Status != 404 {
		t.Fatalf("the refused push left its manifest: %d", r.Status)
	}
}

// TestBlobDeleteAndMount: a deleted blob answers 404 in its repository
// and comes back when pushed again; a mount from a repository the caller
// cannot read is a normal upload (202), never a 401 or 404, and tells
// nothing about the source.
func TestBlobDeleteAndMount(t *testing.T) {
	env := startOCI(t)
	env.CreateRepo(t, "private", map[string]any{"format": "oci"})
	d := pushBlob(t, env, "images/app", []byte("layer bytes"))
	if r := env.Do(t, "DELETE", "/v2/images/app/blobs/"+d, env.Token(t, "w", "repo:images:write"), nil); r.Status != 403 {
		t.Fatalf("a writer deleted a blob: %d", r.Status)
	}
	env.Must(t, 202, "DELETE", "/v2/images/app/blobs/"+d, env.AdminToken, nil)
	if r := env.Do(t, "GET", "/v2/images/app/blobs/"+d, env.AdminToken, nil); r.Status != 404 || !strings.Contains(string(r.Body), "BLOB_UNKNOWN") {
		t.Fatalf("a deleted blob: %d %s", r.Status, r.Body)
	}
	pushBlob(t, env, "images/app", []byte("layer bytes"))
	env.Must(t, 200, "GET", "/v2/images/app/blobs/"+d, env.AdminToken, nil)

	secret := pushBlob(t, env, "private/app", []byte("secret layer"))
	writer := env.Token(t, "writer", "repo:images:write")
	for _, from := range []string{"private/app", "nothere/app", ""} {
		r := env.Do(t, "POST", "/v2/images/app/blobs/uploads/?mount="+secret+"&from="+from, writer, nil)
		if r.Status != 202 || !strings.HasPrefix(r.Header.Get("Location"), "/v2/images/app/blobs/uploads/") {
			t.Fatalf("mount from %q without read access: %d %s %v", from, r.Status, r.Body, r.Header)
		}
	}
	if r := env.Do(t, "GET", "/v2/images/app/blobs/"+secret, writer, nil); r.Status != 404 {
		t.Fatalf("a refused mount linked the blob: %d", r.Status)
	}
	// With read access on the source the mount links it: 201.
	r := env.Do(t, "POST", "/v2/images/app/blobs/uploads/?mount="+secret+"&from=private/app", env.AdminToken, nil)
	if r.Status != 201 || r.Header.Get("Docker-Content-Digest") != secret {
		t.Fatalf("mount with access: %d %s", r.Status, r.Body)
	}
	if r := env.Must(t, 200, "GET", "/v2/images/app/blobs/"+secret, writer, nil); string(r.Body) != "secret layer" {
		t.Fatalf("mounted blob: %q", r.Body)
	}
}

// TestChunkedUpload: POST, PATCH chunks (with and without Content-Range),
// an out-of-order chunk (416, the session intact), status, PUT with the
// last chunk.
func TestChunkedUpload(t *testing.T) {
	env := startOCI(t)
	send := func(method, path, contentRange string, body []byte) *servertest.Response {
		req := env.Request(t, method, path, body)
		req.Header.Set("Authorization", "Bearer "+env.AdminToken)
		req.Header.Set("Content-Type", "application/octet-stream")
		if contentRange != "" {
			req.Header.Set("Content-Range", contentRange)
		}
		return env.Send(t, req)
	}
	data := []byte(strings.Repeat("0123456789", 100))
	r := send("POST", "/v2/images/app/blobs/uploads/", "", nil)
	if r.Status != 202 || r.Header.Get("Range") != "0-0" || r.Header.Get("OCI-Chunk-Min-Length") == "" {
		t.Fatalf("POST: %d %v", r.Status, r.Header)
	}
	loc := r.Header.Get("Location")
	if r := send("PATCH", loc, "0-399", data[:400]); r.Status != 202 || r.Header.Get("Range") != "0-399" {
		t.Fatalf("first chunk: %d %v %s", r.Status, r.Header, r.Body)
	}
	if r := send("PATCH", loc, "500-599", data[500:600]); r.Status != 416 || r.Header.Get("Range") != "0-399" {
		t.Fatalf("out-of-order chunk: %d %v %s", r.Status, r.Header, r.Body)
	}
	if r := send("PATCH", loc, "", data[400:700]); r.Status != 202 || r.Header.Get("Range") != "0-699" {
		t.Fatalf("streamed chunk: %d %v", r.Status, r.Header)
	}
	if r := send("GET", loc, "", nil); r.Status != 204 || r.Header.Get("Range") != "0-699" {
		t.Fatalf("status: %d %v", r.Status, r.Header)
	}
	d := digestOf(data)
	if r := send("PUT", loc+"?digest="+digestOf([]byte("other")), "", data[700:]); r.Status != 400 || !strings.Contains(string(r.Body), "DIGEST_INVALID") {
		t.Fatalf("wrong digest: %d %s", r.Status, r.Body)
	}
	if r := send("GET", loc, "", nil); r.Status != 404 || !strings.Contains(string(r.Body), "BLOB_UPLOAD_UNKNOWN") {
		t.Fatalf("a session whose digest failed: %d %s", r.Status, r.Body)
	}
	r = send("POST", "/v2/images/app/blobs/uploads/", "", nil)
	loc = r.Header.Get("Location")
	send("PATCH", loc, "", data[:700])
	if r := send("PUT", loc+"?digest="+d, "", data[700:]); r.Status != 201 || r.Header.Get("Location") != "/v2/images/app/blobs/"+d {
		t.Fatalf("PUT: %d %v %s", r.Status, r.Header, r.Body)
	}
	if r := env.Must(t, 200, "GET", "/v2/images/app/blobs/"+d, env.AdminToken, nil); string(r.Body) != string(data) {
		t.Fatal("the blob's bytes differ")
	}
}

// TestAuthorizationMatrix: who may do what on every /v2/ endpoint, with a
// personal access token on the request (the token flow is TestTokenFlow's).
func TestAuthorizationMatrix(t *testing.T) {
	env := startOCI(t)
	env.CreateRepo(t, "public", map[string]any{"format": "oci", "settings": map[string]any{"anonymousRead": true}})
	name := "images/app"
	m := image(t, env, name, "layer", nil)
	d := digestOf(m)
	putManifest(t, env, "/v2/"+name+"/manifests/v1", m)
	layer := digestOf([]byte("layer"))
	reader := env.Token(t, "reader", "repo:images:read")
	writer := env.Token(t, "writer", "repo:images:write")
	stranger := env.Token(t, "stranger", "repo:public:read")
	blob := "/v2/" + name + "/blobs/"
	for _, tc := range []struct {
		method, path, token string
		status              int
	}{
		{"GET", "/v2/", "", 401},
		{"GET", "/v2/", "afp_not_a_token", 401},
		{"GET", "/v2/", stranger, 200},
		{"GET", "/v2/" + name + "/manifests/v1", "", 401},
		{"GET", "/v2/" + name + "/manifests/v1", stranger, 404},
		{"GET", "/v2/" + name + "/manifests/v1", reader, 200},
		{"HEAD", "/v2/" + name + "/manifests/" + d, reader, 200},
		{"GET", blob + layer, reader, 200},
		{"GET", blob + layer, stranger, 404},
		{"GET", "/v2/" + name + "/tags/list", reader, 200},
		{"GET", "/v2/" + name + "/referrers/" + d, reader, 200},
		{"POST", blob + "uploads/", reader, 403},
		{"POST", blob + "uploads/", stranger, 404},
		{"POST", blob + "uploads/", "", 401},
		{"POST", blob + "uploads/", writer, 202},
		{"PUT", "/v2/" + name + "/manifests/v2", reader, 403},
		{"DELETE", "/v2/" + name + "/manifests/v1", reader, 403},
		{"DELETE", "/v2/" + name + "/manifests/" + d, writer, 403},
		{"DELETE", blob + layer, writer, 403},
		{"GET", "/v2/public/app/tags/list", "", 404}, // readable anonymously: no such image
		{"POST", "/v2/public/app/blobs/uploads/", "", 401},
		{"GET", "/v2/_catalog", "", 401},
		{"GET", "/v2/_catalog", reader, 200},
	} {
		var body any
		if tc.method == "PUT" {
			body = m
		}
		r := env.Do(t, tc.method, tc.path, tc.token, body)
		if r.Status != tc.status {
			t.Errorf("%s %s as %.8q: %d %s, want %d", tc.method, tc.path, tc.token, r.Status, r.Body, tc.status)
		}
		if r.Status == 401 && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), `Bearer realm="`) {
			t.Errorf("%s %s: 401 without the Bearer challenge: %q", tc.method, tc.path, r.Header.Get("WWW-Authenticate"))
		}
	}
}

// TestBadInput: hostile and malformed requests get a 4xx with the spec's
// code and leave nothing behind.
func TestBadInput(t *testing.T) {
	env := startOCI(t)
	env.CreateRepo(t, "small", map[string]any{"format": "oci", "settings": map[string]any{"maxBlobBytes": 1024}})
	name := "images/app"
	for _, tc := range []struct {
		name, method, path, body, code string
		status                         int
	}{
		{"traversal in the name", "GET", "/v2/images/..%2f..%2fetc/manifests/v1", "", "NAME_INVALID", 400},
		{"NUL in the name", "GET", "/v2/images/a%00b/manifests/v1", "", "NAME_INVALID", 400},
		{"bad digest", "GET", "/v2/" + name + "/blobs/sha256:xyz", "", "DIGEST_INVALID", 400},
		{"unknown algorithm", "GET", "/v2/" + name + "/blobs/md5:d41d8cd98f00b204e9800998ecf8427e", "", "DIGEST_INVALID", 400},
		{"blob that does not match", "POST", "/v2/" + name + "/blobs/uploads/?digest=" + digestOf([]byte("x")), "y", "DIGEST_INVALID", 400},
		{"oversized blob", "POST", "/v2/small/app/blobs/uploads/?digest=" + digestOf([]byte(strings.Repeat("x", 2000))), strings.Repeat("x", 2000), "SIZE_INVALID", 413},
		{"unknown media type", "PUT", "/v2/" + name + "/manifests/v1", `{"schemaVersion":2,"mediaType":"application/x-nope","config":{}}`, "MANIFEST_INVALID", 400},
		{"schema 1", "PUT", "/v2/" + name + "/manifests/v1", `{"schemaVersion":1,"name":"x"}`, "MANIFEST_INVALID", 400},
		{"not UTF-8", "PUT", "/v2/" + name + "/manifests/v1", "{\"schemaVersion\":2,\"x\":\"\xff\"}", "MANIFEST_INVALID", 400},
		{"oversized manifest", "PUT", "/v2/" + name + "/manifests/v1", `{"x":"` + strings.Repeat("a", 4<<20) + `"}`, "SIZE_INVALID", 413},
		{"bad tag", "PUT", "/v2/" + name + "/manifests/-bad", "{}", "MANIFEST_INVALID", 400},
		{"unknown upload", "PATCH", "/v2/" + name + "/blobs/uploads/nosuchsession", "x", "BLOB_UPLOAD_UNKNOWN", 404},
		{"bad Content-Range", "PATCH", "/v2/" + name + "/blobs/uploads/nosuchsession", "x", "BLOB_UPLOAD_INVALID", 416},
		{"unknown endpoint", "GET", "/v2/" + name + "/nope/x", "", "NAME_UNKNOWN", 404},
		{"bad n", "GET", "/v2/" + name + "/tags/list?n=-1", "", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := env.Request(t, tc.method, tc.path, tc.body)
			req.Header.Set("Authorization", "Bearer "+env.AdminToken)
			if tc.name == "bad Content-Range" {
				req.Header.Set("Content-Range", "bytes=0-")
			}
			r := env.Send(t, req)
			if tc.status == 0 {
				if r.Status < 400 || r.Status >= 500 {
					t.Fatalf("%d %s, want a 4xx", r.Status, r.Body)
				}
				return
			}
			if r.Status != tc.status || !strings.Contains(string(r.Body), `"code":"`+tc.code+`"`) {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
		})
	}
	var pkgs struct{ Items []any }
	env.Must(t, 200, "GET", "/v1/repos/images/packages", env.AdminToken, nil).JSON(t, &pkgs)
	if len(pkgs.Items) != 0 {
		t.Fatalf("refused requests left images: %+v", pkgs.Items)
	}
}

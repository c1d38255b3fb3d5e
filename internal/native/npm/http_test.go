package npm_test

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/servertest"
)

// publishBody is what npm publish sends for name@version, with a tarball
// (tarball(name, version, content)) and its shasum; keys in npm's order
// (_attachments last).
func publishBody(name, version string, content []byte) json.RawMessage {
	tgz := tarball(name, version, content)
	return publishBodyDist(name, version, tgz, map[string]any{"shasum": sha1Hex(tgz)})
}

// publishBodyDist is publishBody with the tarball and the version's dist
// object given.
func publishBodyDist(name, version string, tgz []byte, dist map[string]any) json.RawMessage {
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return string(b)
	}
	return json.RawMessage(`{"_id":` + enc(name) + `,"name":` + enc(name) +
		`,"dist-tags":` + enc(map[string]string{"latest": version}) +
		`,"versions":` + enc(map[string]any{version: map[string]any{"name": name, "version": version, "dist": dist}}) +
		`,"_attachments":` + enc(map[string]any{name + "-" + version + ".tgz": map[string]any{"data": base64.StdEncoding.EncodeToString(tgz), "length": len(tgz)}}) + `}`)
}

const tgz = "the package's bytes"

func startNPM(t *testing.T, opts ...func(*config.Config)) *servertest.Env {
	t.Helper()
	env := servertest.Start(t, servertest.Backends()[0], opts...)
	env.CreateRepo(t, "npm-local", map[string]any{"format": "npm"})
	return env
}

// TestPublishRefusesBadInput: malformed bodies, wrong digests, mismatched
// names and versions, unknown paths each get a clear 4xx with a stable code
// and leave no package behind.
func TestPublishRefusesBadInput(t *testing.T) {
	env := startNPM(t)
	good := tarball("pkg", "1.0.0", []byte(tgz))
	// withTarball publishes tgz with its right digests: only its contents
	// are wrong.
	withTarball := func(name, version string, tgz []byte) json.RawMessage {
		sha := sha512.Sum512(tgz)
		return publishBodyDist(name, version, tgz, map[string]any{"shasum": sha1Hex(tgz), "integrity": "sha512-" + base64.StdEncoding.EncodeToString(sha[:])})
	}
	hostile := tarballOf(map[string]string{"package/package.json": `{"name":"pkg","version":"1.0.0"}`, "package/../../../etc/cron.d/x": "* * * * * root sh"})
	for _, tc := range []struct {
		name   string
		path   string
		body   any
		status int
		code   string
	}{
		{"not JSON", "/r/npm-local/pkg", "{nope", 400, "malformed_publish"},
		{"wrong shasum", "/r/npm-local/pkg", publishBodyDist("pkg", "1.0.0", tarball("pkg", "1.0.0", []byte(tgz)), map[string]any{"shasum": strings.Repeat("0", 40)}), 400, "upload_verification_failed"},
		{"name differs from the URL", "/r/npm-local/other", publishBody("pkg", "1.0.0", []byte(tgz)), 400, "bad_request"},
		{"no digest", "/r/npm-local/pkg", publishBodyDist("pkg", "1.0.0", tarball("pkg", "1.0.0", []byte(tgz)), map[string]any{}), 400, "bad_request"},
		{"attachments before versions", "/r/npm-local/pkg", map[string]any{"_attachments": map[string]any{}, "versions": map[string]any{}}, 400, "malformed_publish"},
		{"invalid version", "/r/npm-local/pkg", publishBody("pkg", "not-semver", []byte(tgz)), 400, "bad_request"},
		{"capital letters", "/r/npm-local/Pkg", publishBody("Pkg", "1.0.0", []byte(tgz)), 400, "bad_request"},
		{"metadata update of a missing package", "/r/npm-local/pkg", map[string]any{"name": "pkg", "versions": map[string]any{}}, 404, "package_not_found"},
		{"tarball not gzip", "/r/npm-local/pkg", withTarball("pkg", "1.0.0", []byte("not really gzip, but bytes")), 400, "npm_tarball_invalid"},
		{"truncated tarball", "/r/npm-local/pkg", withTarball("pkg", "1.0.0", good[:len(good)-20]), 400, "npm_tarball_invalid"},
		{"tarball of another package", "/r/npm-local/pkg", withTarball("pkg", "1.0.0", tarball("evil", "1.0.0", nil)), 400, "npm_tarball_mismatch"},
		{"tarball of another version", "/r/npm-local/pkg", withTarball("pkg", "1.0.0", tarball("pkg", "6.6.6", nil)), 400, "npm_tarball_mismatch"},
		{"traversal in a tarball member", "/r/npm-local/pkg", withTarball("pkg", "1.0.0", hostile), 400, "npm_tarball_invalid"},
		{"traversal in the tarball name", "/r/npm-local/pkg/-/..%2F..%2Fetc%2Fpasswd", nil, 404, "file_not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := "PUT"
			if tc.body == nil {
				method = "GET"
			}
			r := env.Do(t, method, tc.path, env.AdminToken, tc.body)
			if r.Status != tc.status || !strings.Contains(string(r.Body), `"code":"`+tc.code+`"`) {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
		})
	}
	var pkgs struct{ Items []any }
	env.Must(t, 200, "GET", "/v1/repos/npm-local/packages", env.AdminToken, nil).JSON(t, &pkgs)
	if len(pkgs.Items) != 0 {
		t.Fatalf("refused publishes left packages: %+v", pkgs.Items)
	}
}

// TestNativeAuthorization: who may do what on the npm endpoints.
func TestNativeAuthorization(t *testing.T) {
	env := startNPM(t)
	env.CreateRepo(t, "npm-public", map[string]any{"format": "npm", "settings": map[string]any{"anonymousRead": true}})
	env.Must(t, 201, "PUT", "/r/npm-local/pkg", env.AdminToken, publishBody("pkg", "1.0.0", []byte(tgz)))
	env.Must(t, 201, "PUT", "/r/npm-public/pkg", env.AdminToken, publishBody("pkg", "1.0.0", []byte(tgz)))
	reader := env.Token(t, "reader", "repo:npm-local:read")
	writer := env.Token(t, "writer", "repo:npm-local:write")
	other := env.Token(t, "other", "repo:npm-public:read")
	for _, tc := range []struct {
		method, path, token string
		body                any
		status              int
	}{
		{"GET", "/r/npm-local/pkg", "", nil, 401},
		{"GET", "/r/npm-local/pkg", "afp_not_a_real_token", nil, 401},
		{"GET", "/r/npm-local/pkg", other, nil, 404},
		{"GET", "/r/npm-local/pkg", reader, nil, 200},
		{"GET", "/r/npm-local/pkg/-/pkg-1.0.0.tgz", reader, nil, 200},
		{"PUT", "/r/npm-local/pkg2", reader, publishBody("pkg2", "1.0.0", []byte(tgz)), 403},
		{"PUT", "/r/npm-local/pkg2", writer, publishBody("pkg2", "1.0.0", []byte(tgz)), 201},
		{"PUT", "/r/npm-local/-/package/pkg/dist-tags/next", reader, json.RawMessage(`"1.0.0"`), 403},
		{"PUT", "/r/npm-local/-/package/pkg/dist-tags/next", writer, json.RawMessage(`"1.0.0"`), 201},
		{"GET", "/r/npm-local/-/whoami", "", nil, 401},
		{"GET", "/r/npm-public/pkg", "", nil, 200},
		{"GET", "/r/npm-public/pkg/-/pkg-1.0.0.tgz", "", nil, 200},
		{"PUT", "/r/npm-public/pkg3", "", publishBody("pkg3", "1.0.0", []byte(tgz)), 401},
		{"GET", "/r/nothere/pkg", reader, nil, 404},
		// Unpublishing tombstones published versions: repository admins only.
		{"DELETE", "/r/npm-local/pkg/-rev/1-0", "", nil, 401},
		{"DELETE", "/r/npm-local/pkg/-rev/1-0", writer, nil, 403},
		{"PUT", "/r/npm-local/pkg/-rev/1-0", writer, map[string]any{"versions": map[string]any{}}, 403},
		{"DELETE", "/r/npm-local/pkg/-/pkg-1.0.0.tgz/-rev/1-0", reader, nil, 403},
		{"GET", "/r/npm-local/pkg", reader, nil, 200},
		{"DELETE", "/r/npm-local/pkg/-/pkg-1.0.0.tgz/-rev/1-0", env.AdminToken, nil, 200},
		{"GET", "/r/npm-local/pkg", reader, nil, 404},
	} {
		r := env.Do(t, tc.method, tc.path, tc.token, tc.body)
		if r.Status != tc.status {
			t.Errorf("%s %s as %q: %d %s, want %d", tc.method, tc.path, tc.token[:min(len(tc.token), 8)], r.Status, r.Body, tc.status)
		}
		if r.Status == 401 && len(r.Header.Values("WWW-Authenticate")) != 2 {
			t.Errorf("%s %s: 401 without the Basic and Bearer challenges: %v", tc.method, tc.path, r.Header.Values("WWW-Authenticate"))
		}
	}
}

// TestUnpublishRefusesBadInput: malformed packuments and unknown tarballs
// get a 4xx with a stable code and tombstone nothing.
func TestUnpublishRefusesBadInput(t *testing.T) {
	env := startNPM(t)
	env.Must(t, 201, "PUT", "/r/npm-local/pkg", env.AdminToken, publishBody("pkg", "1.0.0", []byte(tgz)))
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"not JSON", "PUT", "/r/npm-local/pkg/-rev/1-0", "{nope", 400, "bad_request"},
		{"no versions", "PUT", "/r/npm-local/pkg/-rev/1-0", map[string]any{"name": "pkg"}, 400, "bad_request"},
		{"too large", "PUT", "/r/npm-local/pkg/-rev/1-0", `{"versions":{"` + strings.Repeat("x", 33<<20) + `":{}}}`, 413, "payload_too_large"},
		{"a tag on a missing version", "PUT", "/r/npm-local/pkg/-rev/1-0", map[string]any{"versions": map[string]any{"1.0.0": map[string]any{}}, "dist-tags": map[string]any{"latest": "9.9.9"}}, 400, "bad_request"},
		{"unknown tarball", "DELETE", "/r/npm-local/pkg/-/pkg-9.9.9.tgz/-rev/1-0", nil, 404, "file_not_found"},
		{"unknown package", "DELETE", "/r/npm-local/nope/-rev/1-0", nil, 404, "package_not_found"},
		{"a rev without its value", "DELETE", "/r/npm-local/pkg/-rev", nil, 405, "method_not_allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(t, tc.method, tc.path, env.AdminToken, tc.body)
			if r.Status != tc.status || !strings.Contains(string(r.Body), `"code":"`+tc.code+`"`) {
				t.Fatalf("%d %.300s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
		})
	}
	var v struct{ State string }
	env.Must(t, 200, "GET", "/v1/repos/npm-local/packages/pkg/versions/1.0.0", env.AdminToken, nil).JSON(t, &v)
	if v.State != "published" {
		t.Fatalf("after refused unpublishes the version is %s", v.State)
	}
}

// TestTarballURLsBehindAProxy: behind a trusted reverse proxy, packument
// links use the address clients reach the proxy at.
func TestTarballURLsBehindAProxy(t *testing.T) {
	env := startNPM(t, func(c *config.Config) { c.TrustedProxies = "127.0.0.1,::1" })
	env.Must(t, 201, "PUT", "/r/npm-local/@acme%2fpkg", env.AdminToken, publishBody("@acme/pkg", "1.0.0", []byte(tgz)))
	req := env.Request(t, "GET", "/r/npm-local/@acme%2fpkg", nil)
	req.Header.Set("Authorization", "Bearer "+env.AdminToken)
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("X-Forwarded-Host", "npm.example.com")
	req.Header.Set("X-Forwarded-Prefix", "/artifacts")
	resp, err := env.HTTP.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Versions map[string]struct {
			Dist struct{ Tarball, Integrity string }
		}
	}
	if err := jsonDecode(resp, &doc); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	want := "https://npm.example.com/artifacts/r/npm-local/@acme/pkg/-/pkg-1.0.0.tgz"
	if got := doc.Versions["1.0.0"].Dist.Tarball; got != want {
		t.Fatalf("tarball URL %q, want %q", got, want)
	}
	if !strings.HasPrefix(doc.Versions["1.0.0"].Dist.Integrity, "sha512-") {
		t.Fatalf("integrity %q", doc.Versions["1.0.0"].Dist.Integrity)
	}
}

// TestLegacyLogin: npm's couch login exchanges a token (the password) for
// a new token of the same subject and scopes; a wrong password is 401.
func TestLegacyLogin(t *testing.T) {
	env := startNPM(t)
	reader := env.Token(t, "dev", "repo:npm-local:read")
	path := "/r/npm-local/-/user/org.couchdb.user:dev"
	r := env.Must(t, 201, "PUT", path, "", map[string]any{"name": "dev", "password": reader, "type": "user"})
	var out struct{ Token string }
	r.JSON(t, &out)
	if !strings.HasPrefix(out.Token, "afp_") || out.Token == reader {
		t.Fatalf("login token %q", out.Token)
	}
	var who struct{ Username string }
	env.Must(t, 200, "GET", "/r/npm-local/-/whoami", out.Token, nil).JSON(t, &who)
	if who.Username != "dev" {
		t.Fatalf("whoami with the login token: %+v", who)
	}
	// Same scopes, no more: the new token reads but cannot publish.
	env.Must(t, 404, "GET", "/r/npm-local/-/package/x/dist-tags", out.Token, nil) // read passes: the package is missing
	env.Must(t, 403, "PUT", "/r/npm-local/pkg", out.Token, publishBody("pkg", "1.0.0", []byte(tgz)))
	for _, pw := range []string{"", "hunter2", "afp_not_a_real_token_at_all"} {
		if r := env.Do(t, "PUT", path, "", map[string]any{"name": "dev", "password": pw}); r.Status != 401 {
			t.Errorf("password %q: %d %s", pw, r.Status, r.Body)
		}
	}
}

// TestRefusedPublishCanBeRetried: a publish refused after drafting (a
// policy, a second tarball) leaves no draft, so the retry publishes; a bad
// dist-tag is refused before anything is stored; a held version does not
// take the package's tags.
func TestRefusedPublishCanBeRetried(t *testing.T) {
	env := startNPM(t)
	env.Must(t, 201, "POST", "/v1/repos/npm-local/policies", env.AdminToken, map[string]any{
		"name": "no-pkg", "expression": "version.name != 'pkg'", "action": "deny", "message": "not today",
	})
	if r := env.Do(t, "PUT", "/r/npm-local/pkg", env.AdminToken, publishBody("pkg", "1.0.0", []byte(tgz))); r.Status != 403 || !strings.Contains(string(r.Body), "policy_denied") {
		t.Fatalf("denied publish: %d %s", r.Status, r.Body)
	}
	env.Must(t, 204, "DELETE", "/v1/repos/npm-local/policies/no-pkg", env.AdminToken, nil)
	env.Must(t, 201, "PUT", "/r/npm-local/pkg", env.AdminToken, publishBody("pkg", "1.0.0", []byte(tgz)))

	twice := strings.Replace(string(publishBody("two", "1.0.0", []byte(tgz))), `}}}`, `},"two-1.0.1.tgz":{"data":"eA==","length":1}}}`, 1)
	if r := env.Do(t, "PUT", "/r/npm-local/two", env.AdminToken, json.RawMessage(twice)); r.Status != 400 {
		t.Fatalf("two tarballs: %d %s", r.Status, r.Body)
	}
	env.Must(t, 404, "GET", "/v1/repos/npm-local/packages/two/versions", env.AdminToken, nil)

	badTag := strings.Replace(string(publishBody("tagged", "1.0.0", []byte(tgz))), `"latest"`, `"bad tag"`, 1)
	if r := env.Do(t, "PUT", "/r/npm-local/tagged", env.AdminToken, json.RawMessage(badTag)); r.Status != 400 {
		t.Fatalf("bad dist-tag: %d %s", r.Status, r.Body)
	}
	env.Must(t, 404, "GET", "/v1/repos/npm-local/packages/tagged/versions", env.AdminToken, nil)

	env.Must(t, 201, "POST", "/v1/repos/npm-local/policies", env.AdminToken, map[string]any{
		"name": "hold", "expression": "false", "action": "quarantine", "message": "held",
	})
	env.Must(t, 201, "PUT", "/r/npm-local/pkg", env.AdminToken, publishBody("pkg", "2.0.0", []byte(tgz+"2")))
	var tags map[string]string
	env.Must(t, 200, "GET", "/r/npm-local/-/package/pkg/dist-tags", env.AdminToken, nil).JSON(t, &tags)
	if tags["latest"] != "1.0.0" {
		t.Fatalf("a held version took latest: %v", tags)
	}
}

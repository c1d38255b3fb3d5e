package npm_test

import (
	"strings"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/servertest"
)

// TestRemoteUpstreamCredentials: a remote repository presents its
// credentials (Bearer or Basic) to an upstream that needs them, and no
// answer or audit record ever shows the secret.
func TestRemoteUpstreamCredentials(t *testing.T) {
	up := servertest.Start(t, servertest.Backends()[0])
	up.CreateRepo(t, "npm-local", map[string]any{"format": "npm"})
	data := []byte("private bytes")
	up.Must(t, 201, "PUT", "/r/npm-local/secret-lib", up.AdminToken, publishBody("secret-lib", "1.0.0", data))
	upstreamToken := up.Token(t, "mirror", "repo:npm-local:read")

	env := startNPM(t, func(c *config.Config) { c.OutboundAllow = "127.0.0.1" })
	remoteRepo(t, env, "npm-remote", up.URL, map[string]any{"metadataTtlSeconds": 1})
	creds := "/v1/repos/npm-remote/upstream-credentials"
	if r := env.Do(t, "GET", "/r/npm-remote/secret-lib", env.AdminToken, nil); r.Status != 502 || !strings.Contains(string(r.Body), "401") {
		t.Fatalf("without credentials: %d %s", r.Status, r.Body)
	}
	for _, bad := range []map[string]any{
		{"scheme": "digest", "secret": "x"},
		{"scheme": "basic", "secret": "x"},
		{"scheme": "bearer", "username": "u", "secret": "x"},
		{"scheme": "bearer", "secret": "line\nbreak"},
		{"scheme": "bearer"},
	} {
		if r := env.Do(t, "PUT", creds, env.AdminToken, bad); r.Status != 400 {
			t.Errorf("credentials %v: %d %s", bad, r.Status, r.Body)
		}
	}
	if r := env.Do(t, "GET", creds, env.AdminToken, nil); r.Status != 404 || !strings.Contains(string(r.Body), "credentials_not_found") {
		t.Errorf("no credentials yet: %d %s", r.Status, r.Body)
	}

	env.Must(t, 200, "PUT", creds, env.AdminToken, map[string]any{"scheme": "bearer", "secret": upstreamToken})
	env.Must(t, 200, "GET", "/r/npm-remote/secret-lib", env.AdminToken, nil)
	if got := string(env.Must(t, 200, "GET", "/r/npm-remote/secret-lib/-/secret-lib-1.0.0.tgz", env.AdminToken, nil).Body); got != string(tarball("secret-lib", "1.0.0", data)) {
		t.Errorf("tarball through bearer credentials: %q", got)
	}

	// Basic, as npm registries take a token as the password.
	env.Must(t, 200, "PUT", creds, env.AdminToken, map[string]any{"scheme": "basic", "username": "mirror", "secret": upstreamToken})
	time.Sleep(1100 * time.Millisecond) // past the TTL: the packument is asked for again
	if r := env.Must(t, 200, "GET", "/r/npm-remote/secret-lib", env.AdminToken, nil); r.Header.Get("X-Artifortress-Stale") != "" {
		t.Errorf("revalidation with basic credentials failed: served stale")
	}

	var info struct{ Scheme, Username, UpdatedBy string }
	r := env.Must(t, 200, "GET", creds, env.AdminToken, nil)
	r.JSON(t, &info)
	if info.Scheme != "basic" || info.Username != "mirror" || info.UpdatedBy != "admin" {
		t.Errorf("credentials info %+v", info)
	}
	for what, body := range map[string][]byte{
		"credentials": r.Body,
		"repository":  env.Must(t, 200, "GET", "/v1/repos/npm-remote", env.AdminToken, nil).Body,
		"audit":       env.Must(t, 200, "GET", "/v1/audit/export?repo=npm-remote", env.AdminToken, nil).Body,
	} {
		if strings.Contains(string(body), upstreamToken) {
			t.Errorf("the %s answer shows the upstream secret", what)
		}
	}
	env.Must(t, 204, "DELETE", creds, env.AdminToken, nil)
	if r := env.Do(t, "DELETE", creds, env.AdminToken, nil); r.Status != 404 {
		t.Errorf("clearing twice: %d %s", r.Status, r.Body)
	}
}

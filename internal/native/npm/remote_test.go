package npm_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/servertest"
)

// startUpstream runs a node with an anonymously readable npm repository
// holding left@1.0.0, left@1.1.0 and @acme/util@2.0.0, behind a proxy.
func startUpstream(t *testing.T) *servertest.UpstreamProxy {
	t.Helper()
	up := servertest.Start(t, servertest.Backends()[0])
	up.CreateRepo(t, "npm-local", map[string]any{"format": "npm", "settings": map[string]any{"anonymousRead": true}})
	for _, p := range []struct{ name, version string }{{"left", "1.0.0"}, {"left", "1.1.0"}, {"@acme/util", "2.0.0"}} {
		data := []byte(tgz + " of " + p.name + "@" + p.version)
		up.Must(t, 201, "PUT", "/r/npm-local/"+strings.Replace(p.name, "/", "%2f", 1), up.AdminToken, publishBody(p.name, p.version, data))
	}
	return servertest.NewUpstreamProxy(t, up.URL)
}

func remoteRepo(t *testing.T, env *servertest.Env, key, upstream string, settings map[string]any) {
	t.Helper()
	env.CreateRepo(t, key, map[string]any{"format": "npm", "type": "remote", "upstreamUrl": upstream + "/r/npm-local/", "settings": settings})
}

// TestRemoteRepository: a remote npm repository serves the upstream's
// packuments with links to itself, fetches each tarball once however many
// ask at the same time, verifies and caches it, and keeps serving what it
// cached when the upstream is gone.
func TestRemoteRepository(t *testing.T) {
	up := startUpstream(t)
	env := startNPM(t, func(c *config.Config) { c.OutboundAllow = "127.0.0.1" })
	remoteRepo(t, env, "npm-remote", up.URL, map[string]any{"metadataTtlSeconds": 1})
	reader := env.Token(t, "reader", "repo:npm-remote:read")

	var pk struct {
		Versions map[string]struct {
			Dist struct{ Tarball, Shasum string }
		}
		DistTags map[string]string `json:"dist-tags"`
	}
	env.Must(t, 200, "GET", "/r/npm-remote/left", reader, nil).JSON(t, &pk)
	if len(pk.Versions) != 2 || pk.DistTags["latest"] != "1.1.0" {
		t.Fatalf("packument %+v", pk)
	}
	if got := pk.Versions["1.1.0"].Dist.Tarball; got != env.URL+"/r/npm-remote/left/-/left-1.1.0.tgz" {
		t.Errorf("tarball link %q", got)
	}

	// Eight readers at once: one upstream fetch, the same bytes for all.
	var wg sync.WaitGroup
	bodies := make([]string, 8)
	for i := range bodies {
		wg.Go(func() {
			r := env.Do(t, "GET", "/r/npm-remote/left/-/left-1.1.0.tgz", reader, nil)
			if r.Status != 200 {
				t.Errorf("concurrent tarball GET: %d %s", r.Status, r.Body)
			}
			bodies[i] = string(r.Body)
		})
	}
	wg.Wait()
	for _, b := range bodies {
		if b != string(tarball("left", "1.1.0", []byte(tgz+" of left@1.1.0"))) {
			t.Fatalf("tarball bytes %q", b)
		}
	}
	if n := up.Count("/r/npm-local/left/-/left-1.1.0.tgz"); n != 1 {
		t.Errorf("the upstream served the tarball %d times, want 1", n)
	}
	var v struct{ State, PublishedBy string }
	env.Must(t, 200, "GET", "/v1/repos/npm-remote/packages/left/versions/1.1.0", env.AdminToken, nil).JSON(t, &v)
	if v.State != "published" || v.PublishedBy != "reader" {
		t.Errorf("cached version %+v", v)
	}
	metrics := string(env.Must(t, 200, "GET", "/metrics", "", nil).Body)
	if !strings.Contains(metrics, `artifortress_remote_requests_total{kind="artifact",repo="npm-remote",result="miss"} 1`) {
		t.Errorf("metrics lack the one artifact miss:\n%s", grepLines(metrics, "artifortress_remote_"))
	}

	// Scoped names, fetched with the upstream's escaping.
	env.Must(t, 200, "GET", "/r/npm-remote/@acme%2futil/-/util-2.0.0.tgz", reader, nil)

	// Writes belong to local repositories.
	if r := env.Do(t, "PUT", "/r/npm-remote/left", env.AdminToken, publishBody("left", "9.0.0", []byte(tgz))); r.Status != 405 || !strings.Contains(string(r.Body), "repository_not_local") {
		t.Errorf("publish to a remote: %d %s", r.Status, r.Body)
	}

	// The upstream goes away: cached tarballs and (stale) packuments are
	// still served; what was never cached is a 502.
	up.SetAlive(false)
	time.Sleep(1100 * time.Millisecond) // past the metadata TTL
	r := env.Do(t, "GET", "/r/npm-remote/left", reader, nil)
	if r.Status != 200 || r.Header.Get("X-Artifortress-Stale") == "" || !strings.Contains(r.Header.Get("Warning"), "110") {
		t.Errorf("packument with the upstream down: %d %v", r.Status, r.Header)
	}
	if r := env.Do(t, "GET", "/r/npm-remote/left/-/left-1.1.0.tgz", reader, nil); r.Status != 200 {
		t.Errorf("cached tarball with the upstream down: %d %s", r.Status, r.Body)
	}
	if r := env.Do(t, "GET", "/r/npm-remote/left/-/left-1.0.0.tgz", reader, nil); r.Status != 502 || !strings.Contains(string(r.Body), "upstream_unavailable") {
		t.Errorf("uncached tarball with the upstream down: %d %s", r.Status, r.Body)
	}
	if r := env.Do(t, "GET", "/r/npm-remote/never-seen", reader, nil); r.Status != 502 {
		t.Errorf("uncached packument with the upstream down: %d %s", r.Status, r.Body)
	}
	up.SetAlive(true)
	if r := env.Do(t, "GET", "/r/npm-remote/left/-/left-1.0.0.tgz", reader, nil); r.Status != 200 {
		t.Errorf("tarball once the upstream is back: %d %s", r.Status, r.Body)
	}
	if r := env.Do(t, "GET", "/r/npm-remote/nothing-here", reader, nil); r.Status != 404 || !strings.Contains(string(r.Body), "package_not_found") {
		t.Errorf("a package the upstream does not have: %d %s", r.Status, r.Body)
	}
}

// TestRemotePoliciesAndQuarantine: cached content goes through the remote
// repository's policies — a minimum age on the upstream's publish time, a
// quarantine — and what they keep out is neither served nor offered.
func TestRemotePoliciesAndQuarantine(t *testing.T) {
	up := startUpstream(t)
	env := startNPM(t, func(c *config.Config) { c.OutboundAllow = "127.0.0.1" })
	remoteRepo(t, env, "npm-remote", up.URL, nil)
	env.Must(t, 201, "POST", "/v1/repos/npm-remote/policies", env.AdminToken, map[string]any{
		"name": "min-age", "expression": "!has(version.upstreamPublishedAt) || now - version.upstreamPublishedAt >= duration('72h')",
		"action": "deny", "message": "versions younger than three days are not served",
	})
	r := env.Do(t, "GET", "/r/npm-remote/left/-/left-1.1.0.tgz", env.AdminToken, nil)
	if r.Status != 403 || !strings.Contains(string(r.Body), "policy_denied") || !strings.Contains(string(r.Body), "younger than three days") {
		t.Fatalf("a too young version: %d %s", r.Status, r.Body)
	}
	var pk struct{ Versions map[string]any }
	env.Must(t, 200, "GET", "/r/npm-remote/left", env.AdminToken, nil).JSON(t, &pk)
	if _, offered := pk.Versions["1.1.0"]; offered || len(pk.Versions) != 1 {
		t.Errorf("the refused version is still offered: %v", pk.Versions)
	}
	var denials struct {
		Items []struct{ Policy, Decision string }
	}
	var v struct{ VersionID string }
	env.Must(t, 200, "GET", "/v1/repos/npm-remote/packages/left/versions/1.1.0", env.AdminToken, nil).JSON(t, &v)
	env.Must(t, 200, "GET", "/v1/repos/npm-remote/packages/versions/"+v.VersionID+"/evaluations", env.AdminToken, nil).JSON(t, &denials)
	if len(denials.Items) == 0 || denials.Items[0].Policy != "min-age" || denials.Items[0].Decision != "deny" {
		t.Errorf("evaluation log %+v", denials.Items)
	}

	// Once the policy allows it (here: removed), the same request caches it.
	env.Must(t, 204, "DELETE", "/v1/repos/npm-remote/policies/min-age", env.AdminToken, nil)
	env.Must(t, 200, "GET", "/r/npm-remote/left/-/left-1.1.0.tgz", env.AdminToken, nil)

	// A quarantine policy holds cached content: 423, and not offered.
	env.Must(t, 201, "POST", "/v1/repos/npm-remote/policies", env.AdminToken, map[string]any{
		"name": "review-scoped", "expression": "!version.package.startsWith('@acme/')", "action": "quarantine", "message": "scoped packages are reviewed",
	})
	if r := env.Do(t, "GET", "/r/npm-remote/@acme%2futil/-/util-2.0.0.tgz", env.AdminToken, nil); r.Status != 423 || !strings.Contains(string(r.Body), "quarantined") {
		t.Errorf("a held cached tarball: %d %s", r.Status, r.Body)
	}
	if r := env.Do(t, "GET", "/r/npm-remote/@acme%2futil/-/util-2.0.0.tgz", env.AdminToken, nil); r.Status != 423 {
		t.Errorf("a held cached tarball, asked again: %d %s", r.Status, r.Body)
	}
	var scoped struct{ Versions map[string]any }
	env.Must(t, 200, "GET", "/r/npm-remote/@acme%2futil", env.AdminToken, nil).JSON(t, &scoped)
	if len(scoped.Versions) != 0 {
		t.Errorf("a held version is offered: %v", scoped.Versions)
	}
}

// TestRemoteOutboundGuard: without --outbound-allow a remote repository
// cannot reach a loopback upstream (SSRF guard).
func TestRemoteOutboundGuard(t *testing.T) {
	up := startUpstream(t)
	env := startNPM(t)
	remoteRepo(t, env, "npm-remote", up.URL, nil)
	r := env.Do(t, "GET", "/r/npm-remote/left", env.AdminToken, nil)
	if r.Status != 502 || !strings.Contains(string(r.Body), "upstream_unavailable") {
		t.Errorf("a loopback upstream without an allow-list: %d %s", r.Status, r.Body)
	}
	if n := up.Count("/r/npm-local/left"); n != 0 {
		t.Errorf("the guarded request reached the upstream %d times", n)
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

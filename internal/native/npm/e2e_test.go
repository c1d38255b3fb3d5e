package npm_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/servertest"
	"github.com/artifortress/artifortress/internal/testenv"
)

// npmClient runs the real npm CLI against a node, isolated from the
// machine's npm configuration and cache.
type npmClient struct {
	t    *testing.T
	bin  string
	home string
}

func newNPM(t *testing.T) *npmClient {
	t.Helper()
	return &npmClient{t: t, bin: testenv.Tool(t, "npm"), home: t.TempDir()}
}

// project makes a directory with a package.json and an .npmrc pointing at
// registry with token ("" for none).
func (c *npmClient) project(registry, token, packageJSON string) string {
	c.t.Helper()
	dir := c.t.TempDir()
	rc := "registry=" + registry + "\n"
	if token != "" {
		rc += "//" + strings.TrimPrefix(strings.TrimPrefix(registry, "http://"), "https://") + ":_authToken=" + token + "\n"
	}
	for name, body := range map[string]string{".npmrc": rc, "package.json": packageJSON, "index.js": "module.exports = require('./package.json').version;\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			c.t.Fatal(err)
		}
	}
	return dir
}

// run runs npm in dir and returns its output and whether it succeeded.
func (c *npmClient) run(dir string, args ...string) (string, bool) {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+c.home, "npm_config_cache="+filepath.Join(c.home, "cache"),
		"npm_config_userconfig="+filepath.Join(dir, ".npmrc"), "npm_config_update_notifier=false",
		"npm_config_audit=false", "npm_config_fund=false", "npm_config_loglevel=warn")
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

func (c *npmClient) must(dir string, args ...string) string {
	c.t.Helper()
	out, ok := c.run(dir, args...)
	if !ok {
		c.t.Fatalf("npm %s: %s", strings.Join(args, " "), out)
	}
	return out
}

// TestNPMClient drives the real npm CLI: publish (scoped and unscoped, with
// --tag), install into a fresh project, view, dist-tag, whoami, ping,
// deprecate, unpublish (a version, a package) and a restore; a
// republished version and an unauthenticated install are refused; a
// quarantine policy keeps a published version out of installs until it is
// released.
func TestNPMClient(t *testing.T) {
	npm := newNPM(t)
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "npm-local", map[string]any{"format": "npm"})
	registry := env.URL + "/r/npm-local/"
	tok := env.Token(t, "ci", "repo:npm-local:write")

	scoped := npm.project(registry, tok, `{"name":"@acme/hello","version":"1.0.0","license":"MIT"}`)
	npm.must(scoped, "publish")
	plain := npm.project(registry, tok, `{"name":"greet","version":"2.0.0","license":"MIT","dependencies":{"@acme/hello":"^1.0.0"}}`)
	npm.must(plain, "publish")
	if err := os.WriteFile(filepath.Join(scoped, "package.json"), []byte(`{"name":"@acme/hello","version":"1.1.0-beta.1","license":"MIT"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	npm.must(scoped, "publish", "--tag", "beta")

	app := npm.project(registry, tok, `{"name":"app","version":"1.0.0","private":true}`)
	npm.must(app, "install", "greet", "@acme/hello")
	if out := npm.must(app, "exec", "--", "node", "-e", "console.log(require('greet'), require('@acme/hello'))"); !strings.Contains(out, "2.0.0 1.0.0") {
		t.Fatalf("installed packages: %s", out)
	}
	npm.must(app, "ci") // from the lockfile npm wrote: tarball URLs and integrity must hold
	if out := npm.must(app, "view", "@acme/hello", "dist-tags", "--json"); !strings.Contains(out, `"beta": "1.1.0-beta.1"`) || !strings.Contains(out, `"latest": "1.0.0"`) {
		t.Fatalf("dist-tags: %s", out)
	}
	npm.must(app, "dist-tag", "add", "@acme/hello@1.1.0-beta.1", "latest")
	if out := npm.must(app, "dist-tag", "ls", "@acme/hello"); !strings.Contains(out, "latest: 1.1.0-beta.1") {
		t.Fatalf("dist-tag ls: %s", out)
	}
	npm.must(app, "dist-tag", "rm", "@acme/hello", "beta")
	if out := npm.must(app, "whoami"); strings.TrimSpace(out) != "ci" {
		t.Fatalf("whoami: %q", out)
	}
	npm.must(app, "ping")
	// npm search reads the search index, which the event worker fills.
	for {
		n, err := env.Server.Worker().RunOnce(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	if out := npm.must(app, "search", "hello", "--json"); !strings.Contains(out, `"name":"@acme/hello"`) || strings.Contains(out, `"name":"greet"`) {
		t.Fatalf("npm search hello: %s", out)
	}

	// Deprecation notices live beside the immutable versions.
	npm.must(app, "deprecate", "greet@2.0.0", "use greet 3")
	if out := npm.must(app, "view", "greet", "deprecated"); !strings.Contains(out, "use greet 3") {
		t.Fatalf("deprecated: %s", out)
	}
	fresh := npm.project(registry, tok, `{"name":"fresh","version":"1.0.0","private":true}`)
	if out := npm.must(fresh, "install", "greet@2.0.0"); !strings.Contains(out, "deprecated") {
		t.Fatalf("install of a deprecated version does not warn: %s", out)
	}
	npm.must(app, "deprecate", "greet@2.0.0", "")
	if out := npm.must(app, "view", "greet", "deprecated"); strings.TrimSpace(out) != "" {
		t.Fatalf("undeprecated: %q", out)
	}
	// npm unpublish tombstones: a writer may not, an administrator may;
	// one version (the PUT/DELETE-tarball dance, dist-tags fixed up by
	// npm) or the whole package; restorable through the API.
	if out, ok := npm.run(app, "unpublish", "greet@2.0.0", "--force"); ok || !strings.Contains(out, "403") {
		t.Fatalf("unpublish by a writer: ok=%v %s", ok, out)
	}
	admin := npm.project(registry, env.AdminToken, `{"name":"admin","version":"1.0.0","private":true}`)
	npm.must(admin, "unpublish", "@acme/hello@1.1.0-beta.1")
	if out := npm.must(app, "view", "@acme/hello", "versions", "dist-tags", "--json"); !strings.Contains(out, `"latest": "1.0.0"`) || strings.Contains(out, "1.1.0-beta.1") {
		t.Fatalf("after unpublishing one version: %s", out)
	}
	npm.must(admin, "unpublish", "greet", "--force")
	if out, ok := npm.run(app, "view", "greet"); ok || !strings.Contains(out, "E404") {
		t.Fatalf("view of an unpublished package: ok=%v %s", ok, out)
	}
	var greet struct{ VersionID, State, TombstoneReason string }
	env.Must(t, 200, "GET", "/v1/repos/npm-local/packages/greet/versions/2.0.0", env.AdminToken, nil).JSON(t, &greet)
	if greet.State != "tombstoned" || greet.TombstoneReason != "npm unpublish" {
		t.Fatalf("unpublished version %+v", greet)
	}
	env.Must(t, 200, "POST", "/v1/repos/npm-local/packages/versions/"+greet.VersionID+"/restore", env.AdminToken, nil)
	if out := npm.must(app, "view", "greet", "version"); strings.TrimSpace(out) != "2.0.0" {
		t.Fatalf("restored package: %q", out)
	}
	// A published version never changes.
	if out, ok := npm.run(plain, "publish"); ok || !strings.Contains(out, "403") && !strings.Contains(out, "cannot publish over") {
		t.Fatalf("republish: ok=%v %s", ok, out)
	}
	// Without a token the registry answers 401 with a challenge.
	anon := npm.project(registry, "", `{"name":"anon","version":"1.0.0","private":true}`)
	if out, ok := npm.run(anon, "install", "greet"); ok || !strings.Contains(out, "E401") {
		t.Fatalf("anonymous install: ok=%v %s", ok, out)
	}

	// A quarantine policy: npm publish succeeds, installs do not see the
	// version until it is released.
	env.Must(t, 201, "POST", "/v1/repos/npm-local/policies", env.AdminToken, map[string]any{
		"name": "reviewed", "expression": "'reviewed' in version.labels", "action": "quarantine", "message": "new packages are reviewed first",
	})
	held := npm.project(registry, tok, `{"name":"held","version":"1.0.0","license":"MIT"}`)
	npm.must(held, "publish")
	if out, ok := npm.run(app, "install", "held"); ok {
		t.Fatalf("a held version installed: %s", out)
	}
	var lane struct{ Items []struct{ ID string } }
	env.Must(t, 200, "GET", "/v1/repos/npm-local/quarantine?status=quarantined", env.AdminToken, nil).JSON(t, &lane)
	if len(lane.Items) != 1 {
		t.Fatalf("quarantine lane: %+v", lane.Items)
	}
	env.Must(t, 200, "POST", "/v1/repos/npm-local/quarantine/"+lane.Items[0].ID+"/release", env.AdminToken, nil)
	npm.must(app, "install", "held")
}

// TestNPMClientThroughRemote: the real npm installs through a virtual
// repository whose members are a local repository and a remote one whose
// upstream is another node, and installs again from the remote's cache
// (with an empty npm cache) once the upstream is gone.
func TestNPMClientThroughRemote(t *testing.T) {
	npm := newNPM(t)
	upstream := servertest.Start(t, servertest.Backends()[0])
	upstream.CreateRepo(t, "npm-local", map[string]any{"format": "npm", "settings": map[string]any{"anonymousRead": true}})
	lib := npm.project(upstream.URL+"/r/npm-local/", upstream.AdminToken, `{"name":"@acme/greet","version":"2.0.0","license":"MIT"}`)
	npm.must(lib, "publish")
	proxy := servertest.NewUpstreamProxy(t, upstream.URL)

	env := servertest.Start(t, servertest.Backends()[0], func(c *config.Config) { c.OutboundAllow = "127.0.0.1" })
	remoteRepo(t, env, "npm-remote", proxy.URL, nil)
	env.CreateRepo(t, "npm-local", map[string]any{"format": "npm"})
	ours := npm.project(env.URL+"/r/npm-local/", env.AdminToken, `{"name":"@acme/ours","version":"1.0.0","license":"MIT"}`)
	npm.must(ours, "publish")
	env.CreateRepo(t, "npm-all", map[string]any{"format": "npm", "type": "virtual", "members": []string{"npm-local", "npm-remote"}})
	reader := env.Token(t, "dev", "repo:npm-all:read", "repo:npm-local:read", "repo:npm-remote:read")
	registry := env.URL + "/r/npm-all/"
	consumer := newNPM(t) // not the publisher's npm cache, which holds the tarballs already
	app := consumer.project(registry, reader, `{"name":"app","version":"1.0.0","private":true}`)
	consumer.must(app, "install", "@acme/greet", "@acme/ours")
	if out := consumer.must(app, "exec", "--", "node", "-e", "console.log(require('@acme/greet'), require('@acme/ours'))"); !strings.Contains(out, "2.0.0 1.0.0") {
		t.Fatalf("installed through the virtual repository: %s", out)
	}
	if n := proxy.Count("/r/npm-local/@acme/greet/-/greet-2.0.0.tgz"); n != 1 {
		t.Fatalf("the remote fetched the tarball %d times from the upstream, want 1", n)
	}

	proxy.SetAlive(false)
	offline := newNPM(t) // an empty npm cache: every byte comes from the remote's cache
	again := offline.project(registry, reader, `{"name":"again","version":"1.0.0","private":true}`)
	offline.must(again, "install", "@acme/greet@2.0.0", "@acme/ours")
	if out := offline.must(again, "exec", "--", "node", "-e", "console.log(require('@acme/greet'))"); !strings.Contains(out, "2.0.0") {
		t.Fatalf("installed with the upstream down: %s", out)
	}
}

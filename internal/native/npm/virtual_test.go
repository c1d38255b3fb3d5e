package npm_test

import (
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/config"
)

// TestVirtualRepository: a virtual repository merges its members'
// packuments in order (the first member wins a version), serves each
// tarball from the member that has it, skips members the caller cannot
// read, and refuses writes.
func TestVirtualRepository(t *testing.T) {
	up := startUpstream(t)
	env := startNPM(t, func(c *config.Config) { c.OutboundAllow = "127.0.0.1" })
	remoteRepo(t, env, "npm-remote", up.URL, nil)
	local := []byte("our own left 1.1.0")
	env.Must(t, 201, "PUT", "/r/npm-local/left", env.AdminToken, publishBody("left", "1.1.0", local))
	mine := []byte("mine")
	env.Must(t, 201, "PUT", "/r/npm-local/mine", env.AdminToken, publishBody("mine", "1.0.0", mine))
	env.CreateRepo(t, "npm", map[string]any{"format": "npm", "type": "virtual", "members": []string{"npm-local", "npm-remote"}})
	everything := env.Token(t, "dev", "repo:npm:read", "repo:npm-local:read", "repo:npm-remote:read")

	var pk struct {
		Versions map[string]struct {
			Dist struct{ Tarball, Shasum string }
		}
		DistTags map[string]string `json:"dist-tags"`
	}
	env.Must(t, 200, "GET", "/r/npm/left", everything, nil).JSON(t, &pk)
	if len(pk.Versions) != 2 || pk.Versions["1.1.0"].Dist.Shasum != sha1Hex(tarball("left", "1.1.0", local)) || pk.DistTags["latest"] != "1.1.0" {
		t.Fatalf("merged packument %+v", pk)
	}
	if got := pk.Versions["1.0.0"].Dist.Tarball; got != env.URL+"/r/npm/left/-/left-1.0.0.tgz" {
		t.Errorf("tarball link %q", got)
	}
	if got := string(env.Must(t, 200, "GET", "/r/npm/left/-/left-1.1.0.tgz", everything, nil).Body); got != string(tarball("left", "1.1.0", local)) {
		t.Errorf("left 1.1.0 from the first member: %q", got)
	}
	if got := string(env.Must(t, 200, "GET", "/r/npm/left/-/left-1.0.0.tgz", everything, nil).Body); got != string(tarball("left", "1.0.0", []byte(tgz+" of left@1.0.0"))) {
		t.Errorf("left 1.0.0 through the remote member: %q", got)
	}
	env.Must(t, 200, "GET", "/r/npm/mine/-/mine-1.0.0.tgz", everything, nil)
	if r := env.Do(t, "GET", "/r/npm/nothing/-/nothing-1.0.0.tgz", everything, nil); r.Status != 404 {
		t.Errorf("a tarball no member has: %d %s", r.Status, r.Body)
	}

	// A caller who cannot read the local member gets the remote's.
	remoteOnly := env.Token(t, "guest", "repo:npm:read", "repo:npm-remote:read")
	var theirs struct {
		Versions map[string]struct{ Dist struct{ Shasum string } }
	}
	env.Must(t, 200, "GET", "/r/npm/left", remoteOnly, nil).JSON(t, &theirs)
	if theirs.Versions["1.1.0"].Dist.Shasum == sha1Hex(local) {
		t.Errorf("a caller without read on the local member got its version")
	}
	if r := env.Do(t, "GET", "/r/npm/mine", remoteOnly, nil); r.Status != 404 {
		t.Errorf("a package only the unreadable member has: %d %s", r.Status, r.Body)
	}

	if r := env.Do(t, "PUT", "/r/npm/new", env.AdminToken, publishBody("new", "1.0.0", mine)); r.Status != 405 || !strings.Contains(string(r.Body), "repository_not_local") {
		t.Errorf("publish to a virtual repository without deployTo: %d %s", r.Status, r.Body)
	}

	// With deployTo, publishes go to that local member, with the caller's
	// rights there.
	for _, bad := range []map[string]any{{"deployTo": "npm-remote"}, {"deployTo": "elsewhere"}} {
		if r := env.Do(t, "PATCH", "/v1/repos/npm", env.AdminToken, map[string]any{"settings": bad}); r.Status != 400 || !strings.Contains(string(r.Body), "settings.deployTo") {
			t.Errorf("deployTo %v: %d %s", bad, r.Status, r.Body)
		}
	}
	env.Must(t, 200, "PATCH", "/v1/repos/npm", env.AdminToken, map[string]any{"settings": map[string]any{"deployTo": "npm-local"}})
	if r := env.Do(t, "PUT", "/r/npm/new", everything, publishBody("new", "1.0.0", mine)); r.Status != 403 {
		t.Errorf("publish through the virtual repository without write on the member: %d %s", r.Status, r.Body)
	}
	writer := env.Token(t, "ci", "repo:npm:read", "repo:npm-local:write")
	env.Must(t, 201, "PUT", "/r/npm/new", writer, publishBody("new", "1.0.0", mine))
	env.Must(t, 200, "GET", "/r/npm-local/new", writer, nil)
	env.Must(t, 200, "GET", "/r/npm/new/-/new-1.0.0.tgz", writer, nil)
}

// TestNativeAuthorizationRemoteAndVirtual: who may do what through remote
// and virtual npm repositories. Unknown callers get 401 with both
// challenges; a repository the caller cannot read is 404; writes to a
// remote repository are refused for everyone (405); writes through a
// virtual repository need write on the member it deploys to.
func TestNativeAuthorizationRemoteAndVirtual(t *testing.T) {
	up := startUpstream(t)
	env := startNPM(t, func(c *config.Config) { c.OutboundAllow = "127.0.0.1" })
	remoteRepo(t, env, "npm-remote", up.URL, nil)
	env.CreateRepo(t, "npm-all", map[string]any{"format": "npm", "type": "virtual", "members": []string{"npm-local", "npm-remote"},
		"settings": map[string]any{"deployTo": "npm-local"}})
	remoteReader := env.Token(t, "remote-reader", "repo:npm-remote:read")
	virtualOnly := env.Token(t, "virtual-only", "repo:npm-all:read")
	virtualReader := env.Token(t, "virtual-reader", "repo:npm-all:read", "repo:npm-remote:read")
	virtualWriter := env.Token(t, "virtual-writer", "repo:npm-all:read", "repo:npm-local:write")
	data := []byte("through the virtual repository")
	body := func(name string) any { return publishBody(name, "1.0.0", data) }
	for _, tc := range []struct {
		method, path, token string
		body                any
		status              int
	}{
		{"GET", "/r/npm-remote/left", "", nil, 401},
		{"GET", "/r/npm-remote/left", virtualOnly, nil, 404},
		{"GET", "/r/npm-remote/left", remoteReader, nil, 200},
		{"GET", "/r/npm-remote/left/-/left-1.0.0.tgz", "", nil, 401},
		{"GET", "/r/npm-remote/left/-/left-1.0.0.tgz", remoteReader, nil, 200},
		{"PUT", "/r/npm-remote/left", remoteReader, body("left"), 405},
		{"PUT", "/r/npm-remote/left", env.AdminToken, body("left"), 405},
		{"GET", "/r/npm-all/left", "", nil, 401},
		{"GET", "/r/npm-all/left", remoteReader, nil, 404},
		{"GET", "/r/npm-all/left", virtualOnly, nil, 404}, // no member it may read has it
		{"GET", "/r/npm-all/left", virtualReader, nil, 200},
		{"GET", "/r/npm-all/left/-/left-1.1.0.tgz", virtualReader, nil, 200},
		{"PUT", "/r/npm-all/mine", virtualReader, body("mine"), 404}, // cannot even read the member it deploys to
		{"PUT", "/r/npm-all/mine", virtualWriter, body("mine"), 201},
		{"GET", "/r/npm-all/mine", virtualWriter, nil, 200},
	} {
		r := env.Do(t, tc.method, tc.path, tc.token, tc.body)
		if r.Status != tc.status {
			t.Errorf("%s %s as %q: %d %.200s, want %d", tc.method, tc.path, tc.token[:min(len(tc.token), 8)], r.Status, r.Body, tc.status)
		}
		if r.Status == 401 && len(r.Header.Values("WWW-Authenticate")) != 2 {
			t.Errorf("%s %s: 401 without the Basic and Bearer challenges: %v", tc.method, tc.path, r.Header.Values("WWW-Authenticate"))
		}
	}
}

package npm_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/servertest"
)

// TestPackumentFollowsEveryChange: a packument is served from the node's
// rendering only while its package is unchanged. Each change the packument
// shows — a new version, a tag, a deprecation, a tombstone and a restore,
// the quarantine lane — is there in the very next GET, on both backends
// (the database bumps the package's revision in each of them).
func TestPackumentFollowsEveryChange(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.CreateRepo(t, "npm-local", map[string]any{"format": "npm"})
		publish := func(version string) {
			data := []byte("pkg " + version)
			env.Must(t, 201, "PUT", "/r/npm-local/pkg", env.AdminToken, publishBody("pkg", version, data))
		}
		type packument struct {
			Versions map[string]struct{ Deprecated string }
			DistTags map[string]string `json:"dist-tags"`
		}
		get := func() packument {
			var pk packument
			env.Must(t, 200, "GET", "/r/npm-local/pkg", env.AdminToken, nil).JSON(t, &pk)
			return pk
		}
		versionID := func(v string) string {
			var out struct{ VersionID string }
			env.Must(t, 200, "GET", "/v1/repos/npm-local/packages/pkg/versions/"+v, env.AdminToken, nil).JSON(t, &out)
			return out.VersionID
		}
		publish("1.0.0")
		if pk := get(); len(pk.Versions) != 1 || pk.DistTags["latest"] != "1.0.0" {
			t.Fatalf("first packument %+v", pk)
		}
		get() // now rendered and kept
		publish("1.1.0")
		if pk := get(); len(pk.Versions) != 2 || pk.DistTags["latest"] != "1.1.0" {
			t.Errorf("after a new version %+v", pk)
		}
		env.Must(t, 200, "PUT", "/v1/repos/npm-local/packages/pkg/tags/stable", env.AdminToken, map[string]any{"version": "1.0.0"})
		if pk := get(); pk.DistTags["stable"] != "1.0.0" {
			t.Errorf("after a tag %+v", pk)
		}
		env.Must(t, 204, "DELETE", "/v1/repos/npm-local/packages/pkg/tags/stable", env.AdminToken, nil)
		if pk := get(); pk.DistTags["stable"] != "" {
			t.Errorf("after deleting a tag %+v", pk)
		}
		pk := get()
		raw := map[string]any{"name": "pkg", "versions": map[string]any{
			"1.0.0": map[string]any{"name": "pkg", "version": "1.0.0", "deprecated": "use 1.1"},
			"1.1.0": map[string]any{"name": "pkg", "version": "1.1.0"},
		}}
		env.Must(t, 200, "PUT", "/r/npm-local/pkg", env.AdminToken, raw)
		if pk = get(); pk.Versions["1.0.0"].Deprecated != "use 1.1" {
			t.Errorf("after a deprecation %+v", pk)
		}
		id := versionID("1.1.0")
		env.Must(t, 200, "DELETE", "/v1/repos/npm-local/packages/versions/"+id, env.AdminToken, nil)
		if pk = get(); len(pk.Versions) != 1 {
			t.Errorf("after a tombstone %+v", pk)
		}
		env.Must(t, 200, "POST", "/v1/repos/npm-local/packages/versions/"+id+"/restore", env.AdminToken, nil)
		if pk = get(); len(pk.Versions) != 2 {
			t.Errorf("after a restore %+v", pk)
		}
		env.Must(t, 201, "POST", "/v1/repos/npm-local/policies", env.AdminToken, map[string]any{
			"name": "hold", "expression": "false", "action": "quarantine", "message": "held for review",
		})
		publish("2.0.0")
		if pk = get(); len(pk.Versions) != 2 {
			t.Errorf("a held version is shown: %+v", pk)
		}
		var lane struct{ Items []struct{ ID string } }
		env.Must(t, 200, "GET", "/v1/repos/npm-local/quarantine?status=quarantined", env.AdminToken, nil).JSON(t, &lane)
		if len(lane.Items) != 1 {
			t.Fatalf("lane %+v", lane)
		}
		env.Must(t, 200, "POST", "/v1/repos/npm-local/quarantine/"+lane.Items[0].ID+"/release", env.AdminToken, nil)
		if pk = get(); len(pk.Versions) != 3 {
			t.Errorf("after a release %+v", pk)
		}
		// Links follow the address each client uses, never another's.
		r := env.Send(t, func() *http.Request {
			req := env.Request(t, "GET", "/r/npm-local/pkg", nil)
			req.Header.Set("Authorization", "Bearer "+env.AdminToken)
			req.Host = "mirror.example:8443"
			return req
		}())
		if !strings.Contains(string(r.Body), "http://mirror.example:8443/r/npm-local/pkg/-/pkg-1.0.0.tgz") {
			t.Errorf("links for another host: %.300s", r.Body)
		}
	})
}

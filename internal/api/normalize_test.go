package api_test

import (
	"testing"

	"github.com/artifortress/artifortress/internal/servertest"
)

// conflictDetails asserts a 409 version_exists answer and returns its
// details.
func conflictDetails(t *testing.T, r *servertest.Response) map[string]any {
	t.Helper()
	var e struct {
		Error struct {
			Code    string
			Details map[string]any
		}
	}
	r.JSON(t, &e)
	if r.Status != 409 || e.Error.Code != "version_exists" {
		t.Fatalf("want 409 version_exists, got %d %s", r.Status, r.Body)
	}
	return e.Error.Details
}

// publishOne publishes name@version in repo with one file and manifest,
// as the administrator, and returns its version id.
func publishOne(t *testing.T, env *servertest.Env, repo, name, version string, manifest map[string]any) string {
	t.Helper()
	id := draftWithManifest(t, env, repo, env.AdminToken, name, version, nil, map[string]string{"file": repo + " " + name + " " + version}, manifest)
	env.Must(t, 200, "POST", "/v1/repos/"+repo+"/packages/versions/"+id+"/publish", env.AdminToken, nil)
	return id
}

// TestEquivalentVersionsAreOneVersion: where the format spells one version
// several ways (PEP 440 1.0 == 1.0.0, NuGet 1.0.0-Beta == 1.0-beta), a
// package has one of the spellings, reads find it by any of them, and the
// database refuses a second spelling even from SQL run by hand.
func TestEquivalentVersionsAreOneVersion(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		admin := env.AdminToken
		env.CreateRepo(t, "py", map[string]any{"format": "pypi"})
		env.CreateRepo(t, "nu", map[string]any{"format": "nuget"})
		env.CreateRepo(t, "gen", nil)
		drafts := func(repo string) string { return "/v1/repos/" + repo + "/packages/versions/drafts" }

		t.Run("pypi", func(t *testing.T) {
			id := publishOne(t, env, "py", "Foo.Bar", "1.0", map[string]any{"metadata_version": "2.1", "name": "Foo.Bar", "version": "1.0"})
			for _, spelling := range []string{"1.0.0", "v1.0", "1.0.0.0", "0!1.0", "1.0"} {
				d := conflictDetails(t, env.Do(t, "POST", drafts("py"), admin, map[string]any{"name": "foo-bar", "version": spelling}))
				if d["existing"] != "1.0" || d["state"] != "published" || d["versionId"] != id {
					t.Errorf("draft %s: details %v, want the published 1.0", spelling, d)
				}
			}
			var v versionResp
			env.Must(t, 200, "GET", "/v1/repos/py/packages/foo-bar/versions/1.0.0", admin, nil).JSON(t, &v)
			if v.VersionID != id || v.Version != "1.0" {
				t.Errorf("get 1.0.0: %+v, want version 1.0", v)
			}
			if r := env.Must(t, 200, "GET", "/v1/repos/py/packages/foo-bar/versions/1.0.0/files/file", admin, nil); string(r.Body) != "py Foo.Bar 1.0" {
				t.Errorf("file of 1.0 read as 1.0.0: %q", r.Body)
			}
			var tag struct{ Version, VersionID string }
			env.Must(t, 200, "PUT", "/v1/repos/py/packages/foo-bar/tags/latest", admin, map[string]any{"version": "1.0.0"}).JSON(t, &tag)
			if tag.VersionID != id || tag.Version != "1.0" {
				t.Errorf("tag by another spelling: %+v", tag)
			}

			// A draft spelled differently is the same version too.
			var d2 versionResp
			env.Must(t, 201, "POST", drafts("py"), admin, map[string]any{"name": "foo-bar", "version": "1.1rc1"}).JSON(t, &d2)
			if d := conflictDetails(t, env.Do(t, "POST", drafts("py"), admin, map[string]any{"name": "foo-bar", "version": "1.1.0RC1"})); d["existing"] != "1.1rc1" || d["state"] != "draft" || d["versionId"] != d2.VersionID {
				t.Errorf("second spelling of a draft: %v", d)
			}
			env.Must(t, 200, "POST", drafts("py"), admin, map[string]any{"name": "foo-bar", "version": "1.1rc1"}) // the same spelling resumes it
			var list struct{ Items []struct{ Version string } }
			env.Must(t, 200, "GET", "/v1/repos/py/packages/foo-bar/versions", admin, nil).JSON(t, &list)
			if len(list.Items) != 2 {
				t.Errorf("versions %+v, want 1.0 and 1.1rc1", list.Items)
			}

			// The database, not only the catalog, refuses the second spelling.
			db := env.Server.DB()
			insert := "INSERT INTO versions (id, package_id, version, normalized_version, state, created_by, created_at, updated_at) " +
				"VALUES (?, (SELECT package_id FROM versions WHERE id = ?), ?, ?, 'draft', 'operator', 0, 0)"
			if _, err := db.RawExec(t.Context(), insert, "ver_hand1", id, "1.0.0", "1"); err == nil {
				t.Error("the database accepted a second spelling of 1.0")
			}
			if _, err := db.RawExec(t.Context(), "INSERT INTO versions (id, package_id, version, state, created_by, created_at, updated_at) "+
				"VALUES ('ver_hand2', (SELECT package_id FROM versions WHERE id = ?), '3.0', 'draft', 'operator', 0, 0)", id); err == nil {
				t.Error("the database accepted a version without its normalised spelling")
			}
			if _, err := db.RawExec(t.Context(), "UPDATE versions SET normalized_version = '9' WHERE id = ?", id); err == nil {
				t.Error("the database changed a published version's normalised spelling")
			}
			if n, err := db.RawExec(t.Context(), insert, "ver_hand3", id, "2.0", "2"); err != nil || n != 1 {
				t.Errorf("a new version by hand: %d %v", n, err) // the control: the statement itself is sound
			}
		})

		t.Run("nuget", func(t *testing.T) {
			id := publishOne(t, env, "nu", "Newtonsoft.Json", "1.0.0-Beta", map[string]any{"id": "Newtonsoft.Json", "version": "1.0.0-Beta"})
			for _, spelling := range []string{"1.0-beta", "1.0.0.0-BETA", "1.0.0-Beta+build.5", "01.0.0-beta"} {
				d := conflictDetails(t, env.Do(t, "POST", drafts("nu"), admin, map[string]any{"name": "newtonsoft.json", "version": spelling}))
				if d["existing"] != "1.0.0-Beta" || d["versionId"] != id {
					t.Errorf("draft %s: details %v, want the published 1.0.0-Beta", spelling, d)
				}
			}
			var v versionResp
			env.Must(t, 200, "GET", "/v1/repos/nu/packages/Newtonsoft.Json/versions/1.0-beta", admin, nil).JSON(t, &v)
			if v.VersionID != id {
				t.Errorf("get 1.0-beta: %+v", v)
			}
			env.Must(t, 201, "POST", drafts("nu"), admin, map[string]any{"name": "newtonsoft.json", "version": "1.0.0"}) // the release is another version
		})

		t.Run("formats without a rule keep every spelling", func(t *testing.T) {
			publishOne(t, env, "gen", "tool", "1.0", map[string]any{"name": "tool", "version": "1.0"})
			publishOne(t, env, "gen", "tool", "1.0.0", map[string]any{"name": "tool", "version": "1.0.0"})
			env.Must(t, 404, "GET", "/v1/repos/gen/packages/tool/versions/1.0.0.0", admin, nil)
		})
	})
}

package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/servertest"
)

type versionResp struct {
	VersionID  string `json:"versionId"`
	Package    string `json:"package"`
	Version    string `json:"version"`
	State      string `json:"state"`
	Idempotent bool   `json:"idempotent"`
	Entries    []struct {
		Path   string
		Digest string
		Size   int64
	} `json:"entries"`
}

// publishGeneric publishes name@version with the given files in a generic
// repository and returns the version.
func publishGeneric(t testing.TB, env *servertest.Env, repo, token, name, version string, files map[string]string) versionResp {
	t.Helper()
	id := draftAs(t, env, repo, token, name, version, nil, files)
	var v versionResp
	env.Must(t, 200, "POST", "/v1/repos/"+repo+"/packages/versions/"+id+"/publish", token, nil).JSON(t, &v)
	return v
}

func countEvents(t *testing.T, env *servertest.Env) int {
	t.Helper()
	return countEventsOf(t, env, "version.published")
}

// countEventsOf counts the outbox events of one type.
func countEventsOf(t *testing.T, env *servertest.Env, eventType string) int {
	t.Helper()
	evs, err := env.Server.DB().ListEvents(t.Context(), eventType, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func TestPublishFlow(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.CreateRepo(t, "gen", nil)
		admin := env.AdminToken
		files := map[string]string{"tool.tar.gz": "the tool's bytes", "docs/readme.txt": "read me", "tool.sig": "signature"}
		var d versionResp
		env.Must(t, 201, "POST", "/v1/repos/gen/packages/versions/drafts", admin, map[string]any{"name": "tool", "version": "1.2.0"}).JSON(t, &d)
		if d.State != "draft" || d.VersionID == "" {
			t.Fatalf("draft %+v", d)
		}
		var again versionResp
		env.Must(t, 200, "POST", "/v1/repos/gen/packages/versions/drafts", admin, map[string]any{"name": "tool", "version": "1.2.0"}).JSON(t, &again)
		if again.VersionID != d.VersionID {
			t.Errorf("second draft call made a new version")
		}
		base := "/v1/repos/gen/packages/versions/" + d.VersionID
		var entries []map[string]any
		for path, content := range files {
			env.Must(t, 201, "PUT", "/v1/repos/gen/blobs", admin, content)
			entries = append(entries, map[string]any{"path": path, "digest": digestOf([]byte(content)), "mediaType": "application/octet-stream"})
		}
		var withEntries versionResp
		env.Must(t, 200, "POST", base+"/entries", admin, map[string]any{"entries": entries}).JSON(t, &withEntries)
		if len(withEntries.Entries) != 3 || withEntries.Entries[0].Path != "docs/readme.txt" || withEntries.Entries[0].Size != int64(len("read me")) {
			t.Errorf("entries %+v", withEntries.Entries)
		}
		r := env.Do(t, "PUT", base+"/manifest", admin, map[string]any{"name": "other", "version": "1.2.0"})
		if r.Status != 400 || !strings.Contains(string(r.Body), "name") {
			t.Errorf("manifest naming another package: %d %s", r.Status, r.Body)
		}
		env.Must(t, 200, "PUT", base+"/manifest", admin, map[string]any{"name": "tool", "version": "1.2.0", "description": "a tool"})
		if got := string(env.Must(t, 200, "GET", base+"/manifest", admin, nil).Body); !strings.Contains(got, "a tool") {
			t.Errorf("manifest read back: %s", got)
		}
		events := countEvents(t, env)
		var pub versionResp
		env.Must(t, 200, "POST", base+"/publish", admin, nil).JSON(t, &pub)
		if pub.State != "published" || pub.Idempotent {
			t.Errorf("publish: %+v", pub)
		}
		env.Must(t, 200, "POST", base+"/publish", admin, nil).JSON(t, &pub)
		if !pub.Idempotent {
			t.Errorf("second publish is not idempotent: %+v", pub)
		}
		if got := countEvents(t, env) - events; got != 1 {
			t.Errorf("%d version.published events for one publish", got)
		}

		t.Run("published versions refuse changes", func(t *testing.T) {
			for _, c := range []struct{ method, path string }{
				{"POST", base + "/entries"}, {"PUT", base + "/manifest"},
			} {
				body := map[string]any{"entries": []map[string]any{{"path": "x", "digest": digestOf([]byte("read me"))}}}
				if c.method == "PUT" {
					body = map[string]any{"name": "tool", "version": "1.2.0"}
				}
				if r := env.Do(t, c.method, c.path, admin, body); r.Status != 409 || r.ErrorCode() != "version_not_draft" {
					t.Errorf("%s %s after publish: %d %s", c.method, c.path, r.Status, r.Body)
				}
			}
			r := env.Do(t, "POST", "/v1/repos/gen/packages/versions/drafts", admin, map[string]any{"name": "tool", "version": "1.2.0"})
			if r.Status != 409 || r.ErrorCode() != "version_exists" {
				t.Errorf("draft of a published version: %d %s", r.Status, r.Body)
			}
		})

		t.Run("reads by coordinate", func(t *testing.T) {
			var v versionResp
			env.Must(t, 200, "GET", "/v1/repos/gen/packages/tool/versions/1.2.0", admin, nil).JSON(t, &v)
			if v.VersionID != d.VersionID || len(v.Entries) != 3 {
				t.Errorf("get version: %+v", v)
			}
			r := env.Must(t, 200, "GET", "/v1/repos/gen/packages/tool/versions/1.2.0/files/docs/readme.txt", admin, nil)
			if string(r.Body) != "read me" || r.Header.Get("Content-Type") != "application/octet-stream" {
				t.Errorf("file download: %q %v", r.Body, r.Header)
			}
			req := env.Request(t, "GET", "/v1/repos/gen/packages/tool/versions/1.2.0/files/tool.tar.gz", nil)
			req.Header.Set("Authorization", "Bearer "+admin)
			req.Header.Set("Range", "bytes=4-7")
			if r := env.Send(t, req); r.Status != 206 || string(r.Body) != "tool" {
				t.Errorf("ranged file download: %d %q", r.Status, r.Body)
			}
			env.Must(t, 404, "GET", "/v1/repos/gen/packages/tool/versions/1.2.0/files/missing", admin, nil)
			env.Must(t, 404, "GET", "/v1/repos/gen/packages/tool/versions/9.9.9", admin, nil)
			env.Must(t, 404, "GET", "/v1/repos/gen/packages/nothing/versions", admin, nil)
		})

		t.Run("versions are listed in the format's order", func(t *testing.T) {
			for _, v := range []string{"1.10.0", "1.9.0", "1.2.10", "0.9"} {
				publishGeneric(t, env, "gen", admin, "tool", v, map[string]string{"f": "v" + v})
			}
			var list struct {
				Items []struct{ Version string }
			}
			env.Must(t, 200, "GET", "/v1/repos/gen/packages/tool/versions", admin, nil).JSON(t, &list)
			var got []string
			for _, it := range list.Items {
				got = append(got, it.Version)
			}
			if strings.Join(got, " ") != "0.9 1.2.0 1.2.10 1.9.0 1.10.0" {
				t.Errorf("order %v", got)
			}
		})

		t.Run("tags", func(t *testing.T) {
			var tag struct{ Tag, Version, Previous string }
			env.Must(t, 200, "PUT", "/v1/repos/gen/packages/tool/tags/latest", admin, map[string]any{"version": "1.9.0"}).JSON(t, &tag)
			env.Must(t, 200, "PUT", "/v1/repos/gen/packages/tool/tags/latest", admin, map[string]any{"version": "1.10.0"}).JSON(t, &tag)
			if tag.Version != "1.10.0" || tag.Previous != "1.9.0" {
				t.Errorf("re-pointed tag: %+v", tag)
			}
			env.Must(t, 200, "GET", "/v1/repos/gen/packages/tool/tags/latest", admin, nil).JSON(t, &tag)
			if tag.Version != "1.10.0" {
				t.Errorf("get tag: %+v", tag)
			}
			r := env.Do(t, "PUT", "/v1/repos/gen/packages/tool/tags/beta", admin, map[string]any{"version": "7.0.0"})
			if r.Status != 409 {
				t.Errorf("tag to a missing version: %d %s", r.Status, r.Body)
			}
			env.Must(t, 400, "PUT", "/v1/repos/gen/packages/tool/tags/-bad", admin, map[string]any{"version": "1.9.0"})
			env.Must(t, 204, "DELETE", "/v1/repos/gen/packages/tool/tags/latest", admin, nil)
			env.Must(t, 404, "GET", "/v1/repos/gen/packages/tool/tags/latest", admin, nil)
			recs, err := env.Server.DB().ListAudit(t.Context(), meta.AuditFilter{Repo: "gen", Action: "tag.put"})
			if err != nil || len(recs) != 2 || recs[0].Details["previous"] != "1.9.0" {
				t.Errorf("tag audit trail: %+v %v", recs, err)
			}
		})

		t.Run("package listing pages through every package", func(t *testing.T) {
			for i := range 5 {
				publishGeneric(t, env, "gen", admin, fmt.Sprintf("lib-%d", i), "1.0.0", map[string]string{"f": fmt.Sprintf("lib %d", i)})
			}
			var names []string
			cursor := ""
			for range 10 {
				var page struct {
					Items      []struct{ Package string }
					NextCursor string
				}
				env.Must(t, 200, "GET", "/v1/repos/gen/packages?limit=2&cursor="+cursor, admin, nil).JSON(t, &page)
				for _, it := range page.Items {
					names = append(names, it.Package)
				}
				if cursor = page.NextCursor; cursor == "" {
					break
				}
			}
			if strings.Join(names, ",") != "lib-0,lib-1,lib-2,lib-3,lib-4,tool" {
				t.Errorf("paged listing %v", names)
			}
			var page struct{ Items []struct{ Package string } }
			env.Must(t, 200, "GET", "/v1/repos/gen/packages?q=lib-3", admin, nil).JSON(t, &page)
			if len(page.Items) != 1 || page.Items[0].Package != "lib-3" {
				t.Errorf("filtered listing %+v", page.Items)
			}
		})

		t.Run("readers do not see drafts", func(t *testing.T) {
			reader := env.Token(t, "reader", "repo:gen:read")
			env.Must(t, 201, "POST", "/v1/repos/gen/packages/versions/drafts", admin, map[string]any{"name": "secret-draft", "version": "0.1.0"})
			var page struct{ Items []struct{ Package string } }
			env.Must(t, 200, "GET", "/v1/repos/gen/packages?q=secret", reader, nil).JSON(t, &page)
			if len(page.Items) != 0 {
				t.Errorf("reader sees a draft-only package: %+v", page.Items)
			}
			env.Must(t, 200, "GET", "/v1/repos/gen/packages?q=secret", admin, nil).JSON(t, &page)
			if len(page.Items) != 1 {
				t.Errorf("writer does not see its draft: %+v", page.Items)
			}
			env.Must(t, 404, "GET", "/v1/repos/gen/packages/secret-draft/versions/0.1.0", reader, nil)
		})
	})
}

func TestEntryAndPublishPreconditions(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.CreateRepo(t, "gen", nil)
		env.CreateRepo(t, "elsewhere", nil)
		admin := env.AdminToken
		env.Must(t, 201, "PUT", "/v1/repos/gen/blobs", admin, "here")
		env.Must(t, 201, "PUT", "/v1/repos/elsewhere/blobs", admin, "not here")
		here, notHere := digestOf([]byte("here")), digestOf([]byte("not here"))
		var d versionResp
		env.Must(t, 201, "POST", "/v1/repos/gen/packages/versions/drafts", admin, map[string]any{"name": "pkg", "version": "1.0.0"}).JSON(t, &d)
		base := "/v1/repos/gen/packages/versions/" + d.VersionID

		snapshot := func() (int, int) {
			audits, _ := env.Server.DB().ListAudit(t.Context(), meta.AuditFilter{})
			return len(audits), countEvents(t, env)
		}
		a0, e0 := snapshot()
		bad := []struct {
			name    string
			entries []map[string]any
			status  int
			code    string
			field   string
		}{
			{"traversal", []map[string]any{{"path": "../etc/passwd", "digest": here}}, 400, "bad_request", "entries[0].path"},
			{"absolute", []map[string]any{{"path": "/abs", "digest": here}}, 400, "bad_request", "entries[0].path"},
			{"empty segment", []map[string]any{{"path": "a//b", "digest": here}}, 400, "bad_request", "entries[0].path"},
			{"backslash", []map[string]any{{"path": `a\b`, "digest": here}}, 400, "bad_request", "entries[0].path"},
			{"control", []map[string]any{{"path": "a\x00b", "digest": here}}, 400, "bad_request", "entries[0].path"},
			{"duplicate", []map[string]any{{"path": "a", "digest": here}, {"path": "a", "digest": here}}, 400, "bad_request", "entries[1].path"},
			{"bad digest", []map[string]any{{"path": "a", "digest": "md5:x"}}, 400, "bad_request", "entries[0].digest"},
			{"digest of another repository", []map[string]any{{"path": "a", "digest": here}, {"path": "b", "digest": notHere}}, 409, "digest_not_committed", "entries[1].digest"},
		}
		for _, c := range bad {
			r := env.Do(t, "POST", base+"/entries", admin, map[string]any{"entries": c.entries})
			if r.Status != c.status || r.ErrorCode() != c.code || !strings.Contains(string(r.Body), c.field) {
				t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
			}
		}
		var v versionResp
		env.Must(t, 200, "GET", base, admin, nil).JSON(t, &v)
		if len(v.Entries) != 0 {
			t.Errorf("a refused request left entries: %+v", v.Entries)
		}

		// Publish preconditions, each leaving nothing behind.
		for _, step := range []string{"entries", "manifest"} {
			r := env.Do(t, "POST", base+"/publish", admin, nil)
			if r.Status != 409 || r.ErrorCode() != "publish_precondition_failed" || !strings.Contains(string(r.Body), `"precondition":"`+step+`"`) {
				t.Errorf("publish without %s: %d %s", step, r.Status, r.Body)
			}
			if step == "entries" {
				env.Must(t, 200, "POST", base+"/entries", admin, map[string]any{"entries": []map[string]any{{"path": "a", "digest": here}}})
			}
		}
		r := env.Do(t, "POST", base+"/entries", admin, map[string]any{"entries": []map[string]any{{"path": "a", "digest": here}}})
		if r.Status != 409 || r.ErrorCode() != "entry_exists" {
			t.Errorf("entry path taken: %d %s", r.Status, r.Body)
		}
		a1, e1 := snapshot()
		if a1-a0 != 1 || e1 != e0 { // only the one successful AddEntries is audited
			t.Errorf("refused requests left %d audit records and %d events", a1-a0-1, e1-e0)
		}
		env.Must(t, 200, "GET", base, admin, nil).JSON(t, &v)
		if v.State != "draft" {
			t.Errorf("state after failed publishes: %s", v.State)
		}
		env.Must(t, 403, "POST", base+"/publish", env.Token(t, "w", "repo:gen:write"), nil)
	})
}

// TestDatabaseRefusesChangesToPublishedVersions runs raw SQL, as an operator
// with a database shell would: every change to a published version, its
// entries, its manifest or its package's coordinates fails; only the move to
// tombstoned is allowed, and (ADR 0009) a new file in a published version of
// an append-only format (generic, pypi), never of a sealed one (npm, ...).
func TestDatabaseRefusesChangesToPublishedVersions(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.CreateRepo(t, "gen", nil)
		env.CreateRepo(t, "other", nil)
		env.CreateRepo(t, "js", map[string]any{"format": "npm"})
		v := publishGeneric(t, env, "gen", env.AdminToken, "frozen", "1.0.0", map[string]string{"a": "A", "b": "B"})
		sealed := publishGeneric(t, env, "js", env.AdminToken, "sealed", "1.0.0", map[string]string{"package.tgz": "T"})
		env.Must(t, 201, "PUT", "/v1/repos/js/blobs", env.AdminToken, "C")
		env.Must(t, 201, "PUT", "/v1/repos/gen/blobs", env.AdminToken, "C")
		db := env.Server.DB()
		const pkg = "(SELECT package_id FROM versions WHERE id = ?)"
		refused := []string{
			"UPDATE packages SET name = 'renamed' WHERE id = " + pkg,
			"UPDATE packages SET namespace = 'team' WHERE id = " + pkg,
			"UPDATE packages SET format = 'npm' WHERE id = " + pkg,
			"UPDATE packages SET repo_key = 'other' WHERE id = " + pkg,
			"UPDATE versions SET normalized_version = '6.6.6' WHERE id = ?",
			"UPDATE versions SET manifest = '{\"name\":\"frozen\",\"version\":\"6.6.6\"}' WHERE id = ?",
			"UPDATE versions SET version = '2.0.0' WHERE id = ?",
			"UPDATE versions SET state = 'draft' WHERE id = ?",
			"UPDATE versions SET published_by = 'mallory' WHERE id = ?",
			"DELETE FROM versions WHERE id = ?",
			"UPDATE entries SET digest = '" + digestOf([]byte("C")) + "' WHERE version_id = ?",
			"UPDATE entries SET path = 'renamed' WHERE version_id = ?",
			"DELETE FROM entries WHERE version_id = ?",
			"INSERT INTO entries (version_id, repo_key, path, digest, size) VALUES (?, 'gen', 'a', '" + digestOf([]byte("C")) + "', 1)",
			"INSERT INTO version_refs (version_id, repo_key, kind, digest) VALUES (?, 'gen', 'subject', '" + digestOf([]byte("C")) + "')",
		}
		for _, q := range refused {
			if _, err := db.RawExec(t.Context(), q, v.VersionID); err == nil {
				t.Errorf("the database accepted: %s", q)
			}
		}
		appendC := "INSERT INTO entries (version_id, repo_key, path, digest, size) VALUES (?, ?, 'extra', '" + digestOf([]byte("C")) + "', 1)"
		if _, err := db.RawExec(t.Context(), appendC, sealed.VersionID, "js"); err == nil {
			t.Error("a published npm version gained a file")
		}
		revision := func() int64 {
			t.Helper()
			ver, err := db.GetVersion(t.Context(), v.VersionID)
			if err != nil {
				t.Fatal(err)
			}
			p, err := db.GetPackageByID(t.Context(), ver.PackageID)
			if err != nil {
				t.Fatal(err)
			}
			return p.Revision
		}
		before := revision()
		if _, err := db.RawExec(t.Context(), appendC, v.VersionID, "gen"); err != nil {
			t.Errorf("a published generic version refused a file at a new path: %v", err)
		}
		if revision() == before {
			t.Error("a file added to a published version left the package revision as it was")
		}
		var after versionResp
		env.Must(t, 200, "GET", "/v1/repos/gen/packages/frozen/versions/1.0.0", env.AdminToken, nil).JSON(t, &after)
		if after.State != "published" || len(after.Entries) != 3 || after.Entries[0].Digest != digestOf([]byte("A")) {
			t.Errorf("the published version changed: %+v", after)
		}
		// A package with only drafts is not frozen: the refusals above are
		// the published version's.
		env.Must(t, 201, "POST", "/v1/repos/gen/packages/versions/drafts", env.AdminToken, map[string]any{"name": "loose", "version": "0.1.0"})
		if n, err := db.RawExec(t.Context(), "UPDATE packages SET name = 'renamed', namespace = 'team', repo_key = 'other' WHERE name = 'loose'"); err != nil || n != 1 {
			t.Errorf("renaming a package that has only an empty draft: %d %v", n, err)
		}
		if n, err := db.RawExec(t.Context(), "UPDATE versions SET state = 'tombstoned', tombstoned_at = 1 WHERE id = ?", v.VersionID); err != nil || n != 1 {
			t.Errorf("tombstoning refused: %d %v", n, err)
		}
		if _, err := db.RawExec(t.Context(), "UPDATE versions SET manifest = '{}' WHERE id = ?", v.VersionID); err == nil {
			t.Error("a tombstoned version's manifest changed")
		}
		if _, err := db.RawExec(t.Context(), strings.Replace(appendC, "'extra'", "'later'", 1), v.VersionID, "gen"); err == nil {
			t.Error("a tombstoned version gained a file")
		}
	})
}

func TestPackageRouting(t *testing.T) {
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "gen", nil)
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"DELETE", "/v1/repos/gen/packages/versions/drafts", http.StatusMethodNotAllowed},
		{"GET", "/v1/repos/gen/packages/x/y/z", 404},
		{"GET", "/v1/repos/gen/packages/versions/not-an-id", 404},
		{"GET", "/v1/repos/gen/packages/x/versions/1/notfiles/a", 404},
		{"GET", "/v1/repos/nope/packages", 404},
	} {
		r := env.Do(t, c.method, c.path, env.AdminToken, nil)
		if r.Status != c.status {
			t.Errorf("%s %s: %d %s", c.method, c.path, r.Status, r.Body)
		}
	}
}

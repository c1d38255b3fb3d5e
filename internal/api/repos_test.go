package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/servertest"
)

func TestRepositoryRules(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		admin := env.AdminToken
		env.CreateRepo(t, "npm-a", map[string]any{"format": "npm"})
		env.CreateRepo(t, "npm-b", map[string]any{"format": "npm"})
		env.CreateRepo(t, "npm-remote", map[string]any{"format": "npm", "type": "remote", "upstreamUrl": "https://registry.npmjs.org/"})
		env.CreateRepo(t, "npm-all", map[string]any{"format": "npm", "type": "virtual", "members": []string{"npm-a", "npm-remote"}})

		t.Run("virtual members keep their order", func(t *testing.T) {
			var r struct{ Members []string }
			env.Must(t, 200, "GET", "/v1/repos/npm-all", admin, nil).JSON(t, &r)
			if strings.Join(r.Members, ",") != "npm-a,npm-remote" {
				t.Errorf("members %v", r.Members)
			}
		})

		bad := []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"uppercase key", map[string]any{"key": "NPM", "type": "local", "format": "npm"}, "key"},
			{"key with slash", map[string]any{"key": "a/b", "type": "local", "format": "npm"}, "key"},
			{"dot-dot key", map[string]any{"key": "..", "type": "local", "format": "npm"}, "key"},
			{"long key", map[string]any{"key": strings.Repeat("a", 65), "type": "local", "format": "npm"}, "key"},
			{"unknown format", map[string]any{"key": "x", "type": "local", "format": "cobol"}, "format"},
			{"unknown type", map[string]any{"key": "x", "type": "mirror", "format": "npm"}, "type"},
			{"remote without upstream", map[string]any{"key": "x", "type": "remote", "format": "npm"}, "upstreamUrl"},
			{"relative upstream", map[string]any{"key": "x", "type": "remote", "format": "npm", "upstreamUrl": "/registry"}, "upstreamUrl"},
			{"ftp upstream", map[string]any{"key": "x", "type": "remote", "format": "npm", "upstreamUrl": "ftp://example.com/"}, "upstreamUrl"},
			{"upstream with credentials", map[string]any{"key": "x", "type": "remote", "format": "npm", "upstreamUrl": "https://u:p@example.com/"}, "upstreamUrl"},
			{"local with upstream", map[string]any{"key": "x", "type": "local", "format": "npm", "upstreamUrl": "https://example.com/"}, "upstreamUrl"},
			{"virtual without members", map[string]any{"key": "x", "type": "virtual", "format": "npm"}, "members"},
			{"virtual with missing member", map[string]any{"key": "x", "type": "virtual", "format": "npm", "members": []string{"nope"}}, "members[0]"},
			{"virtual mixing formats", map[string]any{"key": "x", "type": "virtual", "format": "npm", "members": []string{"npm-a"}}, ""},
			{"virtual listing a member twice", map[string]any{"key": "x", "type": "virtual", "format": "npm", "members": []string{"npm-a", "npm-a"}}, "members[1]"},
			{"local with members", map[string]any{"key": "x", "type": "local", "format": "npm", "members": []string{"npm-a"}}, "members"},
		}
		bad[13].body["format"] = "pypi"
		bad[13].field = "members[0]"
		for _, c := range bad {
			t.Run("refuses "+c.name, func(t *testing.T) {
				r := env.Do(t, "POST", "/v1/repos", admin, c.body)
				var e struct {
					Error struct {
						Code    string
						Details struct{ Field string }
					}
				}
				r.JSON(t, &e)
				if r.Status != 400 || e.Error.Code != "bad_request" || e.Error.Details.Field != c.field {
					t.Errorf("status %d, body %s; want 400 naming %q", r.Status, r.Body, c.field)
				}
			})
		}

		t.Run("duplicate key is a conflict", func(t *testing.T) {
			r := env.Do(t, "POST", "/v1/repos", admin, map[string]any{"key": "npm-a", "type": "local", "format": "npm"})
			if r.Status != 409 || r.ErrorCode() != "conflict" {
				t.Errorf("%d %s", r.Status, r.Body)
			}
		})

		t.Run("cycles are refused", func(t *testing.T) {
			env.CreateRepo(t, "npm-outer", map[string]any{"format": "npm", "type": "virtual", "members": []string{"npm-all"}})
			r := env.Do(t, "PATCH", "/v1/repos/npm-all", admin, map[string]any{"members": []string{"npm-a", "npm-outer"}})
			if r.Status != 400 || !strings.Contains(string(r.Body), "cycle: npm-all -> npm-outer -> npm-all") {
				t.Errorf("%d %s", r.Status, r.Body)
			}
			r = env.Do(t, "PATCH", "/v1/repos/npm-all", admin, map[string]any{"members": []string{"npm-all"}})
			if r.Status != 400 {
				t.Errorf("self member: %d %s", r.Status, r.Body)
			}
		})

		t.Run("patch changes only what it names", func(t *testing.T) {
			var r struct {
				Description string
				Members     []string
				Settings    struct{ AnonymousRead bool }
			}
			env.Must(t, 200, "PATCH", "/v1/repos/npm-all", admin, map[string]any{"settings": map[string]any{"anonymousRead": true}}).JSON(t, &r)
			env.Must(t, 200, "PATCH", "/v1/repos/npm-all", admin, map[string]any{"description": "all npm"}).JSON(t, &r)
			if r.Description != "all npm" || !r.Settings.AnonymousRead || len(r.Members) != 2 {
				t.Errorf("after two patches: %+v", r)
			}
			for body, field := range map[string]string{
				`{"type":"local"}`:                  "type",
				`{"format":"pypi"}`:                 "format",
				`{"key":"renamed"}`:                 "key",
				`{"settings":{"colour":"blue"}}`:    "settings",
				`{"upstreamUrl":"https://x.test/"}`: "upstreamUrl",
				`{"members":[]}`:                    "members",
			} {
				resp := env.Do(t, "PATCH", "/v1/repos/npm-all", admin, body)
				if resp.Status != 400 || !strings.Contains(string(resp.Body), field) {
					t.Errorf("PATCH %s: %d %s", body, resp.Status, resp.Body)
				}
			}
		})

		t.Run("delete refuses members of virtual repositories unless forced by a global admin", func(t *testing.T) {
			r := env.Do(t, "DELETE", "/v1/repos/npm-a", admin, nil)
			if r.Status != 409 || !strings.Contains(string(r.Body), "npm-all") {
				t.Errorf("%d %s", r.Status, r.Body)
			}
			repoAdmin := env.Token(t, "ra", "repo:npm-a:admin")
			env.Must(t, 403, "DELETE", "/v1/repos/npm-a?force=true", repoAdmin, nil)
			env.Must(t, 204, "DELETE", "/v1/repos/npm-a?force=true", admin, nil)
			var v struct{ Members []string }
			env.Must(t, 200, "GET", "/v1/repos/npm-all", admin, nil).JSON(t, &v)
			if strings.Join(v.Members, ",") != "npm-remote" {
				t.Errorf("members after forced delete: %v", v.Members)
			}
			env.Must(t, 404, "GET", "/v1/repos/npm-a", admin, nil)
		})

		t.Run("delete refuses repositories holding packages", func(t *testing.T) {
			env.CreateRepo(t, "full", nil)
			if _, err := env.Server.DB().RawExec(t.Context(),
				"INSERT INTO packages (id, repo_key, format, namespace, name, created_at) VALUES ('p1', 'full', 'generic', '', 'thing', 0)"); err != nil {
				t.Fatal(err)
			}
			r := env.Do(t, "DELETE", "/v1/repos/full", admin, nil)
			if r.Status != 409 || !strings.Contains(string(r.Body), "1 packages") {
				t.Errorf("%d %s", r.Status, r.Body)
			}
			env.Must(t, 204, "DELETE", "/v1/repos/full?force=true", admin, nil)
		})

		t.Run("listing shows only readable repositories", func(t *testing.T) {
			tok := env.Token(t, "reader", "repo:npm-b:read")
			var list struct{ Items []struct{ Key string } }
			env.Must(t, 200, "GET", "/v1/repos", tok, nil).JSON(t, &list)
			if len(list.Items) != 1 || list.Items[0].Key != "npm-b" {
				t.Errorf("reader sees %+v", list.Items)
			}
			env.Must(t, 200, "PUT", "/v1/repos/npm-remote/bindings/reader", admin, map[string]any{"roles": []string{"read"}})
			env.Must(t, 200, "GET", "/v1/repos?type=remote", tok, nil).JSON(t, &list)
			if len(list.Items) != 1 || list.Items[0].Key != "npm-remote" {
				t.Errorf("reader with a binding, type=remote, sees %+v", list.Items)
			}
			env.Must(t, 400, "GET", "/v1/repos?format=cobol", tok, nil)
			// A repository that does not exist and one the caller cannot
			// read look the same.
			a := env.Do(t, "GET", "/v1/repos/npm-outer", tok, nil)
			z := env.Do(t, "GET", "/v1/repos/does-not-exist", tok, nil)
			if a.Status != http.StatusNotFound || z.Status != http.StatusNotFound || a.ErrorCode() != z.ErrorCode() {
				t.Errorf("hidden %d %s vs missing %d %s", a.Status, a.Body, z.Status, z.Body)
			}
		})

		t.Run("bindings", func(t *testing.T) {
			env.Must(t, 200, "PUT", "/v1/repos/npm-b/bindings/alice", admin, map[string]any{"roles": []string{"write", "read", "write"}})
			var list struct {
				Items []struct {
					Subject string
					Roles   []string
				}
			}
			env.Must(t, 200, "GET", "/v1/repos/npm-b/bindings", admin, nil).JSON(t, &list)
			if len(list.Items) != 1 || list.Items[0].Subject != "alice" || strings.Join(list.Items[0].Roles, ",") != "read,write" {
				t.Errorf("bindings %+v", list.Items)
			}
			for body, field := range map[string]string{
				`{"roles":[]}`:        "roles",
				`{"roles":["owner"]}`: "roles[0]",
				`{}`:                  "roles",
			} {
				r := env.Do(t, "PUT", "/v1/repos/npm-b/bindings/alice", admin, body)
				if r.Status != 400 || !strings.Contains(string(r.Body), field) {
					t.Errorf("PUT %s: %d %s", body, r.Status, r.Body)
				}
			}
			env.Must(t, 400, "PUT", "/v1/repos/npm-b/bindings/bad%20name", admin, map[string]any{"roles": []string{"read"}})
			env.Must(t, 204, "DELETE", "/v1/repos/npm-b/bindings/alice", admin, nil)
			env.Must(t, 404, "DELETE", "/v1/repos/npm-b/bindings/alice", admin, nil)
			env.Must(t, 404, "PUT", "/v1/repos/nope/bindings/alice", admin, map[string]any{"roles": []string{"read"}})
		})
	})
}

// TestAnonymousRead: a repository with anonymousRead serves reads to
// callers without credentials; everything else still asks for them, and a
// private or missing repository looks the same to them (401, not 404).
func TestAnonymousRead(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.CreateRepo(t, "public", map[string]any{"settings": map[string]any{"anonymousRead": true}})
		env.CreateRepo(t, "private", nil)
		data := []byte("open to all")
		d := digestOf(data)
		env.Must(t, 201, "PUT", "/v1/repos/public/blobs", env.AdminToken, data)
		env.Must(t, 201, "PUT", "/v1/repos/private/blobs", env.AdminToken, data)

		if r := env.Do(t, "GET", "/v1/repos/public/blobs/"+d, "", nil); r.Status != 200 || string(r.Body) != string(data) {
			t.Errorf("anonymous download from a public repository: %d", r.Status)
		}
		env.Must(t, 200, "GET", "/v1/repos/public", "", nil)
		for _, c := range []struct{ method, path string }{
			{"GET", "/v1/repos/private/blobs/" + d},
			{"GET", "/v1/repos/private"},
			{"GET", "/v1/repos/missing"},
			{"PUT", "/v1/repos/public/blobs"},
			{"POST", "/v1/repos/public/uploads"},
			{"PATCH", "/v1/repos/public"},
		} {
			r := env.Do(t, c.method, c.path, "", "{}")
			if r.Status != 401 || r.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("anonymous %s %s: %d", c.method, c.path, r.Status)
			}
		}
		// What anyone may read, a known caller without a grant may read too.
		stranger := env.Token(t, "stranger", "repo:private:read")
		env.Must(t, 200, "GET", "/v1/repos/public/blobs/"+d, stranger, nil)
		env.Must(t, 404, "GET", "/v1/repos/nowhere", stranger, nil)
		// Bad credentials are refused even where anonymous reads are allowed.
		env.Must(t, 401, "GET", "/v1/repos/public/blobs/"+d, "afp_not_a_real_token", nil)
	})
}

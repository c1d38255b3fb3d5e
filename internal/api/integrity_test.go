package api_test

import (
	"testing"

	"github.com/artifortress/artifortress/internal/servertest"
)

// TestDatabaseKeepsEntriesInTheirRepository runs raw SQL against a draft:
// an entry's repo_key must be the repository of its version's package, so
// the database refuses an entry filed under another repository (even one
// where its digest is committed), and moving the entry, its version or its
// package to another repository.
func TestDatabaseKeepsEntriesInTheirRepository(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.CreateRepo(t, "gen", nil)
		env.CreateRepo(t, "other", nil)
		admin := env.AdminToken
		id := draftAs(t, env, "gen", admin, "pkg", "1.0.0", nil, map[string]string{"a": "shared"})
		env.Must(t, 201, "PUT", "/v1/repos/other/blobs", admin, "shared") // committed in both repositories
		env.Must(t, 201, "POST", "/v1/repos/other/packages/versions/drafts", admin, map[string]any{"name": "there", "version": "0.1.0"})
		shared := digestOf([]byte("shared"))
		db := env.Server.DB()
		insert := "INSERT INTO entries (version_id, repo_key, path, digest, size) VALUES (?, ?, 'b', '" + shared + "', 6)"
		refused := []struct {
			query string
			args  []any
		}{
			{insert, []any{id, "other"}},
			{"UPDATE entries SET repo_key = 'other' WHERE version_id = ?", []any{id}},
			{"UPDATE versions SET package_id = (SELECT id FROM packages WHERE repo_key = 'other') WHERE id = ?", []any{id}},
			{"UPDATE packages SET repo_key = 'other' WHERE id = (SELECT package_id FROM versions WHERE id = ?)", []any{id}},
		}
		for _, c := range refused {
			if _, err := db.RawExec(t.Context(), c.query, c.args...); err == nil {
				t.Errorf("the database accepted: %s %v", c.query, c.args)
			}
		}
		if n, err := db.RawExec(t.Context(), insert, id, "gen"); err != nil || n != 1 {
			t.Errorf("an entry in its own repository: %d %v", n, err) // the control: the statement itself is sound
		}
		var v versionResp
		env.Must(t, 200, "GET", "/v1/repos/gen/packages/versions/"+id, admin, nil).JSON(t, &v)
		if len(v.Entries) != 2 || v.Entries[0].Path != "a" || v.Entries[1].Path != "b" {
			t.Errorf("entries %+v, want a and b in gen", v.Entries)
		}
	})
}

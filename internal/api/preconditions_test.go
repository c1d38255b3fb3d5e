package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/servertest"
)

// catalogState describes what a refused request must leave alone: every
// version of repo with its state, manifest, labels and entries, and the
// number of audit records and outbox events.
func catalogState(t *testing.T, env *servertest.Env, repo string) string {
	t.Helper()
	ctx, db := t.Context(), env.Server.DB()
	var b strings.Builder
	pkgs, err := db.ListPackages(ctx, meta.PackageFilter{Repo: repo, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		vs, err := db.ListVersions(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(vs, func(a, b meta.Version) int { return strings.Compare(a.ID, b.ID) })
		for _, v := range vs {
			fmt.Fprintf(&b, "%s %s %s %s %q %s %v\n", p.Name, v.ID, v.Version, v.State, v.Manifest, v.Labels, v.UpdatedAt)
			es, err := db.ListEntries(ctx, v.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range es {
				fmt.Fprintf(&b, "  %s %s %s %d\n", e.Path, e.Repo, e.Digest, e.Size)
			}
		}
	}
	events, err := db.ListEvents(ctx, "", 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "audit records %d, events %d\n", countAudit(t, env), len(events))
	return b.String()
}

// unlinkBehindForeignKeys deletes a blob's link to a repository although
// entries reference it, as a damaged database or a careless hand edit would
// leave it: the foreign keys are switched off for that one statement.
func unlinkBehindForeignKeys(t *testing.T, env *servertest.Env, repo, digest string) {
	t.Helper()
	db := env.Server.DB()
	del := fmt.Sprintf("DELETE FROM repo_blobs WHERE repo_key = '%s' AND digest = '%s'", repo, digest)
	stmt := "PRAGMA foreign_keys = OFF; " + del + "; PRAGMA foreign_keys = ON"
	if db.Dialect() == meta.Postgres {
		stmt = "BEGIN; SET LOCAL session_replication_role = replica; " + del + "; COMMIT"
	}
	if _, err := db.RawExec(t.Context(), stmt); err != nil {
		t.Fatalf("unlink %s from %s: %v", digest, repo, err)
	}
	if _, err := db.GetBlobLink(t.Context(), repo, digest); err == nil {
		t.Fatalf("%s is still linked in %s", digest, repo)
	}
}

// TestPublishRefusalsChangeNothing covers the refusals that need the
// database damaged or changed by hand first: a blob no longer committed
// in the repository (precondition digests), a stored manifest the format no
// longer accepts (precondition manifest), publishing a tombstoned version,
// and a draft over a tombstoned version. Each leaves versions, entries,
// audit records and events as they were.
func TestPublishRefusalsChangeNothing(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.CreateRepo(t, "gen", nil)
		admin := env.AdminToken
		db := env.Server.DB()
		cases := []struct {
			name    string
			damage  func(t *testing.T, id string)
			request func(id string) (method, path string, body any)
			status  int
			code    string
			detail  string // a fragment of the answer
		}{
			{
				name:    "digests",
				damage:  func(t *testing.T, id string) { unlinkBehindForeignKeys(t, env, "gen", digestOf([]byte("gen digests"))) },
				request: publishRequest,
				status:  409, code: "publish_precondition_failed", detail: `"precondition":"digests"`,
			},
			{
				name: "manifest",
				damage: func(t *testing.T, id string) {
					if _, err := db.RawExec(t.Context(), `UPDATE versions SET manifest = '{"name":"another","version":"1.0.0"}' WHERE id = ?`, id); err != nil {
						t.Fatal(err)
					}
				},
				request: publishRequest,
				status:  409, code: "publish_precondition_failed", detail: `"precondition":"manifest"`,
			},
			{
				name:    "tombstoned publish",
				damage:  tombstone(db),
				request: publishRequest,
				status:  409, code: "version_not_draft", detail: "tombstoned",
			},
			{
				name:   "tombstoned draft",
				damage: tombstone(db),
				request: func(string) (string, string, any) {
					return "POST", "/v1/repos/gen/packages/versions/drafts", map[string]any{"name": "tombstoned-draft", "version": "1.0.0"}
				},
				status: 409, code: "version_exists", detail: `"state":"tombstoned"`,
			},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				name := strings.ReplaceAll(c.name, " ", "-")
				id := draftAs(t, env, "gen", admin, name, "1.0.0", nil, map[string]string{"file": "gen " + c.name})
				c.damage(t, id)
				before := catalogState(t, env, "gen")
				method, path, body := c.request(id)
				r := env.Do(t, method, path, admin, body)
				if r.Status != c.status || r.ErrorCode() != c.code || !strings.Contains(string(r.Body), c.detail) {
					t.Errorf("%s %s: %d %s, want %d %s with %s", method, path, r.Status, r.Body, c.status, c.code, c.detail)
				}
				if after := catalogState(t, env, "gen"); after != before {
					t.Errorf("the refusal changed the catalog:\nbefore\n%s\nafter\n%s", before, after)
				}
			})
		}
	})
}

func publishRequest(id string) (string, string, any) {
	return "POST", "/v1/repos/gen/packages/versions/" + id + "/publish", nil
}

// tombstone moves a draft to tombstoned by hand (the database allows any
// change to a draft).
func tombstone(db *meta.DB) func(t *testing.T, id string) {
	return func(t *testing.T, id string) {
		if n, err := db.RawExec(t.Context(), "UPDATE versions SET state = 'tombstoned', tombstoned_at = 1 WHERE id = ?", id); err != nil || n != 1 {
			t.Fatalf("tombstone %s: %d %v", id, n, err)
		}
	}
}

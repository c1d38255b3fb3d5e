package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/servertest"
)

// draft creates, as the administrator, a ready-to-publish generic draft
// (entries and manifest) and returns its id.
func draft(t *testing.T, env *servertest.Env, repo, name, version string, labels map[string]string, files map[string]string) string {
	t.Helper()
	return draftAs(t, env, repo, env.AdminToken, name, version, labels, files)
}

// draftAs creates a ready-to-publish generic draft with token.
func draftAs(t testing.TB, env *servertest.Env, repo, token, name, version string, labels map[string]string, files map[string]string) string {
	t.Helper()
	return draftWithManifest(t, env, repo, token, name, version, labels, files, map[string]any{"name": name, "version": version})
}

// draftWithManifest creates a draft with token, uploads files as its
// entries and puts manifest.
func draftWithManifest(t testing.TB, env *servertest.Env, repo, token, name, version string, labels, files map[string]string, manifest map[string]any) string {
	t.Helper()
	var v versionResp
	body := map[string]any{"name": name, "version": version}
	if labels != nil {
		body["labels"] = labels
	}
	env.Must(t, 201, "POST", "/v1/repos/"+repo+"/packages/versions/drafts", token, body).JSON(t, &v)
	var entries []map[string]any
	for path, content := range files {
		env.Must(t, 201, "PUT", "/v1/repos/"+repo+"/blobs", token, content)
		entries = append(entries, map[string]any{"path": path, "digest": digestOf([]byte(content))})
	}
	base := "/v1/repos/" + repo + "/packages/versions/" + v.VersionID
	env.Must(t, 200, "POST", base+"/entries", token, map[string]any{"entries": entries})
	env.Must(t, 200, "PUT", base+"/manifest", token, manifest)
	return v.VersionID
}

type evaluationResp struct {
	Policy, Stage, Decision, Message, Error string
	Passed                                  bool
}

func evaluations(t *testing.T, env *servertest.Env, repo, versionID string) []evaluationResp {
	t.Helper()
	var out struct{ Items []evaluationResp }
	env.Must(t, 200, "GET", "/v1/repos/"+repo+"/packages/versions/"+versionID+"/evaluations", env.AdminToken, nil).JSON(t, &out)
	return out.Items
}

// TestPolicyDenyLeavesNoPublishedVersion: a deny policy refuses the
// publish with 403 policy_denied naming the policy and its message; the
// version stays a draft, no version.published is written, and the refusal
// is in the evaluation log, the audit log and a policy.denied event.
func TestPolicyDenyLeavesNoPublishedVersion(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.CreateRepo(t, "gen", nil)
		env.Must(t, 201, "POST", "/v1/repos/gen/policies", env.AdminToken, map[string]any{
			"name": "max-size", "expression": "version.entries.all(e, e.size <= 16)", "action": "deny",
			"message": "files must be at most 16 bytes",
		})
		small := draft(t, env, "gen", "small", "1.0.0", nil, map[string]string{"a": "tiny"})
		env.Must(t, 200, "POST", "/v1/repos/gen/packages/versions/"+small+"/publish", env.AdminToken, nil)

		big := draft(t, env, "gen", "big", "1.0.0", nil, map[string]string{"a": "more than sixteen bytes of content"})
		published := countEventsOf(t, env, "version.published")
		r := env.Must(t, 403, "POST", "/v1/repos/gen/packages/versions/"+big+"/publish", env.AdminToken, nil)
		if r.ErrorCode() != "policy_denied" || !strings.Contains(string(r.Body), "max-size") || !strings.Contains(string(r.Body), "files must be at most 16 bytes") {
			t.Fatalf("refusal: %s", r.Body)
		}
		var v versionResp
		env.Must(t, 200, "GET", "/v1/repos/gen/packages/versions/"+big, env.AdminToken, nil).JSON(t, &v)
		if v.State != "draft" {
			t.Fatalf("a denied version is %s", v.State)
		}
		if got := countEventsOf(t, env, "version.published"); got != published {
			t.Fatalf("version.published events %d → %d after a denial", published, got)
		}
		if countEventsOf(t, env, "policy.denied") != 1 {
			t.Fatal("no policy.denied event")
		}
		evs := evaluations(t, env, "gen", big)
		if len(evs) != 1 || evs[0].Decision != "deny" || evs[0].Passed || evs[0].Stage != "publish" {
			t.Fatalf("evaluation log: %+v", evs)
		}
		var audit struct{ Items []struct{ Action string } }
		env.Must(t, 200, "GET", "/v1/audit?repo=gen", env.AdminToken, nil).JSON(t, &audit)
		found := false
		for _, a := range audit.Items {
			found = found || a.Action == "policy.deny"
		}
		if !found {
			t.Fatalf("no policy.deny audit record: %+v", audit.Items)
		}
		// Fixing the content lets it through.
		env.Must(t, 204, "DELETE", "/v1/repos/gen/policies/max-size", env.AdminToken, nil)
		env.Must(t, 200, "POST", "/v1/repos/gen/packages/versions/"+big+"/publish", env.AdminToken, nil)
	})
}

// TestQuarantineBlocksEveryReadPath: a version a policy quarantines is
// published into the quarantine lane and fails closed on every read path
// (423 where a status is returned, hidden where a list is) until it is
// released, when it becomes visible at once; a rejected one stays hidden.
func TestQuarantineBlocksEveryReadPath(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.CreateRepo(t, "gen", nil)
		reader := env.Token(t, "reader", "repo:gen:read")
		promoter := env.Token(t, "reviewer", "repo:gen:promote")
		// A global policy: applies to every repository.
		env.Must(t, 201, "POST", "/v1/policies", env.AdminToken, map[string]any{
			"name": "needs-team", "expression": "'team' in version.labels", "action": "quarantine",
			"message": "label the version with its owning team",
		})
		shared := "a layer both versions ship"
		ok := draft(t, env, "gen", "tool", "1.0.0", map[string]string{"team": "infra"}, map[string]string{"shared.bin": shared, "a.txt": "ok one"})
		env.Must(t, 200, "POST", "/v1/repos/gen/packages/versions/"+ok+"/publish", env.AdminToken, nil)

		held := draft(t, env, "gen", "tool", "2.0.0", nil, map[string]string{"shared.bin": shared, "b.txt": "held back"})
		var pub struct {
			State, QuarantineID, QuarantineReason, Quarantine string
		}
		env.Must(t, 200, "POST", "/v1/repos/gen/packages/versions/"+held+"/publish", env.AdminToken, nil).JSON(t, &pub)
		if pub.State != "published" || pub.QuarantineID == "" || pub.Quarantine != "quarantined" || !strings.Contains(pub.QuarantineReason, "owning team") {
			t.Fatalf("publish into quarantine: %+v", pub)
		}
		if countEventsOf(t, env, "version.quarantined") != 1 || countEventsOf(t, env, "version.published") != 1 {
			t.Fatal("want version.quarantined for the held version and version.published only for the other")
		}

		blockedPaths := []string{
			"/v1/repos/gen/packages/versions/" + held,
			"/v1/repos/gen/packages/tool/versions/2.0.0",
			"/v1/repos/gen/packages/tool/versions/2.0.0/files/b.txt",
			"/v1/repos/gen/blobs/" + digestOf([]byte("held back")),
		}
		for _, tok := range []string{reader, env.AdminToken} {
			for _, p := range blockedPaths {
				r := env.Must(t, 423, "GET", p, tok, nil)
				if r.ErrorCode() != "quarantined" {
					t.Fatalf("GET %s: %s", p, r.Body)
				}
			}
			// A blob the held version shares with a visible one stays readable.
			env.Must(t, 200, "GET", "/v1/repos/gen/blobs/"+digestOf([]byte(shared)), tok, nil)
			var list struct{ Items []struct{ Version string } }
			env.Must(t, 200, "GET", "/v1/repos/gen/packages/tool/versions", tok, nil).JSON(t, &list)
			if len(list.Items) != 1 || list.Items[0].Version != "1.0.0" {
				t.Fatalf("version list shows the held version: %+v", list.Items)
			}
		}
		// The reason is given where a status is returned.
		if r := env.Must(t, 423, "GET", "/v1/repos/gen/packages/tool/versions/2.0.0", reader, nil); !strings.Contains(string(r.Body), "owning team") {
			t.Fatalf("423 without the reason: %s", r.Body)
		}
		// A package whose only version is held is not listed to readers.
		lonely := draft(t, env, "gen", "lonely", "1.0.0", nil, map[string]string{"l.txt": "lonely"})
		env.Must(t, 200, "POST", "/v1/repos/gen/packages/versions/"+lonely+"/publish", env.AdminToken, nil)
		var pkgs struct{ Items []struct{ Name string } }
		env.Must(t, 200, "GET", "/v1/repos/gen/packages", reader, nil).JSON(t, &pkgs)
		if len(pkgs.Items) != 1 || pkgs.Items[0].Name != "tool" {
			t.Fatalf("packages listed to a reader: %+v", pkgs.Items)
		}
		// Search shows only the visible version of tool.
		rebuildSearch(t, env)
		if hits := searchHits(t, env, reader, "tool"); hits != 1 {
			t.Fatalf("search for tool: %d hits, want 1 (the held version hidden)", hits)
		}

		// The lane, as the reviewer sees it.
		var lane struct {
			Items []struct{ ID, Status, Package, Version, Reason string }
		}
		env.Must(t, 403, "GET", "/v1/repos/gen/quarantine", reader, nil)
		env.Must(t, 200, "GET", "/v1/repos/gen/quarantine?status=quarantined", promoter, nil).JSON(t, &lane)
		if len(lane.Items) != 2 {
			t.Fatalf("lane: %+v", lane.Items)
		}
		env.Must(t, 200, "GET", "/v1/repos/gen/quarantine/"+pub.QuarantineID, promoter, nil)

		// Release: visible at once, announced as published.
		env.Must(t, 200, "POST", "/v1/repos/gen/quarantine/"+pub.QuarantineID+"/release", promoter, map[string]any{"note": "team confirmed"})
		for _, p := range blockedPaths {
			env.Must(t, 200, "GET", p, reader, nil)
		}
		if countEventsOf(t, env, "quarantine.released") != 1 || countEventsOf(t, env, "version.published") != 2 {
			t.Fatal("release must emit quarantine.released and version.published")
		}
		rebuildSearch(t, env)
		if hits := searchHits(t, env, reader, "tool"); hits != 2 {
			t.Fatalf("search for tool after the release: %d hits, want 2", hits)
		}
		r := env.Must(t, 409, "POST", "/v1/repos/gen/quarantine/"+pub.QuarantineID+"/reject", promoter, nil)
		if r.ErrorCode() != "quarantine_already_decided" {
			t.Fatalf("second decision: %s", r.Body)
		}

		// Reject: stays hidden, with the rejected status.
		var lonelyItem string
		env.Must(t, 200, "GET", "/v1/repos/gen/quarantine?status=quarantined", promoter, nil).JSON(t, &lane)
		lonelyItem = lane.Items[0].ID
		env.Must(t, 200, "POST", "/v1/repos/gen/quarantine/"+lonelyItem+"/reject", promoter, nil)
		if r := env.Must(t, 423, "GET", "/v1/repos/gen/packages/lonely/versions/1.0.0", reader, nil); !strings.Contains(string(r.Body), "rejected") {
			t.Fatalf("rejected version: %s", r.Body)
		}
		if countEventsOf(t, env, "quarantine.rejected") != 1 {
			t.Fatal("no quarantine.rejected event")
		}
		// Publishing again is no way around the lane.
		if r := env.Must(t, 423, "POST", "/v1/repos/gen/packages/versions/"+lonely+"/publish", env.AdminToken, nil); r.ErrorCode() != "quarantined" {
			t.Fatalf("publishing a rejected version again: %s", r.Body)
		}
	})
}

// TestPolicyEvaluationFailsClosed: an expression that fails at run time
// decides by its onError (quarantine here), and the error is logged.
func TestPolicyEvaluationFailsClosed(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.CreateRepo(t, "gen", nil)
		env.Must(t, 201, "POST", "/v1/repos/gen/policies", env.AdminToken, map[string]any{
			"name": "broken", "expression": "manifest.missing == 'x'", "action": "deny", "onError": "quarantine",
		})
		id := draft(t, env, "gen", "tool", "1.0.0", nil, map[string]string{"a": "bytes"})
		var pub struct{ QuarantineID string }
		env.Must(t, 200, "POST", "/v1/repos/gen/packages/versions/"+id+"/publish", env.AdminToken, nil).JSON(t, &pub)
		if pub.QuarantineID == "" {
			t.Fatal("an evaluation error did not fail closed")
		}
		evs := evaluations(t, env, "gen", id)
		if len(evs) != 1 || evs[0].Error == "" || evs[0].Decision != "quarantine" {
			t.Fatalf("evaluation log: %+v", evs)
		}
		// The fail-closed decision is audited with its cause.
		var audit struct {
			Items []struct {
				Action  string
				Details map[string]any
			}
		}
		env.Must(t, 200, "GET", "/v1/audit?repo=gen", env.AdminToken, nil).JSON(t, &audit)
		found := false
		for _, a := range audit.Items {
			found = found || (a.Action == "version.publish" && a.Details["failedEvaluations"] != nil)
		}
		if !found {
			t.Fatalf("no audit record of the failed evaluation: %+v", audit.Items)
		}
	})
}

// TestPolicyAuthoring: invalid policies are refused with the field named;
// a dry run evaluates a stored policy against a version without effect.
func TestPolicyAuthoring(t *testing.T) {
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "gen", nil)
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "p", "expression": "version.size >", "action": "deny"}, "expression"},
		{map[string]any{"name": "p", "expression": "verison.name == 'x'", "action": "deny"}, "expression"},
		{map[string]any{"name": "p", "expression": "version.name", "action": "deny"}, "expression"},
		{map[string]any{"name": "p", "expression": "true", "action": "allow"}, "action"},
		{map[string]any{"name": "Bad Name", "expression": "true", "action": "deny"}, "name"},
		{map[string]any{"name": "p", "expression": "true", "action": "deny", "onError": "ignore"}, "onError"},
	} {
		r := env.Must(t, 400, "POST", "/v1/repos/gen/policies", env.AdminToken, tc.body)
		var e struct {
			Error struct {
				Code    string
				Details map[string]any
			}
		}
		if err := json.Unmarshal(r.Body, &e); err != nil || e.Error.Code != "invalid_policy" || e.Error.Details["field"] != tc.field {
			t.Errorf("%v: %s", tc.body, r.Body)
		}
	}
	env.Must(t, 201, "POST", "/v1/repos/gen/policies", env.AdminToken, map[string]any{
		"name": "semver", "expression": "isSemver(version.version)", "action": "deny", "message": "versions are semver",
	})
	env.Must(t, 409, "POST", "/v1/repos/gen/policies", env.AdminToken, map[string]any{"name": "semver", "expression": "true", "action": "deny"})
	id := draft(t, env, "gen", "tool", "1.0", nil, map[string]string{"a": "bytes"})
	var ev evaluationResp
	env.Must(t, 200, "POST", "/v1/repos/gen/policies/semver/dry-run", env.AdminToken, map[string]any{"versionId": id}).JSON(t, &ev)
	if ev.Decision != "deny" || ev.Passed || ev.Message != "versions are semver" {
		t.Fatalf("dry run: %+v", ev)
	}
	if len(evaluations(t, env, "gen", id)) != 0 {
		t.Fatal("a dry run was logged")
	}
	var list struct{ Items []struct{ Name string } }
	env.Must(t, 200, "GET", "/v1/repos/gen/policies", env.AdminToken, nil).JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].Name != "semver" {
		t.Fatalf("list: %+v", list.Items)
	}
}

// rebuildSearch rebuilds the search index from the truth tables, driving
// the rebuild's batches in the test.
func rebuildSearch(t *testing.T, env *servertest.Env) {
	t.Helper()
	env.Must(t, 200, "POST", "/v1/admin/search/rebuild", env.AdminToken, nil)
	for {
		more, err := env.Server.SearchStep(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			return
		}
	}
}

// searchHits counts the search hits for q in repository gen as a caller.
func searchHits(t *testing.T, env *servertest.Env, token, q string) int {
	t.Helper()
	var res struct{ Items []struct{ Version string } }
	env.Must(t, 200, "GET", "/v1/repos/gen/search?q="+q, token, nil).JSON(t, &res)
	return len(res.Items)
}

// TestPromotion: promotion copies a published version into another local
// repository of the same format without copying bytes, through the
// target's policies (gated promotion): a deny refuses it and leaves
// nothing in the target; a pass publishes the copy there.
func TestPromotion(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.CreateRepo(t, "staging", nil)
		env.CreateRepo(t, "release", nil)
		env.CreateRepo(t, "npm-release", map[string]any{"format": "npm"})
		ci := env.Token(t, "ci", "repo:staging:read", "repo:release:promote")
		id := draft(t, env, "staging", "tool", "1.0.0", map[string]string{"team": "infra"}, map[string]string{"tool.bin": "the tool"})
		env.Must(t, 200, "POST", "/v1/repos/staging/packages/versions/"+id+"/publish", env.AdminToken, nil)
		promote := "/v1/repos/staging/packages/versions/" + id + "/promote"

		// The target's policies gate the copy.
		env.Must(t, 201, "POST", "/v1/repos/release/policies", env.AdminToken, map[string]any{
			"name": "approved", "expression": "'approved' in version.labels", "action": "deny", "message": "releases need the approved label",
		})
		if r := env.Must(t, 403, "POST", promote, ci, map[string]any{"targetRepo": "release"}); r.ErrorCode() != "policy_denied" {
			t.Fatalf("gated promotion: %s", r.Body)
		}
		env.Must(t, 404, "GET", "/v1/repos/release/packages/tool/versions/1.0.0", env.AdminToken, nil)
		env.Must(t, 404, "GET", "/v1/repos/release/blobs/"+digestOf([]byte("the tool")), env.AdminToken, nil)
		if evs := evaluations(t, env, "staging", id); len(evs) != 1 || evs[0].Stage != "promote" || evs[0].Decision != "deny" {
			t.Fatalf("the refusal is logged on the source version: %+v", evs)
		}

		env.Must(t, 204, "DELETE", "/v1/repos/release/policies/approved", env.AdminToken, nil)
		var v struct {
			VersionID, State, Repo string
			Labels                 map[string]string
		}
		env.Must(t, 201, "POST", promote, ci, map[string]any{"targetRepo": "release"}).JSON(t, &v)
		if v.VersionID == id || v.State != "published" || v.Repo != "release" || v.Labels["team"] != "infra" {
			t.Fatalf("promoted copy: %+v", v)
		}
		if r := env.Must(t, 200, "GET", "/v1/repos/release/packages/tool/versions/1.0.0/files/tool.bin", env.AdminToken, nil); string(r.Body) != "the tool" {
			t.Fatalf("the copy serves %q", r.Body)
		}
		if r := env.Must(t, 409, "POST", promote, ci, map[string]any{"targetRepo": "release"}); r.ErrorCode() != "version_exists" {
			t.Fatalf("second promotion: %s", r.Body)
		}
		env.Must(t, 400, "POST", promote, env.AdminToken, map[string]any{"targetRepo": "npm-release"})
		env.Must(t, 400, "POST", promote, env.AdminToken, map[string]any{"targetRepo": "staging"})
		// A draft the caller cannot see is not found, not described.
		hidden := draft(t, env, "staging", "tool", "3.0.0-rc1", nil, map[string]string{"tool.bin": "the tool"})
		if r := env.Must(t, 404, "POST", "/v1/repos/staging/packages/versions/"+hidden+"/promote", ci, map[string]any{"targetRepo": "release"}); strings.Contains(string(r.Body), "draft") {
			t.Fatalf("promotion of a hidden draft: %s", r.Body)
		}
		// Promote on the target is required.
		reader := env.Token(t, "reader", "repo:staging:read", "repo:release:write")
		env.Must(t, 403, "POST", promote, reader, map[string]any{"targetRepo": "release"})
	})
}

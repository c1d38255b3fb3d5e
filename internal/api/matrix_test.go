package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/artifortress/artifortress/internal/servertest"
)

// The callers of the authorization matrix. Each holds one thing on the
// repository "target" (or nothing, or something elsewhere).
var callers = []struct {
	name  string
	scope string // "" for anonymous
}{
	{"anonymous", ""},
	{"norole", "repo:unrelated:read"},
	{"reader", "repo:target:read"},
	{"writer", "repo:target:write"},
	{"promoter", "repo:target:promote"},
	{"repoadmin", "repo:target:admin"},
	{"otheradmin", "repo:other:admin"},
	{"globaladmin", "admin"},
}

// want lists expected statuses in the order of callers.
type want [8]int

const (
	s200 = http.StatusOK
	s201 = http.StatusCreated
	s204 = http.StatusNoContent
	s401 = http.StatusUnauthorized
	s403 = http.StatusForbidden
	s404 = http.StatusNotFound
	s409 = http.StatusConflict
	s400 = http.StatusBadRequest
)

type matrixCase struct {
	method, pattern string
	path            string
	// pathFn, when set, builds the path after before ran (session ids).
	pathFn func() string
	// body builds the request body for a caller (nil: no body).
	body func(caller string) any
	// before prepares state for one request; after restores it.
	before, after func(t *testing.T, env *servertest.Env)
	want          want
}

// passingPolicy is a policy every version passes.
func passingPolicy(name string) map[string]any {
	return map[string]any{"name": name, "expression": "true", "action": "deny", "message": "never shown"}
}

// fixtureVersionID is the published version "fixture" 1.0.0 in "target".
var fixtureVersionID string

func matrix() []matrixCase {
	var victimID, sessionID string
	sessionPath := func(rest string) func() string {
		return func() string { return "/v1/repos/target/uploads/" + sessionID + rest }
	}
	newSession := func(parts int, complete bool) func(t *testing.T, env *servertest.Env) {
		return func(t *testing.T, env *servertest.Env) {
			var s struct{ UploadID string }
			env.Must(t, s201, "POST", "/v1/repos/target/uploads", env.AdminToken, map[string]any{}).JSON(t, &s)
			sessionID = s.UploadID
			for i := 1; i <= parts; i++ {
				env.Must(t, s200, "PUT", fmt.Sprintf("/v1/repos/target/uploads/%s/parts/%d", sessionID, i), env.AdminToken, "part")
			}
			if complete {
				env.Must(t, s200, "POST", "/v1/repos/target/uploads/"+sessionID+"/complete", env.AdminToken, nil)
			}
		}
	}
	const matrixBlob = "matrix blob"
	blobPath := "/v1/repos/target/blobs/" + digestOf([]byte(matrixBlob))
	putMatrixBlob := func(t *testing.T, env *servertest.Env) {
		env.Must(t, s201, "PUT", "/v1/repos/target/blobs", env.AdminToken, matrixBlob)
	}
	writers := want{s401, s404, s403, s200, s403, s200, s404, s200}
	globalOnly := want{s401, s403, s403, s403, s403, s403, s403, s200}
	webhookAdmins := want{s401, s404, s404, s404, s404, s200, s404, s200}
	// rebuildIn puts the search rebuild in state (running or paused).
	rebuildIn := func(state string) func(t *testing.T, env *servertest.Env) {
		return func(t *testing.T, env *servertest.Env) {
			for range 3 {
				var st struct{ State string }
				env.Must(t, s200, "GET", "/v1/admin/search/status", env.AdminToken, nil).JSON(t, &st)
				switch {
				case st.State == state:
					return
				case st.State == "running":
					env.Must(t, s200, "POST", "/v1/admin/search/pause", env.AdminToken, nil)
				case st.State == "paused":
					env.Must(t, s200, "POST", "/v1/admin/search/resume", env.AdminToken, nil)
				default:
					env.Must(t, s200, "POST", "/v1/admin/search/rebuild", env.AdminToken, nil)
				}
			}
		}
	}
	var webhookID string
	newWebhook := func(t *testing.T, env *servertest.Env) {
		var wh struct{ ID string }
		env.Must(t, s201, "POST", "/v1/webhooks", env.AdminToken, map[string]any{
			"url": "https://hooks.example.com/in", "events": []string{"version.published"}, "repos": []string{"target"},
		}).JSON(t, &wh)
		webhookID = wh.ID
	}
	webhookPath := func(rest string) func() string {
		return func() string { return "/v1/webhooks/" + webhookID + rest }
	}
	readers := want{s401, s404, s200, s200, s200, s200, s404, s200}
	promoters := want{s401, s404, s403, s403, s200, s200, s404, s200}
	publishersOrReviewers := want{s401, s404, s403, s200, s200, s200, s404, s200}
	promotersMissing := want{s401, s404, s403, s403, s404, s404, s404, s404} // authorized callers meet the missing item
	ensurePolicy := func(path string) func(t *testing.T, env *servertest.Env) {
		return func(t *testing.T, env *servertest.Env) {
			if r := env.Do(t, "PUT", path, env.AdminToken, passingPolicy("matrix")); r.Status != s200 && r.Status != s201 {
				t.Fatalf("ensure policy: %d %s", r.Status, r.Body)
			}
		}
	}
	dropPolicy := func(path string) func(t *testing.T, env *servertest.Env) {
		return func(t *testing.T, env *servertest.Env) { env.Do(t, "DELETE", path, env.AdminToken, nil) }
	}
	var draftID string
	draftN := 0
	newDraft := func(ready bool) func(t *testing.T, env *servertest.Env) {
		return func(t *testing.T, env *servertest.Env) {
			draftN++
			version := fmt.Sprintf("2.0.%d", draftN)
			var v struct{ VersionID string }
			env.Must(t, s201, "POST", "/v1/repos/target/packages/versions/drafts", env.AdminToken, map[string]any{"name": "fixture", "version": version}).JSON(t, &v)
			draftID = v.VersionID
			if ready {
				env.Must(t, s200, "POST", "/v1/repos/target/packages/versions/"+draftID+"/entries", env.AdminToken,
					map[string]any{"entries": []map[string]any{{"path": "f", "digest": digestOf([]byte(matrixBlob))}}})
				env.Must(t, s200, "PUT", "/v1/repos/target/packages/versions/"+draftID+"/manifest", env.AdminToken, map[string]any{"name": "fixture", "version": version})
			}
		}
	}
	// newPublished publishes a fresh version of fixture; tombstoned too
	// when gone is set.
	newPublished := func(gone bool) func(t *testing.T, env *servertest.Env) {
		return func(t *testing.T, env *servertest.Env) {
			newDraft(true)(t, env)
			env.Must(t, s200, "POST", "/v1/repos/target/packages/versions/"+draftID+"/publish", env.AdminToken, nil)
			if gone {
				env.Must(t, s200, "DELETE", "/v1/repos/target/packages/versions/"+draftID, env.AdminToken, nil)
			}
		}
	}
	draftPath := func(rest string) func() string {
		return func() string { return "/v1/repos/target/packages/versions/" + draftID + rest }
	}
	publishedPath := func(rest string) func() string {
		return func() string { return "/v1/repos/target/packages/versions/" + fixtureVersionID + rest }
	}
	return []matrixCase{
		{method: "GET", pattern: "/v1/auth/whoami", path: "/v1/auth/whoami",
			want: want{s401, s200, s200, s200, s200, s200, s200, s200}},
		{method: "POST", pattern: "/v1/auth/pats", path: "/v1/auth/pats",
			body: func(c string) any {
				return map[string]any{"subject": c, "scopes": []string{"repo:target:read"}, "ttlMinutes": 5}
			},
			want: want{s401, s403, s201, s201, s201, s201, s403, s201}},
		{method: "POST", pattern: "/v1/auth/pats/revoke", path: "/v1/auth/pats/revoke",
			before: func(t *testing.T, env *servertest.Env) {
				r := env.Must(t, s201, "POST", "/v1/auth/pats", env.AdminToken, map[string]any{"subject": "victim", "scopes": []string{"repo:target:read"}})
				var out struct{ TokenID string }
				r.JSON(t, &out)
				victimID = out.TokenID
			},
			body: func(string) any { return map[string]any{"tokenId": victimID} },
			want: want{s401, s404, s404, s404, s404, s404, s404, s200}},
		{method: "GET", pattern: "/v1/admin/auth/pats", path: "/v1/admin/auth/pats",
			want: want{s401, s403, s403, s403, s403, s403, s403, s200}},
		{method: "POST", pattern: "/v1/repos", path: "/v1/repos",
			body: func(c string) any { return map[string]any{"key": "new-" + c, "type": "local", "format": "npm"} },
			want: want{s401, s403, s403, s403, s403, s403, s403, s201}},
		{method: "GET", pattern: "/v1/repos", path: "/v1/repos",
			want: want{s401, s200, s200, s200, s200, s200, s200, s200}},
		{method: "GET", pattern: "/v1/repos/{key}", path: "/v1/repos/target",
			want: want{s401, s404, s200, s200, s200, s200, s404, s200}},
		{method: "PATCH", pattern: "/v1/repos/{key}", path: "/v1/repos/target",
			body: func(c string) any { return map[string]any{"description": "by " + c} },
			want: want{s401, s404, s403, s403, s403, s200, s404, s200}},
		// "target" holds packages: an authorized caller passes authorization
		// and meets the 409 that protects them.
		{method: "DELETE", pattern: "/v1/repos/{key}", path: "/v1/repos/target",
			want: want{s401, s404, s403, s403, s403, s409, s404, s409}},
		{method: "GET", pattern: "/v1/repos/{key}/bindings", path: "/v1/repos/target/bindings",
			want: want{s401, s404, s403, s403, s403, s200, s404, s200}},
		{method: "PUT", pattern: "/v1/repos/{key}/bindings/{subject}", path: "/v1/repos/target/bindings/alice",
			body: func(string) any { return map[string]any{"roles": []string{"read"}} },
			want: want{s401, s404, s403, s403, s403, s200, s404, s200}},
		{method: "DELETE", pattern: "/v1/repos/{key}/bindings/{subject}", path: "/v1/repos/target/bindings/alice",
			before: func(t *testing.T, env *servertest.Env) {
				env.Must(t, s200, "PUT", "/v1/repos/target/bindings/alice", env.AdminToken, map[string]any{"roles": []string{"write"}})
			},
			want: want{s401, s404, s403, s403, s403, s204, s404, s204}},
		// "target" is local: an authorized caller passes authorization and
		// meets the 409 (no upstream) or the 404 (no credentials).
		{method: "PUT", pattern: "/v1/repos/{key}/upstream-credentials", path: "/v1/repos/target/upstream-credentials",
			body: func(string) any { return map[string]any{"scheme": "bearer", "secret": "s3cret"} },
			want: want{s401, s404, s403, s403, s403, s409, s404, s409}},
		{method: "GET", pattern: "/v1/repos/{key}/upstream-credentials", path: "/v1/repos/target/upstream-credentials",
			want: want{s401, s404, s403, s403, s403, s404, s404, s404}},
		{method: "DELETE", pattern: "/v1/repos/{key}/upstream-credentials", path: "/v1/repos/target/upstream-credentials",
			want: want{s401, s404, s403, s403, s403, s404, s404, s404}},
		{method: "GET", pattern: "/v1/audit", path: "/v1/audit",
			want: want{s401, s403, s403, s403, s403, s403, s403, s200}},
		{method: "GET", pattern: "/v1/audit/export", path: "/v1/audit/export",
			want: want{s401, s403, s403, s403, s403, s403, s403, s200}},
		{method: "POST", pattern: "/v1/repos/{key}/uploads", path: "/v1/repos/target/uploads",
			body: func(string) any { return map[string]any{} },
			want: want{s401, s404, s403, s201, s403, s201, s404, s201}},
		{method: "GET", pattern: "/v1/repos/{key}/uploads/{id}", pathFn: sessionPath(""),
			before: newSession(1, false), want: writers},
		{method: "PUT", pattern: "/v1/repos/{key}/uploads/{id}/parts/{n}", pathFn: sessionPath("/parts/1"),
			before: newSession(0, false), body: func(string) any { return "bytes" }, want: writers},
		{method: "POST", pattern: "/v1/repos/{key}/uploads/{id}/parts/{n}/url", pathFn: sessionPath("/parts/1/url"),
			before: newSession(0, false), want: writers},
		{method: "POST", pattern: "/v1/repos/{key}/uploads/{id}/complete", pathFn: sessionPath("/complete"),
			before: newSession(1, false), want: writers},
		{method: "POST", pattern: "/v1/repos/{key}/uploads/{id}/commit", pathFn: sessionPath("/commit"),
			before: newSession(1, true), want: writers},
		{method: "POST", pattern: "/v1/repos/{key}/uploads/{id}/abort", pathFn: sessionPath("/abort"),
			before: newSession(1, false), want: writers},
		// A direct part URL is authorized by its signature alone: a token
		// does not replace a valid signature.
		{method: "PUT", pattern: "/v1/uploads/{id}/parts/{n}/direct",
			pathFn: func() string { return "/v1/uploads/" + sessionID + "/parts/1/direct?expires=9999999999&signature=00" },
			before: newSession(0, false), body: func(string) any { return "bytes" },
			want: want{s403, s403, s403, s403, s403, s403, s403, s403}},
		{method: "PUT", pattern: "/v1/repos/{key}/blobs", path: "/v1/repos/target/blobs",
			body: func(c string) any { return "blob by " + c },
			want: want{s401, s404, s403, s201, s403, s201, s404, s201}},
		{method: "GET", pattern: "/v1/repos/{key}/blobs/{digest}", path: blobPath, before: putMatrixBlob,
			want: want{s401, s404, s200, s200, s200, s200, s404, s200}},
		{method: "HEAD", pattern: "/v1/repos/{key}/blobs/{digest}", path: blobPath, before: putMatrixBlob,
			want: want{s401, s404, s200, s200, s200, s200, s404, s200}},
		{method: "GET", pattern: "/v1/repos/{key}/packages", path: "/v1/repos/target/packages", want: readers},
		{method: "POST", pattern: "/v1/repos/{key}/packages/versions/drafts", path: "/v1/repos/target/packages/versions/drafts",
			body: func(c string) any { return map[string]any{"name": "pkg-" + c, "version": "1.0.0"} },
			want: want{s401, s404, s403, s201, s403, s201, s404, s201}},
		{method: "GET", pattern: "/v1/repos/{key}/packages/versions/{versionId}", pathFn: publishedPath(""), want: readers},
		{method: "POST", pattern: "/v1/repos/{key}/packages/versions/{versionId}/entries", pathFn: draftPath("/entries"), before: newDraft(false),
			body: func(string) any {
				return map[string]any{"entries": []map[string]any{{"path": "f", "digest": digestOf([]byte(matrixBlob))}}}
			}, want: writers},
		{method: "PUT", pattern: "/v1/repos/{key}/packages/versions/{versionId}/manifest", pathFn: draftPath("/manifest"), before: newDraft(false),
			body: func(string) any { return map[string]any{"name": "fixture", "version": fmt.Sprintf("2.0.%d", draftN)} }, want: writers},
		{method: "GET", pattern: "/v1/repos/{key}/packages/versions/{versionId}/manifest", pathFn: publishedPath("/manifest"), want: readers},
		{method: "POST", pattern: "/v1/repos/{key}/packages/versions/{versionId}/publish", pathFn: draftPath("/publish"), before: newDraft(true),
			want: want{s401, s404, s403, s403, s200, s200, s404, s200}},
		{method: "DELETE", pattern: "/v1/repos/{key}/packages/versions/{versionId}", pathFn: draftPath(""), before: newPublished(false),
			want: want{s401, s404, s403, s403, s403, s200, s404, s200}},
		{method: "POST", pattern: "/v1/repos/{key}/packages/versions/{versionId}/restore", pathFn: draftPath("/restore"), before: newPublished(true),
			want: want{s401, s404, s403, s403, s403, s200, s404, s200}},
		{method: "GET", pattern: "/v1/repos/{key}/packages/{name}/versions", path: "/v1/repos/target/packages/fixture/versions", want: readers},
		{method: "GET", pattern: "/v1/repos/{key}/packages/{name}/versions/{version}", path: "/v1/repos/target/packages/fixture/versions/1.0.0", want: readers},
		{method: "GET", pattern: "/v1/repos/{key}/packages/{name}/versions/{version}/files/{path...}", path: "/v1/repos/target/packages/fixture/versions/1.0.0/files/f", want: readers},
		{method: "HEAD", pattern: "/v1/repos/{key}/packages/{name}/versions/{version}/files/{path...}", path: "/v1/repos/target/packages/fixture/versions/1.0.0/files/f", want: readers},
		{method: "PUT", pattern: "/v1/repos/{key}/packages/{name}/versions/{version}/deprecation", path: "/v1/repos/target/packages/fixture/versions/1.0.0/deprecation",
			body: func(string) any { return map[string]any{"message": ""} }, want: writers},
		{method: "GET", pattern: "/v1/repos/{key}/packages/{name}/tags", path: "/v1/repos/target/packages/fixture/tags", want: readers},
		{method: "GET", pattern: "/v1/repos/{key}/packages/{name}/tags/{tag}", path: "/v1/repos/target/packages/fixture/tags/latest", want: readers},
		{method: "PUT", pattern: "/v1/repos/{key}/packages/{name}/tags/{tag}", path: "/v1/repos/target/packages/fixture/tags/next",
			body: func(string) any { return map[string]any{"version": "1.0.0"} }, want: writers},
		{method: "DELETE", pattern: "/v1/repos/{key}/packages/{name}/tags/{tag}", path: "/v1/repos/target/packages/fixture/tags/temp",
			before: func(t *testing.T, env *servertest.Env) {
				env.Must(t, s200, "PUT", "/v1/repos/target/packages/fixture/tags/temp", env.AdminToken, map[string]any{"version": "1.0.0"})
			}, want: want{s401, s404, s403, s204, s403, s204, s404, s204}},
		{method: "GET", pattern: "/v1/search", path: "/v1/search?q=fixture", want: want{s401, s200, s200, s200, s200, s200, s200, s200}},
		{method: "GET", pattern: "/v1/repos/{key}/search", path: "/v1/repos/target/search?q=fixture", want: readers},
		{method: "GET", pattern: "/v1/admin/search/status", path: "/v1/admin/search/status", want: globalOnly},
		{method: "POST", pattern: "/v1/admin/search/rebuild", path: "/v1/admin/search/rebuild", want: globalOnly},
		{method: "POST", pattern: "/v1/admin/search/pause", path: "/v1/admin/search/pause",
			before: rebuildIn("running"), want: globalOnly},
		{method: "POST", pattern: "/v1/admin/search/resume", path: "/v1/admin/search/resume",
			before: rebuildIn("paused"), want: globalOnly},
		{method: "GET", pattern: "/v1/admin/events", path: "/v1/admin/events?state=pending", want: globalOnly},
		{method: "GET", pattern: "/v1/admin/events/stats", path: "/v1/admin/events/stats", want: globalOnly},
		{method: "GET", pattern: "/v1/admin/events/{id}", path: "/v1/admin/events/1", want: globalOnly},
		// The fixture's event has no dead delivery: an authorized caller
		// passes authorization and meets the 409.
		{method: "POST", pattern: "/v1/admin/events/{id}/replay", path: "/v1/admin/events/1/replay",
			want: want{s401, s403, s403, s403, s403, s403, s403, s409}},
		{method: "POST", pattern: "/v1/webhooks", path: "/v1/webhooks",
			body: func(string) any {
				return map[string]any{"url": "https://hooks.example.com/in", "events": []string{"version.published"}, "repos": []string{"target"}}
			}, want: want{s401, s400, s403, s403, s403, s201, s400, s201}}, // 400: "target" does not exist for them
		{method: "GET", pattern: "/v1/webhooks", path: "/v1/webhooks", want: want{s401, s200, s200, s200, s200, s200, s200, s200}},
		{method: "GET", pattern: "/v1/webhooks/{id}", pathFn: webhookPath(""), before: newWebhook, want: webhookAdmins},
		{method: "PATCH", pattern: "/v1/webhooks/{id}", pathFn: webhookPath(""), before: newWebhook,
			body: func(string) any { return map[string]any{"enabled": false} }, want: webhookAdmins},
		{method: "DELETE", pattern: "/v1/webhooks/{id}", pathFn: webhookPath(""), before: newWebhook,
			want: want{s401, s404, s404, s404, s404, s204, s404, s204}},
		{method: "GET", pattern: "/v1/webhooks/{id}/deliveries", pathFn: webhookPath("/deliveries"), before: newWebhook, want: webhookAdmins},
		{method: "POST", pattern: "/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver", pathFn: webhookPath("/deliveries/999999/redeliver"), before: newWebhook,
			want: want{s401, s404, s404, s404, s404, s404, s404, s404}},
		// Policies and the quarantine lane. Policies made here always pass
		// ("true"), so they change no other row's outcome.
		{method: "GET", pattern: "/v1/repos/{key}/packages/versions/{versionId}/evaluations", pathFn: func() string {
			return "/v1/repos/target/packages/versions/" + fixtureVersionID + "/evaluations"
		}, want: publishersOrReviewers},
		// Promotion needs read on the source and promote on the target
		// ("other", where only the global admin holds a role).
		{method: "POST", pattern: "/v1/repos/{key}/packages/versions/{versionId}/promote", pathFn: func() string {
			return "/v1/repos/target/packages/versions/" + fixtureVersionID + "/promote"
		}, body: func(string) any { return map[string]any{"targetRepo": "other"} },
			want: want{s401, s404, s404, s404, s404, s404, s404, s201}},
		{method: "GET", pattern: "/v1/repos/{key}/quarantine", path: "/v1/repos/target/quarantine?status=quarantined", want: promoters},
		{method: "GET", pattern: "/v1/repos/{key}/quarantine/{id}", path: "/v1/repos/target/quarantine/qua_none", want: promotersMissing},
		{method: "POST", pattern: "/v1/repos/{key}/quarantine/{id}/release", path: "/v1/repos/target/quarantine/qua_none/release", want: promotersMissing},
		{method: "POST", pattern: "/v1/repos/{key}/quarantine/{id}/reject", path: "/v1/repos/target/quarantine/qua_none/reject", want: promotersMissing},
		{method: "POST", pattern: "/v1/policies", path: "/v1/policies", body: func(string) any { return passingPolicy("matrix-new") },
			after: dropPolicy("/v1/policies/matrix-new"), want: want{s401, s403, s403, s403, s403, s403, s403, s201}},
		{method: "GET", pattern: "/v1/policies", path: "/v1/policies", want: want{s401, s200, s200, s200, s200, s200, s200, s200}},
		{method: "GET", pattern: "/v1/policies/{name}", path: "/v1/policies/matrix", before: ensurePolicy("/v1/policies/matrix"),
			want: want{s401, s200, s200, s200, s200, s200, s200, s200}},
		{method: "PUT", pattern: "/v1/policies/{name}", path: "/v1/policies/matrix", before: ensurePolicy("/v1/policies/matrix"),
			body: func(string) any { return passingPolicy("matrix") }, want: globalOnly},
		{method: "DELETE", pattern: "/v1/policies/{name}", path: "/v1/policies/matrix", before: ensurePolicy("/v1/policies/matrix"),
			want: want{s401, s403, s403, s403, s403, s403, s403, s204}},
		{method: "POST", pattern: "/v1/policies/{name}/dry-run", path: "/v1/policies/matrix/dry-run", before: ensurePolicy("/v1/policies/matrix"),
			body: func(string) any { return map[string]any{"repo": "target", "versionId": fixtureVersionID} }, want: publishersOrReviewers},
		{method: "POST", pattern: "/v1/repos/{key}/policies", path: "/v1/repos/target/policies", body: func(string) any { return passingPolicy("matrix-new") },
			after: dropPolicy("/v1/repos/target/policies/matrix-new"), want: want{s401, s404, s403, s403, s403, s201, s404, s201}},
		{method: "GET", pattern: "/v1/repos/{key}/policies", path: "/v1/repos/target/policies?effective=true", want: readers},
		{method: "GET", pattern: "/v1/repos/{key}/policies/{name}", path: "/v1/repos/target/policies/matrix", before: ensurePolicy("/v1/repos/target/policies/matrix"), want: readers},
		{method: "PUT", pattern: "/v1/repos/{key}/policies/{name}", path: "/v1/repos/target/policies/matrix", before: ensurePolicy("/v1/repos/target/policies/matrix"),
			body: func(string) any { return passingPolicy("matrix") }, want: want{s401, s404, s403, s403, s403, s200, s404, s200}},
		{method: "DELETE", pattern: "/v1/repos/{key}/policies/{name}", path: "/v1/repos/target/policies/matrix", before: ensurePolicy("/v1/repos/target/policies/matrix"),
			want: want{s401, s404, s403, s403, s403, s204, s404, s204}},
		{method: "POST", pattern: "/v1/repos/{key}/policies/{name}/dry-run", path: "/v1/repos/target/policies/matrix/dry-run", before: ensurePolicy("/v1/repos/target/policies/matrix"),
			body: func(string) any { return map[string]any{"versionId": fixtureVersionID} }, want: publishersOrReviewers},
		// Service endpoints answer everyone.
		{method: "GET", pattern: "/health/live", path: "/health/live",
			want: want{s200, s200, s200, s200, s200, s200, s200, s200}},
		{method: "GET", pattern: "/health/ready", path: "/health/ready",
			want: want{s200, s200, s200, s200, s200, s200, s200, s200}},
		{method: "GET", pattern: "/metrics", path: "/metrics",
			want: want{s200, s200, s200, s200, s200, s200, s200, s200}},
	}
}

// TestAuthorizationMatrix sends every endpoint as every kind of caller and
// checks the status, on SQLite and PostgreSQL. It also fails when the API
// grows an endpoint the matrix does not list.
func TestAuthorizationMatrix(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.CreateRepo(t, "target", nil)
		env.CreateRepo(t, "other", nil)
		env.Must(t, s201, "PUT", "/v1/repos/target/blobs", env.AdminToken, "matrix blob")
		fixtureVersionID = publishGeneric(t, env, "target", env.AdminToken, "fixture", "1.0.0", map[string]string{"f": "matrix blob"}).VersionID
		env.Must(t, s200, "PUT", "/v1/repos/target/packages/fixture/tags/latest", env.AdminToken, map[string]any{"version": "1.0.0"})
		tokens := map[string]string{}
		for _, c := range callers {
			if c.scope != "" {
				tokens[c.name] = env.Token(t, c.name, c.scope)
			}
		}
		cases := matrix()
		covered := map[string]bool{}
		for _, mc := range cases {
			covered[mc.method+" "+mc.pattern] = true
		}
		for _, r := range env.Server.API().Routes() {
			if !covered[r.Method+" "+r.Pattern] {
				t.Errorf("endpoint %s %s is not in the authorization matrix", r.Method, r.Pattern)
			}
		}
		for _, mc := range cases {
			for i, c := range callers {
				t.Run(fmt.Sprintf("%s %s as %s", mc.method, mc.pattern, c.name), func(t *testing.T) {
					if mc.before != nil {
						mc.before(t, env)
					}
					var body any
					if mc.body != nil {
						body = mc.body(c.name)
					}
					path := mc.path
					if mc.pathFn != nil {
						path = mc.pathFn()
					}
					r := env.Do(t, mc.method, path, tokens[c.name], body)
					if r.Status != mc.want[i] {
						t.Errorf("status %d, want %d: %s", r.Status, mc.want[i], r.Body)
					}
					if r.Status == s401 && r.Header.Get("WWW-Authenticate") == "" {
						t.Errorf("401 without WWW-Authenticate")
					}
					if r.Status >= 400 && mc.method != "HEAD" && r.ErrorCode() == "" {
						t.Errorf("error without a code: %s", r.Body)
					}
					if mc.after != nil {
						mc.after(t, env)
					}
				})
			}
		}
	})
}

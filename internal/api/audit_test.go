package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/servertest"
)

type auditRow struct {
	ID        int64
	Actor     string
	Action    string
	Resource  string
	Repo      string
	RequestID string
	Details   map[string]any
}

func auditRows(t *testing.T, env *servertest.Env, query string) []auditRow {
	t.Helper()
	var page struct {
		Items      []auditRow
		NextCursor string
	}
	env.Must(t, 200, "GET", "/v1/audit"+query, env.AdminToken, nil).JSON(t, &page)
	return page.Items
}

func countAudit(t *testing.T, env *servertest.Env) int {
	t.Helper()
	recs, err := env.Server.DB().ListAudit(t.Context(), meta.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

func TestAuditAtomicity(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		admin := env.AdminToken
		env.CreateRepo(t, "base", nil)

		t.Run("every successful mutation leaves exactly one record", func(t *testing.T) {
			steps := []struct {
				method, path string
				body         any
				status       int
				action       string
			}{
				{"POST", "/v1/repos", map[string]any{"key": "r1", "type": "local", "format": "generic"}, 201, "repo.create"},
				{"PATCH", "/v1/repos/r1", map[string]any{"description": "d"}, 200, "repo.update"},
				{"PUT", "/v1/repos/r1/bindings/alice", map[string]any{"roles": []string{"read"}}, 200, "binding.put"},
				{"DELETE", "/v1/repos/r1/bindings/alice", nil, 204, "binding.delete"},
				{"POST", "/v1/auth/pats", map[string]any{"subject": "s", "scopes": []string{"repo:r1:read"}}, 201, "token.issue"},
				{"POST", "/v1/auth/pats/revoke", map[string]any{"subject": "s"}, 200, "token.revoke"},
				{"DELETE", "/v1/repos/r1", nil, 204, "repo.delete"},
			}
			for _, s := range steps {
				before := countAudit(t, env)
				r := env.Must(t, s.status, s.method, s.path, admin, s.body)
				if got := countAudit(t, env) - before; got != 1 {
					t.Errorf("%s %s left %d audit records", s.method, s.path, got)
				}
				last := auditRows(t, env, "?limit=1")[0]
				if last.Action != s.action || last.Actor != "admin" || last.RequestID != r.Header.Get("X-Request-Id") {
					t.Errorf("%s %s: record %+v, request id %s", s.method, s.path, last, r.Header.Get("X-Request-Id"))
				}
				if strings.Contains(fmt.Sprint(last.Details), "afp_") {
					t.Errorf("audit details carry a token: %v", last.Details)
				}
			}
		})

		t.Run("failed mutations leave no record", func(t *testing.T) {
			before := countAudit(t, env)
			env.Must(t, 409, "POST", "/v1/repos", admin, map[string]any{"key": "base", "type": "local", "format": "generic"})
			env.Must(t, 400, "POST", "/v1/repos", admin, map[string]any{"key": "v", "type": "virtual", "format": "generic", "members": []string{"missing"}})
			env.Must(t, 404, "DELETE", "/v1/repos/missing", admin, nil)
			env.Must(t, 400, "PUT", "/v1/repos/base/bindings/bob", admin, map[string]any{"roles": []string{"owner"}})
			env.Must(t, 404, "DELETE", "/v1/repos/base/bindings/nobody", admin, nil)
			env.Must(t, 403, "POST", "/v1/auth/pats", env.Token(t, "w", "repo:base:write"), map[string]any{"subject": "w", "scopes": []string{"admin"}})
			if got := countAudit(t, env) - before; got != 1 { // the token issued for the 403 case
				t.Errorf("failed mutations left %d extra audit records", got-1)
			}
		})

		t.Run("a change whose audit record fails is rolled back", func(t *testing.T) {
			for _, c := range auditedChanges() {
				t.Run(c.name, func(t *testing.T) { checkRollback(t, env, c) })
			}
		})
	})
}

func TestAuditQueries(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		for i := range 7 {
			env.CreateRepo(t, fmt.Sprintf("r%d", i), nil)
		}
		env.Must(t, 200, "PATCH", "/v1/repos/r3", env.AdminToken, map[string]any{"description": "x"})

		t.Run("pagination walks every record once, newest first", func(t *testing.T) {
			var seen []int64
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatal("pagination does not end")
				}
				q := "/v1/audit?limit=3"
				if cursor != "" {
					q += "&cursor=" + cursor
				}
				var page struct {
					Items      []auditRow
					NextCursor string
				}
				env.Must(t, 200, "GET", q, env.AdminToken, nil).JSON(t, &page)
				for _, it := range page.Items {
					seen = append(seen, it.ID)
				}
				if cursor = page.NextCursor; cursor == "" {
					break
				}
			}
			if len(seen) != 9 { // initial token + 7 creates + 1 update
				t.Fatalf("saw %d records: %v", len(seen), seen)
			}
			for i := 1; i < len(seen); i++ {
				if seen[i] >= seen[i-1] {
					t.Fatalf("not newest first: %v", seen)
				}
			}
		})

		t.Run("filters", func(t *testing.T) {
			if got := auditRows(t, env, "?action=repo.update"); len(got) != 1 || got[0].Repo != "r3" {
				t.Errorf("action filter: %+v", got)
			}
			if got := auditRows(t, env, "?repo=r5"); len(got) != 1 || got[0].Action != "repo.create" {
				t.Errorf("repo filter: %+v", got)
			}
			if got := auditRows(t, env, "?actor=system"); len(got) != 1 || got[0].Action != "token.issue" {
				t.Errorf("actor filter: %+v", got)
			}
			if got := auditRows(t, env, "?since=2999-01-01T00:00:00Z"); len(got) != 0 {
				t.Errorf("since in the future: %+v", got)
			}
			if got := auditRows(t, env, "?until=2000-01-01T00:00:00Z"); len(got) != 0 {
				t.Errorf("until in the past: %+v", got)
			}
			for _, q := range []string{"?limit=0", "?limit=1001", "?limit=x", "?since=yesterday", "?cursor=garbage"} {
				r := env.Do(t, "GET", "/v1/audit"+q, env.AdminToken, nil)
				if r.Status != 400 {
					t.Errorf("%s: %d %s", q, r.Status, r.Body)
				}
			}
		})

		t.Run("export streams NDJSON oldest first", func(t *testing.T) {
			r := env.Must(t, 200, "GET", "/v1/audit/export?action=repo.create", env.AdminToken, nil)
			if ct := r.Header.Get("Content-Type"); ct != "application/x-ndjson" {
				t.Errorf("content type %q", ct)
			}
			sc := bufio.NewScanner(bytes.NewReader(r.Body))
			var repos []string
			for sc.Scan() {
				var rec auditRow
				if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
					t.Fatalf("line %q: %v", sc.Text(), err)
				}
				repos = append(repos, rec.Repo)
			}
			if strings.Join(repos, ",") != "r0,r1,r2,r3,r4,r5,r6" {
				t.Errorf("exported %v", repos)
			}
		})
	})
}

func TestBadInput(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		before := countAudit(t, env)
		huge := `{"key":"x","type":"local","format":"generic","description":"` + strings.Repeat("a", 2<<20) + `"}`
		cases := []struct {
			name, body string
			status     int
			code       string
			mention    string
		}{
			{"malformed JSON", `{"key":`, 400, "bad_request", "malformed JSON"},
			{"not JSON", `key=x`, 400, "bad_request", "malformed JSON"},
			{"empty body", ``, 400, "bad_request", "empty"},
			{"array instead of object", `[1,2]`, 400, "bad_request", "object"},
			{"unknown field", `{"key":"x","type":"local","format":"generic","colour":"red"}`, 400, "bad_request", "colour"},
			{"wrong type", `{"key":7,"type":"local","format":"generic"}`, 400, "bad_request", "key"},
			{"trailing data", `{"key":"x","type":"local","format":"generic"} {"again":1}`, 400, "bad_request", "after"},
			{"oversized", huge, 413, "payload_too_large", "exceeds"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := env.Do(t, "POST", "/v1/repos", env.AdminToken, c.body)
				if r.Status != c.status || r.ErrorCode() != c.code || !strings.Contains(string(r.Body), c.mention) {
					t.Errorf("status %d body %.300s; want %d %s mentioning %q", r.Status, r.Body, c.status, c.code, c.mention)
				}
			})
		}
		env.Must(t, 404, "GET", "/v1/repos/x", env.AdminToken, nil)
		if got := countAudit(t, env); got != before {
			t.Errorf("bad input left %d audit records", got-before)
		}
		r := env.Do(t, "GET", "/v1/nothing-here", env.AdminToken, nil)
		if r.Status != http.StatusNotFound || r.ErrorCode() != "not_found" {
			t.Errorf("unknown /v1 path: %d %s", r.Status, r.Body)
		}
	})
}

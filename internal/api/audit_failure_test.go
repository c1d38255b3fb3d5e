package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/servertest"
)

// injectedCause is the message of the audit failure failAuditFor injects.
const injectedCause = "injected audit failure"

// failAuditFor makes the database refuse audit records of one action, so a
// change whose audit record fails can be observed. restore lifts the refusal;
// it also runs when the test ends.
func failAuditFor(t *testing.T, env *servertest.Env, action string) (restore func()) {
	t.Helper()
	db := env.Server.DB()
	create := []string{fmt.Sprintf(`CREATE TRIGGER inject_audit_failure BEFORE INSERT ON audit
		WHEN NEW.action = '%s' BEGIN SELECT RAISE(ABORT, '%s'); END`, action, injectedCause)}
	drop := []string{`DROP TRIGGER inject_audit_failure`}
	if db.Dialect() == meta.Postgres {
		create = []string{
			fmt.Sprintf(`CREATE FUNCTION inject_audit_failure() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN IF NEW.action = '%s' THEN RAISE EXCEPTION '%s'; END IF; RETURN NEW; END; $$`, action, injectedCause),
			`CREATE TRIGGER inject_audit_failure BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION inject_audit_failure()`,
		}
		drop = []string{`DROP TRIGGER inject_audit_failure ON audit`, `DROP FUNCTION inject_audit_failure()`}
	}
	exec := func(stmts []string) {
		for _, s := range stmts {
			if _, err := db.RawExec(t.Context(), s); err != nil {
				t.Fatal(err)
			}
		}
	}
	exec(create)
	var once sync.Once
	restore = func() { once.Do(func() { exec(drop) }) }
	t.Cleanup(restore)
	return restore
}

// call is one request to the node; token "" means the administrator.
type call struct {
	method, path, token string
	body                any
}

func (c call) do(t *testing.T, env *servertest.Env) *servertest.Response {
	t.Helper()
	token := c.token
	if token == "" {
		token = env.AdminToken
	}
	return env.Do(t, c.method, c.path, token, c.body)
}

// auditedChange is a control-plane change that writes an audit record.
type auditedChange struct {
	name, action string
	ok           int // the change's status when its audit record is written
	// prepare creates what the change acts on; it returns the change and a
	// read (probe) whose answer shows whether the change happened.
	prepare func(t *testing.T, env *servertest.Env) (change, probe call)
}

// auditedChanges lists every control-plane change that writes an audit
// record. Each acts on its own repository or subject.
func auditedChanges() []auditedChange {
	repoProbe := func(key string) call { return call{method: "GET", path: "/v1/repos/" + key} }
	bindingsProbe := func(key string) call { return call{method: "GET", path: "/v1/repos/" + key + "/bindings"} }
	whoami := func(token string) call { return call{method: "GET", path: "/v1/auth/whoami", token: token} }
	return []auditedChange{
		{"repo.create", "repo.create", 201, func(t *testing.T, env *servertest.Env) (call, call) {
			return call{method: "POST", path: "/v1/repos", body: map[string]any{"key": "af-create", "type": "local", "format": "generic"}},
				repoProbe("af-create")
		}},
		{"repo.update", "repo.update", 200, func(t *testing.T, env *servertest.Env) (call, call) {
			env.CreateRepo(t, "af-update", nil)
			return call{method: "PATCH", path: "/v1/repos/af-update", body: map[string]any{"description": "changed", "settings": map[string]any{"anonymousRead": true}}},
				repoProbe("af-update")
		}},
		{"repo.delete", "repo.delete", 204, func(t *testing.T, env *servertest.Env) (call, call) {
			env.CreateRepo(t, "af-delete", nil)
			return call{method: "DELETE", path: "/v1/repos/af-delete"}, repoProbe("af-delete")
		}},
		{"binding.put", "binding.put", 200, func(t *testing.T, env *servertest.Env) (call, call) {
			env.CreateRepo(t, "af-bind", nil)
			return call{method: "PUT", path: "/v1/repos/af-bind/bindings/alice", body: map[string]any{"roles": []string{"write"}}},
				bindingsProbe("af-bind")
		}},
		{"binding.delete", "binding.delete", 204, func(t *testing.T, env *servertest.Env) (call, call) {
			env.CreateRepo(t, "af-unbind", nil)
			env.Must(t, 200, "PUT", "/v1/repos/af-unbind/bindings/alice", env.AdminToken, map[string]any{"roles": []string{"read"}})
			return call{method: "DELETE", path: "/v1/repos/af-unbind/bindings/alice"}, bindingsProbe("af-unbind")
		}},
		{"token.issue", "token.issue", 201, func(t *testing.T, env *servertest.Env) (call, call) {
			return call{method: "POST", path: "/v1/auth/pats", body: map[string]any{"subject": "af-newcomer", "scopes": []string{"repo:base:read"}}},
				call{method: "GET", path: "/v1/admin/auth/pats?subject=af-newcomer"}
		}},
		{"token.revoke by id", "token.revoke", 200, func(t *testing.T, env *servertest.Env) (call, call) {
			token := env.Token(t, "af-victim-id", "repo:base:read")
			var who struct{ TokenID string }
			env.Must(t, 200, "GET", "/v1/auth/whoami", token, nil).JSON(t, &who)
			return call{method: "POST", path: "/v1/auth/pats/revoke", body: map[string]any{"tokenId": who.TokenID}}, whoami(token)
		}},
		{"token.revoke by subject", "token.revoke", 200, func(t *testing.T, env *servertest.Env) (call, call) {
			token := env.Token(t, "af-victim-subject", "repo:base:read")
			return call{method: "POST", path: "/v1/auth/pats/revoke", body: map[string]any{"subject": "af-victim-subject"}}, whoami(token)
		}},
	}
}

// checkRollback makes c's audit record fail and checks that the change did
// not happen: a 500 with the stable code "internal" that hides the cause, the
// probe answering as before, no audit record, and the cause logged with the
// request's id. Then, with audit working again, the same change succeeds and
// the probe sees it, which shows the probe can tell.
func checkRollback(t *testing.T, env *servertest.Env, c auditedChange) {
	t.Helper()
	change, probe := c.prepare(t, env)
	before := probe.do(t, env)
	audits := countAudit(t, env)
	restore := failAuditFor(t, env, c.action)
	logMark := len(env.Logs.String())

	r := change.do(t, env)
	if r.Status != 500 || r.ErrorCode() != "internal" || strings.Contains(string(r.Body), "injected") {
		t.Errorf("status %d body %s: want a 500 with code internal that hides the cause", r.Status, r.Body)
	}
	if after := probe.do(t, env); after.Status != before.Status || !bytes.Equal(after.Body, before.Body) {
		t.Errorf("the change happened: %s %s answered %d %s, before %d %s",
			probe.method, probe.path, after.Status, after.Body, before.Status, before.Body)
	}
	if got := countAudit(t, env); got != audits {
		t.Errorf("audit grew from %d to %d", audits, got)
	}
	checkCauseLogged(t, env.Logs.String()[logMark:], r.Header.Get("X-Request-Id"))

	restore()
	if r := change.do(t, env); r.Status != c.ok {
		t.Fatalf("with audit working: status %d %s, want %d", r.Status, r.Body, c.ok)
	}
	if after := probe.do(t, env); after.Status == before.Status && bytes.Equal(after.Body, before.Body) {
		t.Errorf("the probe %s %s does not show the change", probe.method, probe.path)
	}
}

// checkCauseLogged checks that the server logged the injected cause as an
// error, and that every log line naming it carries requestID.
func checkCauseLogged(t *testing.T, logs, requestID string) {
	t.Helper()
	if requestID == "" {
		t.Fatal("no X-Request-Id on the response")
	}
	logged := false
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if !strings.Contains(line, injectedCause) {
			continue
		}
		var rec struct {
			Level     string `json:"level"`
			Error     string `json:"error"`
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line is not JSON: %v: %s", err, line)
			continue
		}
		if rec.RequestID != requestID {
			t.Errorf("log line carries request_id %q, the response X-Request-Id %q: %s", rec.RequestID, requestID, line)
		}
		logged = logged || (rec.Level == "ERROR" && strings.Contains(rec.Error, injectedCause))
	}
	if !logged {
		t.Errorf("no error log line names the cause:\n%s", logs)
	}
}

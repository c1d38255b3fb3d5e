package admincli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	testQuarantineID = "qua_0123456789abcdef01234567"
	policyBody       = `{"name":"semver","expression":"isSemver(version.version)","action":"deny","message":"versions are SemVer","onError":"deny",` +
		`"createdBy":"admin","createdAt":"2026-11-26T18:00:00Z","updatedBy":"ops","updatedAt":"2026-11-26T18:30:00Z"}`
	repoPolicyBody = `{"name":"needs-team","repo":"npm-local","expression":"'team' in version.labels","action":"quarantine","message":"","onError":"quarantine",` +
		`"createdBy":"admin","createdAt":"2026-11-26T18:00:00Z","updatedBy":"admin","updatedAt":"2026-11-26T18:00:00Z"}`
	policiesBody = `{"items":[` + policyBody + `,` +
		`{"name":"max-size","expression":"version.entries.all(e,\n    e.size <= 10485760 // 10 MiB\n) && version.size <= 104857600","action":"quarantine","message":"too big","onError":"deny"},` +
		repoPolicyBody + `]}`
	dryRunBody      = `{"policy":"semver","stage":"dry-run","decision":"deny","passed":false,"message":"versions are SemVer","durationMs":0.042,"at":"2026-11-26T18:40:00Z"}`
	evaluationsBody = `{"items":[` +
		`{"policy":"needs-team","stage":"publish","decision":"quarantine","passed":false,"message":"label the version with its owning team","durationMs":0.1,"actor":"ci-bot","at":"2026-11-26T18:00:00Z"},` +
		`{"policy":"license","stage":"publish","decision":"deny","passed":false,"message":"no such key: license","error":"no such key: license","durationMs":0.2,"actor":"ci-bot","at":"2026-11-26T18:00:00Z"},` +
		`{"policy":"semver","stage":"promote","decision":"allow","passed":true,"durationMs":0.05,"actor":"release-bot","at":"2026-11-26T19:00:00Z"}]}`
	quarantineBody = `{"id":"qua_0123456789abcdef01234567","repo":"npm-local","versionId":"ver_0123456789abcdef01234567","package":"@acme/ui","version":"1.4.2",` +
		`"status":"quarantined","reason":"policy needs-team: label the version with its owning team","policies":["needs-team"],"createdAt":"2026-11-26T18:00:00Z"}`
	releasedBody = `{"id":"qua_0123456789abcdef01234567","repo":"npm-local","versionId":"ver_0123456789abcdef01234567","package":"@acme/ui","version":"1.4.2",` +
		`"status":"released","reason":"policy needs-team: label the version with its owning team","policies":["needs-team"],"createdAt":"2026-11-26T18:00:00Z",` +
		`"decidedBy":"reviewer","decidedAt":"2026-11-26T19:00:00Z","note":"team confirmed"}`
	quarantinePage = `{"items":[` + quarantineBody + `,` +
		`{"id":"qua_fedcba9876543210fedcba98","repo":"npm-local","versionId":"ver_fedcba9876543210fedcba98","package":"left-pad","version":"2.0.0","status":"rejected","reason":"evaluation failed","policies":["license","needs-team"],"createdAt":"2026-11-25T18:00:00Z"}],` +
		`"nextCursor":"cXVhX2Zl"}`
	promotedBody = `{"versionId":"ver_aaaaaaaaaaaaaaaaaaaaaaaa","repo":"npm-release","format":"npm","namespace":"acme","name":"ui","package":"@acme/ui","version":"1.4.2","state":"published",` +
		`"entries":[],"createdBy":"release-bot","createdAt":"2026-11-26T19:00:00Z","publishedBy":"release-bot","publishedAt":"2026-11-26T19:00:00Z","labels":{"team":"infra","ci":"42"},` +
		`"quarantine":"quarantined","idempotent":false,"quarantineId":"qua_bbbbbbbbbbbbbbbbbbbbbbbb","quarantineReason":"policy license: no AGPL"}`
)

// policyTable is the table output of policyBody.
const policyTable = "Name:        semver\n" +
	"Scope:       (global)\n" +
	"Action:      deny\n" +
	"On error:    deny\n" +
	"Message:     versions are SemVer\n" +
	"Expression:  isSemver(version.version)\n" +
	"Created:     2026-11-26T18:00:00Z\n" +
	"Created by:  admin\n" +
	"Updated:     2026-11-26T18:30:00Z\n" +
	"Updated by:  ops\n"

// quarantineTable is the table output of quarantineBody.
const quarantineTable = "ID:          qua_0123456789abcdef01234567\n" +
	"Repository:  npm-local\n" +
	"Package:     @acme/ui\n" +
	"Version:     1.4.2\n" +
	"Version ID:  ver_0123456789abcdef01234567\n" +
	"Status:      quarantined\n" +
	"Reason:      policy needs-team: label the version with its owning team\n" +
	"Policies:    needs-team\n" +
	"Created:     2026-11-26T18:00:00Z\n" +
	"Decided by:  -\n" +
	"Decided:     -\n" +
	"Note:        -\n"

func TestPoliciesRequests(t *testing.T) {
	dir := t.TempDir()
	exprFile := filepath.Join(dir, "license.cel")
	if err := os.WriteFile(exprFile, []byte("// no strong copyleft\n!has(manifest.license) ||\n  manifest.license != 'AGPL-3.0-only'\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	blankFile := filepath.Join(dir, "blank.cel")
	if err := os.WriteFile(blankFile, []byte(" \n\t\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	created := reply(201, policyBody)
	runCases(t, []commandCase{
		{
			name:    "create global, inline",
			args:    []string{"policies", "create", "semver", "--expression", "isSemver(version.version)", "--action", "deny", "--message", "versions are SemVer"},
			replies: []cannedReply{created},
			want: []wantRequest{{method: "POST", path: "/v1/policies",
				body: `{"name":"semver","expression":"isSemver(version.version)","action":"deny","message":"versions are SemVer"}`}},
			stdout: policyTable,
		},
		{
			name:    "create for a repository, from a file",
			args:    []string{"policies", "create", "license", "--repo", "npm-local", "--expression-file", exprFile, "--action", "quarantine", "--on-error", "deny", "-o", "json"},
			replies: []cannedReply{created},
			want: []wantRequest{{method: "POST", path: "/v1/repos/npm-local/policies",
				body: `{"name":"license","expression":"// no strong copyleft\n!has(manifest.license) ||\n  manifest.license != 'AGPL-3.0-only'","action":"quarantine","onError":"deny"}`}},
			outHas: []string{`"name": "semver"`},
		},
		{
			name: "create with an invalid expression",
			args: []string{"policies", "create", "bad", "--expression", "verison.size > 1", "--action", "deny"},
			replies: []cannedReply{reply(400,
				`{"error":{"code":"invalid_policy","message":"expression: undeclared reference to 'verison'","details":{"field":"expression"}}}`)},
			want:   []wantRequest{{method: "POST", path: "/v1/policies", body: `{"name":"bad","expression":"verison.size > 1","action":"deny"}`}},
			code:   1,
			errHas: []string{"error: invalid_policy: expression: undeclared reference to 'verison' (field=expression)\n"},
		},
		{name: "create without action", args: []string{"policies", "create", "p", "--expression", "true"}, code: 2, errHas: []string{"--action is required: deny or quarantine"}},
		{name: "create with action allow", args: []string{"policies", "create", "p", "--expression", "true", "--action", "allow"}, code: 2, errHas: []string{`invalid --action "allow": want one of deny, quarantine`}},
		{name: "create with a bad on-error", args: []string{"policies", "create", "p", "--expression", "true", "--action", "deny", "--on-error", "ignore"}, code: 2, errHas: []string{`invalid --on-error "ignore"`}},
		{name: "create without expression", args: []string{"policies", "create", "p", "--action", "deny"}, code: 2, errHas: []string{"an expression is required"}},
		{name: "create with an empty expression", args: []string{"policies", "create", "p", "--expression", "", "--action", "deny"}, code: 2, errHas: []string{"--expression must not be empty"}},
		{
			name: "create with both expressions", code: 2, errHas: []string{"--expression and --expression-file are mutually exclusive"},
			args: []string{"policies", "create", "p", "--expression", "true", "--expression-file", exprFile, "--action", "deny"},
		},
		{
			name: "create from a blank file", code: 2, errHas: []string{"--expression-file " + blankFile + " is empty"},
			args: []string{"policies", "create", "p", "--expression-file", blankFile, "--action", "deny"},
		},
		{
			name: "create from an empty standard input", code: 2, errHas: []string{"--expression-file - is empty"},
			args: []string{"policies", "create", "p", "--expression-file", "-", "--action", "deny"},
		},
		{
			name: "create from a missing file", code: 2, errHas: []string{"open " + filepath.Join(dir, "nope.cel")},
			args: []string{"policies", "create", "p", "--expression-file", filepath.Join(dir, "nope.cel"), "--action", "deny"},
		},
		{name: "create with an empty --repo", args: []string{"policies", "create", "p", "--repo", "", "--expression", "true", "--action", "deny"}, code: 2, errHas: []string{"--repo must not be empty"}},
		{name: "create without name", args: []string{"policies", "create", "--expression", "true", "--action", "deny"}, code: 2, errHas: []string{"missing argument NAME"}},
		{
			name:    "create conflict",
			args:    []string{"policies", "create", "semver", "--expression", "true", "--action", "deny"},
			replies: []cannedReply{reply(409, `{"error":{"code":"conflict","message":"policy \"semver\" already exists; replace it with PUT","details":{"field":"name"}}}`)},
			want:    []wantRequest{{method: "POST", path: "/v1/policies", body: `{"name":"semver","expression":"true","action":"deny"}`}},
			code:    1,
			errHas:  []string{`error: conflict: policy "semver" already exists`},
		},
		{
			name:    "list, expressions on one line and cut",
			args:    []string{"policies", "list"},
			replies: []cannedReply{reply(200, policiesBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/policies"}},
			stdout: "NAME        SCOPE      ACTION      ON ERROR    EXPRESSION\n" +
				"semver      (global)   deny        deny        isSemver(version.version)\n" +
				"max-size    (global)   quarantine  deny        version.entries.all(e, e.size <= 10485760 // 10 MiB ) && ver...\n" +
				"needs-team  npm-local  quarantine  quarantine  'team' in version.labels\n",
		},
		{
			name:    "list effective",
			args:    []string{"policies", "list", "--repo", "npm-local", "--effective", "-o", "json"},
			replies: []cannedReply{reply(200, `{"items":[]}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/npm-local/policies", query: "effective=true"}},
			stdout:  "{\n  \"items\": []\n}\n",
		},
		{name: "list effective without repo", args: []string{"policies", "list", "--effective"}, code: 2, errHas: []string{"--effective needs --repo"}},
		{
			name:    "get",
			args:    []string{"policies", "get", "semver"},
			replies: []cannedReply{reply(200, policyBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/policies/semver"}},
			stdout:  policyTable,
		},
		{
			name:    "get of a repository",
			args:    []string{"policies", "get", "needs-team", "--repo", "npm-local"},
			replies: []cannedReply{reply(200, repoPolicyBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/npm-local/policies/needs-team"}},
			outHas:  []string{"Scope:       npm-local\n", "Message:     -\n"},
		},
		{
			name:    "get missing",
			args:    []string{"policies", "get", "nope"},
			replies: []cannedReply{reply(404, `{"error":{"code":"policy_not_found","message":"policy \"nope\" not found"}}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/policies/nope"}},
			code:    1,
			errHas:  []string{`error: policy_not_found: policy "nope" not found`},
		},
		{name: "get ..", args: []string{"policies", "get", ".."}, code: 2, errHas: []string{`argument NAME must not be ".."`}},
		{name: "get --repo ..", args: []string{"policies", "get", "p", "--repo", ".."}, code: 2, errHas: []string{`--repo must not be ".."`}},
		{
			name:    "put creates",
			args:    []string{"policies", "put", "semver", "--expression", "isSemver(version.version)", "--action", "deny"},
			replies: []cannedReply{created},
			want:    []wantRequest{{method: "PUT", path: "/v1/policies/semver", body: `{"expression":"isSemver(version.version)","action":"deny"}`}},
			stdout:  policyTable,
			errHas:  []string{"Created global policy semver.\n"},
		},
		{
			name:    "put replaces",
			args:    []string{"policies", "put", "needs-team", "--repo", "npm-local", "--expression-file", exprFile, "--action", "quarantine", "--message", "m", "-o", "json"},
			replies: []cannedReply{reply(200, repoPolicyBody)},
			want: []wantRequest{{method: "PUT", path: "/v1/repos/npm-local/policies/needs-team",
				body: `{"expression":"// no strong copyleft\n!has(manifest.license) ||\n  manifest.license != 'AGPL-3.0-only'","action":"quarantine","message":"m"}`}},
			outHas: []string{`"repo": "npm-local"`},
			errHas: []string{"Replaced policy needs-team of repository npm-local.\n"},
		},
		{name: "put without action", args: []string{"policies", "put", "p", "--expression", "true"}, code: 2, errHas: []string{"--action is required"}},
		{
			name:    "delete",
			args:    []string{"policies", "delete", "semver"},
			replies: []cannedReply{reply(204, "")},
			want:    []wantRequest{{method: "DELETE", path: "/v1/policies/semver"}},
			stdout:  "Deleted global policy semver.\n",
		},
		{
			name:    "delete of a repository, json",
			args:    []string{"policies", "delete", "needs-team", "--repo", "npm-local", "-o", "json"},
			replies: []cannedReply{reply(204, "")},
			want:    []wantRequest{{method: "DELETE", path: "/v1/repos/npm-local/policies/needs-team"}},
			stdout:  "{}\n",
		},
		{
			name:    "delete forbidden",
			args:    []string{"policies", "delete", "semver"},
			replies: []cannedReply{reply(403, `{"error":{"code":"forbidden","message":"global policies need the global admin scope"}}`)},
			want:    []wantRequest{{method: "DELETE", path: "/v1/policies/semver"}},
			code:    1,
			errHas:  []string{"error: forbidden: global policies need the global admin scope"},
		},
		{
			name:    "dry-run global",
			args:    []string{"policies", "dry-run", "semver", "--target-repo", "npm-local", "--version-id", testVersionID},
			replies: []cannedReply{reply(200, dryRunBody)},
			want:    []wantRequest{{method: "POST", path: "/v1/policies/semver/dry-run", body: `{"repo":"npm-local","versionId":"` + testVersionID + `"}`}},
			stdout: "Policy:    semver\n" +
				"Stage:     dry-run\n" +
				"Decision:  deny\n" +
				"Passed:    false\n" +
				"Message:   versions are SemVer\n" +
				"Error:     -\n" +
				"Duration:  0.042ms\n" +
				"At:        2026-11-26T18:40:00Z\n",
		},
		{
			name:    "dry-run of a repository",
			args:    []string{"policies", "dry-run", "needs-team", "--repo", "npm-local", "--version-id", testVersionID, "-o", "json"},
			replies: []cannedReply{reply(200, dryRunBody)},
			want:    []wantRequest{{method: "POST", path: "/v1/repos/npm-local/policies/needs-team/dry-run", body: `{"versionId":"` + testVersionID + `"}`}},
			outHas:  []string{`"decision": "deny"`},
		},
		{
			name:    "dry-run of a repository, --target-repo the same",
			args:    []string{"policies", "dry-run", "needs-team", "--repo", "npm-local", "--target-repo", "npm-local", "--version-id", testVersionID},
			replies: []cannedReply{reply(200, dryRunBody)},
			want:    []wantRequest{{method: "POST", path: "/v1/repos/npm-local/policies/needs-team/dry-run", body: `{"versionId":"` + testVersionID + `"}`}},
		},
		{
			name:    "dry-run of a missing version",
			args:    []string{"policies", "dry-run", "semver", "--target-repo", "npm-local", "--version-id", testVersionID},
			replies: []cannedReply{reply(404, `{"error":{"code":"version_not_found","message":"version \"ver_0123456789abcdef01234567\" not found in this repository"}}`)},
			want:    []wantRequest{{method: "POST", path: "/v1/policies/semver/dry-run", body: `{"repo":"npm-local","versionId":"` + testVersionID + `"}`}},
			code:    1,
			errHas:  []string{"error: version_not_found"},
		},
		{name: "dry-run global without target", args: []string{"policies", "dry-run", "semver", "--version-id", testVersionID}, code: 2, errHas: []string{"--target-repo is required for a global policy"}},
		{name: "dry-run without version", args: []string{"policies", "dry-run", "semver", "--target-repo", "npm-local"}, code: 2, errHas: []string{"--version-id is required"}},
		{name: "dry-run bad version", args: []string{"policies", "dry-run", "semver", "--target-repo", "npm-local", "--version-id", "1.4.2"}, code: 2, errHas: []string{`invalid VERSION_ID "1.4.2"`}},
		{
			name: "dry-run with another target", code: 2, errHas: []string{`--target-repo "other" differs from --repo "npm-local"`},
			args: []string{"policies", "dry-run", "needs-team", "--repo", "npm-local", "--target-repo", "other", "--version-id", testVersionID},
		},
	})
}

func TestQuarantineRequests(t *testing.T) {
	path := "/v1/repos/npm-local/quarantine/" + testQuarantineID
	runCases(t, []commandCase{
		{
			name:    "list",
			args:    []string{"quarantine", "list", "npm-local"},
			replies: []cannedReply{reply(200, quarantinePage)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/npm-local/quarantine"}},
			stdout: "ID                            PACKAGE   VERSION  STATUS       CREATED               REASON\n" +
				"qua_0123456789abcdef01234567  @acme/ui  1.4.2    quarantined  2026-11-26T18:00:00Z  policy needs-team: label the version with its owning team\n" +
				"qua_fedcba9876543210fedcba98  left-pad  2.0.0    rejected     2026-11-25T18:00:00Z  evaluation failed\n",
			errHas: []string{"More items: add --cursor cXVhX2Zl for the next page, or --all."},
		},
		{
			name: "list --status --all",
			args: []string{"quarantine", "list", "npm-local", "--status", "quarantined", "--limit", "2", "--all", "-o", "json"},
			replies: []cannedReply{
				reply(200, quarantinePage),
				reply(200, `{"items":[`+releasedBody+`],"nextCursor":""}`),
			},
			want: []wantRequest{
				{method: "GET", path: "/v1/repos/npm-local/quarantine", query: "limit=2&status=quarantined"},
				{method: "GET", path: "/v1/repos/npm-local/quarantine", query: "cursor=cXVhX2Zl&limit=2&status=quarantined"},
			},
			outHas: []string{`"status": "quarantined"`, `"status": "rejected"`, `"status": "released"`},
		},
		{name: "list bad status", args: []string{"quarantine", "list", "npm-local", "--status", "held"}, code: 2, errHas: []string{`invalid --status "held": want one of quarantined, released, rejected`}},
		{name: "list bad limit", args: []string{"quarantine", "list", "npm-local", "--limit", "1001"}, code: 2, errHas: []string{"invalid --limit 1001: want 1 to 1000"}},
		{name: "list without repo", args: []string{"quarantine", "list"}, code: 2, errHas: []string{"missing argument REPO"}},
		{
			name:    "list forbidden",
			args:    []string{"quarantine", "list", "npm-local"},
			replies: []cannedReply{reply(403, `{"error":{"code":"forbidden","message":"role promote required on npm-local"}}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/npm-local/quarantine"}},
			code:    1,
			errHas:  []string{"error: forbidden: role promote required on npm-local"},
		},
		{
			name:    "get",
			args:    []string{"quarantine", "get", "npm-local", testQuarantineID},
			replies: []cannedReply{reply(200, quarantineBody)},
			want:    []wantRequest{{method: "GET", path: path}},
			stdout:  quarantineTable,
		},
		{name: "get without id", args: []string{"quarantine", "get", "npm-local"}, code: 2, errHas: []string{"missing argument ID"}},
		{name: "get ..", args: []string{"quarantine", "get", "npm-local", ".."}, code: 2, errHas: []string{`argument ID must not be ".."`}},
		{
			name:    "release with a note",
			args:    []string{"quarantine", "release", "npm-local", testQuarantineID, "--note", "team confirmed"},
			replies: []cannedReply{reply(200, releasedBody)},
			want:    []wantRequest{{method: "POST", path: path + "/release", body: `{"note":"team confirmed"}`}},
			outHas:  []string{"Status:      released\n", "Decided by:  reviewer\n", "Decided:     2026-11-26T19:00:00Z\n", "Note:        team confirmed\n"},
		},
		{
			name:    "release without a note sends no body",
			args:    []string{"quarantine", "release", "npm-local", testQuarantineID, "-o", "json"},
			replies: []cannedReply{reply(200, releasedBody)},
			want:    []wantRequest{{method: "POST", path: path + "/release"}},
			outHas:  []string{`"status": "released"`},
		},
		{
			name:    "reject already decided",
			args:    []string{"quarantine", "reject", "npm-local", testQuarantineID, "--note", "too late"},
			replies: []cannedReply{reply(409, `{"error":{"code":"quarantine_already_decided","message":"quarantine item was already released"}}`)},
			want:    []wantRequest{{method: "POST", path: path + "/reject", body: `{"note":"too late"}`}},
			code:    1,
			errHas:  []string{"error: quarantine_already_decided: quarantine item was already released"},
		},
	})
}

func TestVersionsPolicyRequests(t *testing.T) {
	base := "/v1/repos/npm-local/packages/versions/" + testVersionID
	runCases(t, []commandCase{
		{
			name:    "evaluations",
			args:    []string{"versions", "evaluations", "npm-local", testVersionID},
			replies: []cannedReply{reply(200, evaluationsBody)},
			want:    []wantRequest{{method: "GET", path: base + "/evaluations"}},
			stdout: "POLICY      STAGE    DECISION    PASSED  ACTOR        AT                    MESSAGE\n" +
				"needs-team  publish  quarantine  false   ci-bot       2026-11-26T18:00:00Z  label the version with its owning team\n" +
				"license     publish  deny        false   ci-bot       2026-11-26T18:00:00Z  error: no such key: license\n" +
				"semver      promote  allow       true    release-bot  2026-11-26T19:00:00Z  -\n",
		},
		{
			name:    "evaluations json",
			args:    []string{"versions", "evaluations", "npm-local", testVersionID, "-o", "json"},
			replies: []cannedReply{reply(200, `{"items":[]}`)},
			want:    []wantRequest{{method: "GET", path: base + "/evaluations"}},
			stdout:  "{\n  \"items\": []\n}\n",
		},
		{name: "evaluations bad id", args: []string{"versions", "evaluations", "npm-local", "1.4.2"}, code: 2, errHas: []string{`invalid VERSION_ID "1.4.2"`}},
		{
			name:    "promote into quarantine",
			args:    []string{"versions", "promote", "npm-local", testVersionID, "--to", "npm-release"},
			replies: []cannedReply{reply(201, promotedBody)},
			want:    []wantRequest{{method: "POST", path: base + "/promote", body: `{"targetRepo":"npm-release"}`}},
			outHas: []string{
				"Repository:         npm-release\n",
				"State:              published\n",
				"Quarantine:         quarantined\n",
				"Quarantine ID:      qua_bbbbbbbbbbbbbbbbbbbbbbbb\n",
				"Quarantine reason:  policy license: no AGPL\n",
				"Labels:             ci=42,team=infra\n",
				"Already published:  false\n",
			},
			errHas: []string{"Held in the quarantine lane of npm-release as qua_bbbbbbbbbbbbbbbbbbbbbbbb: policy license: no AGPL\n",
				"artifortress admin quarantine get npm-release qua_bbbbbbbbbbbbbbbbbbbbbbbb\n"},
		},
		{
			name:    "promote denied",
			args:    []string{"versions", "promote", "npm-local", testVersionID, "--to", "npm-release"},
			replies: []cannedReply{reply(403, `{"error":{"code":"policy_denied","message":"policy license denied the version: no AGPL","details":{"policy":"license"}}}`)},
			want:    []wantRequest{{method: "POST", path: base + "/promote", body: `{"targetRepo":"npm-release"}`}},
			code:    1,
			errHas:  []string{"error: policy_denied: policy license denied the version: no AGPL (policy=license)"},
		},
		{name: "promote without --to", args: []string{"versions", "promote", "npm-local", testVersionID}, code: 2, errHas: []string{"--to is required"}},
		{name: "promote into its own repository", args: []string{"versions", "promote", "npm-local", testVersionID, "--to", "npm-local"}, code: 2, errHas: []string{`--to "npm-local" is the version's own repository`}},
		{name: "promote bad id", args: []string{"versions", "promote", "npm-local", "@acme/ui", "--to", "npm-release"}, code: 2, errHas: []string{`invalid VERSION_ID "@acme/ui"`}},
		{
			name:    "publish into quarantine",
			args:    []string{"versions", "publish", "npm-local", testVersionID},
			replies: []cannedReply{reply(200, strings.Replace(promotedBody, `"repo":"npm-release"`, `"repo":"npm-local"`, 1))},
			want:    []wantRequest{{method: "POST", path: base + "/publish"}},
			outHas:  []string{"Quarantine ID:      qua_bbbbbbbbbbbbbbbbbbbbbbbb\n"},
			errHas:  []string{"Held in the quarantine lane of npm-local as qua_bbbbbbbbbbbbbbbbbbbbbbbb"},
		},
		{
			name:    "draft with labels",
			args:    []string{"versions", "draft", "npm-local", "@acme/ui", "1.4.2", "--label", "team=infra", "--label", "note=a=b", "--label", "empty="},
			replies: []cannedReply{reply(201, draftBody)},
			want: []wantRequest{{method: "POST", path: "/v1/repos/npm-local/packages/versions/drafts",
				body: `{"name":"@acme/ui","version":"1.4.2","labels":{"team":"infra","note":"a=b","empty":""}}`}},
		},
		{name: "draft label without =", args: []string{"versions", "draft", "npm-local", "ui", "1", "--label", "team"}, code: 2, errHas: []string{`invalid --label "team": want KEY=VALUE`}},
		{name: "draft label without key", args: []string{"versions", "draft", "npm-local", "ui", "1", "--label", "=x"}, code: 2, errHas: []string{`invalid --label "=x"`}},
		{name: "draft label twice", args: []string{"versions", "draft", "npm-local", "ui", "1", "--label", "a=1", "--label", "a=2"}, code: 2, errHas: []string{"--label a is given twice"}},
	})
}

// --expression-file - reads the expression from standard input.
func TestPolicyExpressionFromStdin(t *testing.T) {
	t.Parallel()
	rec := newRequestRecorder(t, reply(201, policyBody))
	cmd := newCommand(func(k string) string { return map[string]string{envURL: rec.URL(), envToken: testToken}[k] })
	var stdout, stderr bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetIn(strings.NewReader("\n'team' in version.labels\n"))
	cmd.SetArgs([]string{"policies", "create", "needs-team", "--expression-file", "-", "--action", "quarantine"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := cmd.ExecuteContext(ctx); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	checkRequests(t, rec.Requests(), []wantRequest{{method: "POST", path: "/v1/policies",
		body: `{"name":"needs-team","expression":"'team' in version.labels","action":"quarantine"}`}})
}

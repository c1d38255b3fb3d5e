package admincli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/servertest"
)

// policyHarness runs the admin tree against a real server as one token or
// another, with the checks the end-to-end tests share.
type policyHarness struct {
	t    *testing.T
	env  *servertest.Env
	vars map[string]string
	dir  string
}

func newPolicyHarness(t *testing.T, env *servertest.Env) *policyHarness {
	return &policyHarness{t: t, env: env, vars: map[string]string{envURL: env.URL, envToken: env.AdminToken}, dir: t.TempDir()}
}

func (h *policyHarness) run(args ...string) result {
	h.t.Helper()
	return runCommand(h.t, h.vars, args...)
}

// ok runs a command that must succeed and returns its standard output.
func (h *policyHarness) ok(args ...string) string {
	h.t.Helper()
	res := h.run(args...)
	if res.code != 0 {
		h.t.Fatalf("%v: exit %d\n%s%s", args, res.code, res.stdout, res.stderr)
	}
	return res.stdout
}

// okJSON runs a command with -o json that must succeed and decodes its
// output into v.
func (h *policyHarness) okJSON(v any, args ...string) {
	h.t.Helper()
	if err := json.Unmarshal([]byte(h.ok(append(args, "-o", "json")...)), v); err != nil {
		h.t.Fatalf("%v: %v", args, err)
	}
}

// fails runs a command that must exit with code, printing errHas on
// standard error after "error: " once, and nothing on standard output.
func (h *policyHarness) fails(code int, errHas string, args ...string) result {
	h.t.Helper()
	res := h.run(args...)
	if res.code != code || !strings.Contains(res.stderr, errHas) || !strings.HasPrefix(res.stderr, "error: ") || res.stdout != "" {
		h.t.Errorf("%v: exit %d, want %d; stderr lacks %q:\n%s%s", args, res.code, code, errHas, res.stdout, res.stderr)
	}
	return res
}

// as runs fn with token.
func (h *policyHarness) as(token string, fn func()) {
	h.t.Helper()
	h.vars[envToken] = token
	defer func() { h.vars[envToken] = h.env.AdminToken }()
	fn()
}

func (h *policyHarness) has(out string, want ...string) {
	h.t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			h.t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// write writes a file in the harness's directory and returns its path.
func (h *policyHarness) write(name, content string) string {
	h.t.Helper()
	p := filepath.Join(h.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// publish publishes one file as a generic version with publish-files and
// extra flags (labels), and returns the answer; the command must succeed.
func (h *policyHarness) publish(repo, name, version string, flags ...string) (packageVersion, result) {
	h.t.Helper()
	manifest := h.write(repo+"/"+name+"-"+version+".json", `{"name":"`+name+`","version":"`+version+`"}`)
	file := h.write(repo+"/"+name+"-"+version+".bin", name+" "+version+" bytes")
	args := append([]string{"versions", "publish-files", repo, name, version, "--manifest", manifest}, flags...)
	res := h.run(append(args, file, "-o", "json")...)
	if res.code != 0 {
		h.t.Fatalf("%v: exit %d\n%s%s", args, res.code, res.stdout, res.stderr)
	}
	var v packageVersion
	if err := json.Unmarshal([]byte(res.stdout), &v); err != nil {
		h.t.Fatalf("publish-files: %v", err)
	}
	return v, res
}

// The policies, quarantine and evaluations commands against a real server:
// policies created from a file and inline, listed, tried on a draft; a
// publish denied, another held in the quarantine lane and released; exit
// codes 0, 1 and 2.
func TestPoliciesAndQuarantineAgainstRealServer(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.CreateRepo(t, "gen", nil)
		env.CreateRepo(t, "other", nil)
		h := newPolicyHarness(t, env)
		reader := env.Token(t, "reader", "repo:gen:read")
		reviewer := env.Token(t, "reviewer", "repo:gen:promote")

		// A global quarantine policy from a file (CEL comments and all), a
		// repository deny policy inline.
		expr := "// every version names its owning team\n'team' in version.labels\n"
		exprFile := h.write("needs-team.cel", expr)
		out := h.ok("policies", "create", "needs-team", "--expression-file", exprFile, "--action", "quarantine", "--message", "label the version with its owning team")
		h.has(out, "Name:        needs-team\n", "Scope:       (global)\n", "Action:      quarantine\n", "On error:    deny\n",
			"Expression:  // every version names its owning team 'team' in version.labels\n", "Created by:  admin\n")
		var semver policyInfo
		h.okJSON(&semver, "policies", "create", "semver", "--repo", "gen", "--expression", "isSemver(version.version)", "--action", "deny", "--message", "versions are SemVer")
		if semver.Name != "semver" || semver.Repo != "gen" || semver.Action != "deny" || semver.OnError != "deny" || semver.Message != "versions are SemVer" {
			t.Errorf("created %+v", semver)
		}

		// Exit codes: API errors 1 with the code printed, usage errors 2.
		res := h.fails(1, "error: invalid_policy: expression: ", "policies", "create", "bad", "--expression", "verison.name == 'x'", "--action", "deny")
		h.has(res.stderr, "(field=expression)")
		h.fails(1, "error: invalid_policy: expression: ", "policies", "create", "bad", "--expression", "version.size >", "--action", "deny")
		h.fails(1, "error: invalid_policy: name: ", "policies", "create", "Bad_Name", "--expression", "true", "--action", "deny")
		h.fails(1, `error: conflict: policy "semver" already exists; replace it with PUT (field=name)`,
			"policies", "create", "semver", "--repo", "gen", "--expression", "true", "--action", "deny")
		h.fails(2, "--action is required", "policies", "create", "p", "--expression", "true")
		h.fails(2, `invalid --action "allow"`, "policies", "create", "p", "--expression", "true", "--action", "allow")
		h.fails(2, "an expression is required", "policies", "create", "p", "--action", "deny")
		h.fails(1, "error: not_found", "policies", "create", "p", "--repo", "nope", "--expression", "true", "--action", "deny")

		// Lists: table and JSON, global, per repository, effective.
		out = h.ok("policies", "list")
		if row := rowOf(out, "needs-team", "(global)", "quarantine", "deny"); row == nil || !strings.HasPrefix(out, "NAME        SCOPE     ACTION      ON ERROR  EXPRESSION\n") {
			t.Errorf("list:\n%s", out)
		}
		if strings.Contains(out, "semver") {
			t.Errorf("the global list shows a repository's policy:\n%s", out)
		}
		var list struct{ Items []policyInfo }
		h.okJSON(&list, "policies", "list", "--repo", "gen")
		if len(list.Items) != 1 || list.Items[0].Name != "semver" {
			t.Errorf("list --repo gen: %+v", list.Items)
		}
		list.Items = nil // fields the server leaves out must not keep old values
		h.okJSON(&list, "policies", "list", "--repo", "gen", "--effective")
		if len(list.Items) != 2 || list.Items[0].Name != "needs-team" || list.Items[0].Repo != "" || list.Items[1].Name != "semver" {
			t.Errorf("list --effective: %+v", list.Items)
		}
		if row := rowOf(h.ok("policies", "list", "--repo", "gen", "--effective"), "semver", "gen", "deny", "isSemver(version.version)"); row == nil {
			t.Errorf("effective table lacks semver")
		}
		var got policyInfo
		h.okJSON(&got, "policies", "get", "needs-team")
		if got.Expression != strings.TrimSpace(expr) || got.Message != "label the version with its owning team" {
			t.Errorf("get: %+v", got)
		}
		h.fails(1, `error: policy_not_found: policy "semver" not found`, "policies", "get", "semver")
		h.fails(2, "--effective needs --repo", "policies", "list", "--effective")

		// put: creates, then replaces the whole rule.
		res = h.run("policies", "put", "max-size", "--repo", "other", "--expression", "version.size <= 1", "--action", "deny")
		if res.code != 0 || !strings.Contains(res.stderr, "Created policy max-size of repository other.\n") {
			t.Errorf("put (create): exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		res = h.run("policies", "put", "max-size", "--repo", "other", "--expression", "version.size <= 1048576", "--action", "quarantine", "--on-error", "quarantine")
		if res.code != 0 || !strings.Contains(res.stderr, "Replaced policy max-size of repository other.\n") {
			t.Errorf("put (replace): exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		h.okJSON(&got, "policies", "get", "max-size", "--repo", "other")
		if got.Expression != "version.size <= 1048576" || got.Action != "quarantine" || got.OnError != "quarantine" {
			t.Errorf("after put: %+v", got)
		}

		// dry-run against a draft with labels: nothing is recorded.
		var draft packageVersion
		h.okJSON(&draft, "versions", "draft", "gen", "tool", "1.0", "--label", "team=infra", "--label", "ticket=OPS-1")
		if draft.Labels["team"] != "infra" || draft.Labels["ticket"] != "OPS-1" || len(draft.Labels) != 2 {
			t.Fatalf("draft labels %+v", draft.Labels)
		}
		h.has(h.ok("versions", "get", "gen", draft.VersionID), "Labels:        team=infra,ticket=OPS-1\n")
		out = h.ok("policies", "dry-run", "semver", "--repo", "gen", "--version-id", draft.VersionID)
		h.has(out, "Policy:    semver\n", "Stage:     dry-run\n", "Decision:  deny\n", "Passed:    false\n", "Message:   versions are SemVer\n", "Error:     -\n")
		var ev policyEvaluation
		h.okJSON(&ev, "policies", "dry-run", "needs-team", "--target-repo", "gen", "--version-id", draft.VersionID)
		if ev.Policy != "needs-team" || ev.Decision != "allow" || !ev.Passed || ev.Stage != "dry-run" || ev.At == "" {
			t.Errorf("dry-run needs-team: %+v", ev)
		}
		if out := h.ok("versions", "evaluations", "gen", draft.VersionID); out != "POLICY  STAGE  DECISION  PASSED  ACTOR  AT  MESSAGE\n" {
			t.Errorf("a dry run was logged:\n%s", out)
		}
		// A repository's policy is tried on versions of its repository only.
		h.fails(1, `error: version_not_found: version "`+draft.VersionID+`" not found in this repository`, "policies", "dry-run", "max-size", "--repo", "other", "--version-id", draft.VersionID)
		h.fails(1, "error: version_not_found", "policies", "dry-run", "needs-team", "--target-repo", "gen", "--version-id", "ver_000000000000000000000000")
		h.fails(2, "--target-repo is required for a global policy", "policies", "dry-run", "needs-team", "--version-id", draft.VersionID)
		h.fails(2, "--version-id is required", "policies", "dry-run", "semver", "--repo", "gen")

		// A publish the deny policy refuses: exit 1, the version stays a draft.
		res = h.run("versions", "publish-files", "gen", "tool", "1.0", "--label", "team=infra",
			"--manifest", h.write("tool-1.0.json", `{"name":"tool","version":"1.0"}`), h.write("tool.bin", "tool bytes"))
		if res.code != 1 || !strings.Contains(res.stderr, "error: publishing "+draft.VersionID+": policy_denied: refused by policy: ") ||
			!strings.Contains(res.stderr, "versions are SemVer") {
			t.Errorf("denied publish: exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		h.has(h.ok("versions", "get", "gen", draft.VersionID), "State:         draft\n")
		out = h.ok("versions", "evaluations", "gen", draft.VersionID)
		if row := rowOf(out, "semver", "publish", "deny", "false", "admin"); row == nil || !strings.Contains(out, "versions are SemVer") {
			t.Errorf("evaluations of the denied publish:\n%s", out)
		}
		if row := rowOf(out, "needs-team", "publish", "allow", "true"); row == nil {
			t.Errorf("evaluations lack needs-team:\n%s", out)
		}

		// A publish the quarantine policy holds: published into the lane.
		held, res := h.publish("gen", "tool", "2.0.0")
		if held.State != "published" || held.Quarantine != "quarantined" || !strings.HasPrefix(held.QuarantineID, "qua_") ||
			!strings.Contains(held.QuarantineReason, "label the version with its owning team") {
			t.Fatalf("held publish: %+v", held)
		}
		h.has(res.stderr, "Held in the quarantine lane of gen as "+held.QuarantineID+": ", "artifortress admin quarantine get gen "+held.QuarantineID+"\n")
		qid := held.QuarantineID
		h.fails(1, "error: quarantined", "versions", "get", "gen", held.VersionID)
		if row := rowOf(h.ok("versions", "evaluations", "gen", held.VersionID), "needs-team", "publish", "quarantine", "false"); row == nil {
			t.Errorf("no quarantine evaluation")
		}
		// Another held version, to be rejected.
		other, _ := h.publish("gen", "lonely", "1.0.0")

		// The lane, as the reviewer sees it.
		h.as(reviewer, func() {
			out := h.ok("quarantine", "list", "gen")
			if !strings.HasPrefix(out, "ID  ") || rowOf(out, qid, "tool", "2.0.0", "quarantined") == nil || rowOf(out, other.QuarantineID, "lonely", "1.0.0", "quarantined") == nil {
				t.Errorf("lane:\n%s", out)
			}
			var lane struct {
				Items      []quarantineItem
				NextCursor string
			}
			h.okJSON(&lane, "quarantine", "list", "gen", "--status", "quarantined")
			if len(lane.Items) != 2 || lane.Items[0].ID != other.QuarantineID || lane.Items[1].ID != qid || lane.Items[1].Policies[0] != "needs-team" {
				t.Errorf("lane json: %+v", lane)
			}
			res := h.run("quarantine", "list", "gen", "--limit", "1")
			if res.code != 0 || rowOf(res.stdout, other.QuarantineID) == nil || rowOf(res.stdout, qid) != nil || !strings.Contains(res.stderr, "More items: add --cursor ") {
				t.Errorf("one page: exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
			h.okJSON(&lane, "quarantine", "list", "gen", "--limit", "1", "--all")
			if len(lane.Items) != 2 {
				t.Errorf("--all: %+v", lane.Items)
			}
			h.has(h.ok("quarantine", "get", "gen", qid), "ID:          "+qid+"\n", "Package:     tool\n", "Version ID:  "+held.VersionID+"\n",
				"Status:      quarantined\n", "Policies:    needs-team\n", "Decided by:  -\n")

			out = h.ok("quarantine", "release", "gen", qid, "--note", "team confirmed")
			h.has(out, "Status:      released\n", "Decided by:  reviewer\n", "Note:        team confirmed\n")
			h.fails(1, "error: quarantine_already_decided", "quarantine", "release", "gen", qid)
			h.fails(1, "error: quarantine_already_decided", "quarantine", "reject", "gen", qid)
			var item quarantineItem
			h.okJSON(&item, "quarantine", "reject", "gen", other.QuarantineID)
			if item.Status != "rejected" || item.DecidedBy != "reviewer" || item.Note != "" || item.DecidedAt == "" {
				t.Errorf("reject: %+v", item)
			}
			h.okJSON(&lane, "quarantine", "list", "gen", "--status", "quarantined")
			if len(lane.Items) != 0 {
				t.Errorf("held after the decisions: %+v", lane.Items)
			}
			h.fails(1, "error: ", "quarantine", "get", "gen", "qua_000000000000000000000000")
			h.fails(2, `invalid --status "held"`, "quarantine", "list", "gen", "--status", "held")
		})
		// Released: visible to readers at once; rejected: still hidden.
		h.as(reader, func() {
			h.has(h.ok("versions", "get", "gen", held.VersionID), "State:         published\n", "Quarantine:    released\n")
			h.fails(1, "error: quarantined", "versions", "get", "gen", other.VersionID)
			h.fails(1, "error: forbidden", "quarantine", "list", "gen")
			h.fails(1, "error: forbidden", "versions", "evaluations", "gen", held.VersionID)
			if row := rowOf(h.ok("policies", "list", "--repo", "gen"), "semver"); row == nil {
				t.Errorf("a reader cannot list the policies of gen")
			}
			h.fails(1, "error: forbidden: global policies need the global admin scope", "policies", "delete", "needs-team")
			h.fails(1, "error: forbidden", "policies", "put", "semver", "--repo", "gen", "--expression", "true", "--action", "deny")
		})

		// A labelled version passes both policies and is visible at once.
		v, res := h.publish("gen", "tool", "3.0.0", "--label", "team=infra")
		if v.QuarantineID != "" || v.Quarantine != "" || strings.Contains(res.stderr, "Held in the quarantine lane") {
			t.Errorf("labelled publish held: %+v\n%s", v, res.stderr)
		}

		// Delete.
		if out := h.ok("policies", "delete", "semver", "--repo", "gen"); out != "Deleted policy semver of repository gen.\n" {
			t.Errorf("delete: %q", out)
		}
		if out := h.ok("policies", "delete", "needs-team", "-o", "json"); out != "{}\n" {
			t.Errorf("delete json: %q", out)
		}
		h.fails(1, `error: policy_not_found: policy "semver" not found`, "policies", "delete", "semver", "--repo", "gen")
		if out := h.ok("policies", "list"); out != "NAME  SCOPE  ACTION  ON ERROR  EXPRESSION\n" {
			t.Errorf("list after deleting: %q", out)
		}
	})
}

// versions promote against a real server: into a repository whose
// policies hold, deny or let the copy through.
func TestVersionsPromoteAgainstRealServer(t *testing.T) {
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "staging", nil)
	env.CreateRepo(t, "release", nil)
	env.CreateRepo(t, "npm-release", map[string]any{"format": "npm"})
	h := newPolicyHarness(t, env)
	h.ok("policies", "create", "needs-team", "--repo", "release", "--expression", "'team' in version.labels", "--action", "quarantine", "--message", "name the team")
	h.ok("policies", "create", "semver", "--repo", "release", "--expression", "isSemver(version.version)", "--action", "deny", "--message", "versions are SemVer")

	unlabelled, _ := h.publish("staging", "tool", "1.0.0")
	labelled, _ := h.publish("staging", "tool", "2.0.0", "--label", "team=infra")
	loose, _ := h.publish("staging", "tool", "3.0", "--label", "team=infra")

	// Held in the target's lane.
	res := h.run("versions", "promote", "staging", unlabelled.VersionID, "--to", "release")
	if res.code != 0 || !strings.Contains(res.stdout, "Repository:         release\n") || !strings.Contains(res.stdout, "Quarantine:         quarantined\n") ||
		!strings.Contains(res.stderr, "Held in the quarantine lane of release as qua_") {
		t.Fatalf("promote into quarantine: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	out := h.ok("quarantine", "list", "release", "--status", "quarantined")
	if rowOf(out, "tool", "1.0.0", "quarantined") == nil {
		t.Errorf("lane of release:\n%s", out)
	}

	// Let through, with its labels.
	var v packageVersion
	h.okJSON(&v, "versions", "promote", "staging", labelled.VersionID, "--to", "release")
	if v.Repo != "release" || v.State != "published" || v.VersionID == labelled.VersionID || v.QuarantineID != "" || v.Labels["team"] != "infra" {
		t.Errorf("promoted %+v", v)
	}
	if out := h.ok("files", "get", "release", "tool", "2.0.0", "tool-2.0.0.bin"); out != "tool 2.0.0 bytes" {
		t.Errorf("promoted file: %q", out)
	}
	if row := rowOf(h.ok("versions", "evaluations", "release", v.VersionID), "semver", "promote", "allow", "true"); row == nil {
		t.Errorf("no promote evaluation")
	}

	// Refused.
	h.fails(1, "error: policy_denied: refused by policy: ", "versions", "promote", "staging", loose.VersionID, "--to", "release")
	h.fails(1, "error: version_exists", "versions", "promote", "staging", labelled.VersionID, "--to", "release")
	h.fails(1, "error: bad_request: targetRepo: ", "versions", "promote", "staging", labelled.VersionID, "--to", "npm-release")
	h.fails(1, "error: not_found", "versions", "promote", "staging", labelled.VersionID, "--to", "nope")
	h.fails(2, "--to is required", "versions", "promote", "staging", labelled.VersionID)
}

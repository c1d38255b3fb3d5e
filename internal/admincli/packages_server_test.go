package admincli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/servertest"
)

// The packages, versions, files and tags commands against a real server:
// both publish flows, reads by id and by coordinates, downloads, tags,
// names with "/" and exit codes.
func TestPackagesAgainstRealServer(t *testing.T) {
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "gen", nil)
	env.CreateRepo(t, "npm-local", map[string]any{"format": "npm"})
	vars := map[string]string{envURL: env.URL, envToken: env.AdminToken}
	run := func(args ...string) result {
		t.Helper()
		return runCommand(t, vars, args...)
	}
	ok := func(args ...string) string {
		t.Helper()
		res := run(args...)
		if res.code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, res.code, res.stdout, res.stderr)
		}
		return res.stdout
	}
	okJSON := func(v any, args ...string) {
		t.Helper()
		if err := json.Unmarshal([]byte(ok(append(args, "-o", "json")...)), v); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	fails := func(code int, errHas string, args ...string) {
		t.Helper()
		res := run(args...)
		if res.code != code || !strings.Contains(res.stderr, errHas) || strings.Count(res.stderr, "error:") != 1 {
			t.Errorf("%v: exit %d, want %d; stderr lacks %q or reports more than one error:\n%s", args, res.code, code, errHas, res.stderr)
		}
	}
	has := func(out string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("output lacks %q:\n%s", w, out)
			}
		}
	}
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("step by step, scoped npm name", func(t *testing.T) {
		tgz := write("package.tgz", "not really a tarball")
		var blob BlobInfo
		okJSON(&blob, "blobs", "put", "npm-local", tgz)

		var draft packageVersion
		okJSON(&draft, "versions", "draft", "npm-local", "@acme/ui", "1.4.2")
		if draft.State != "draft" || draft.Package != "@acme/ui" || draft.Namespace != "acme" || draft.Name != "ui" || !strings.HasPrefix(draft.VersionID, "ver_") {
			t.Fatalf("draft %+v", draft)
		}
		id := draft.VersionID
		again := run("versions", "draft", "npm-local", "ui", "1.4.2", "--namespace", "acme", "--format", "npm")
		if again.code != 0 || !strings.Contains(again.stdout, "Version ID:    "+id+"\n") || !strings.Contains(again.stderr, "already existed") {
			t.Errorf("second draft: exit %d\n%s%s", again.code, again.stdout, again.stderr)
		}
		fails(1, "error: bad_request: format: repository \"npm-local\" holds npm packages, not generic (field=format)", "versions", "draft", "npm-local", "@acme/ui", "1.4.2", "--format", "generic")
		fails(1, "error: publish_precondition_failed: version 1.4.2 has no entries; add its files first (precondition=entries)", "versions", "publish", "npm-local", id)
		fails(1, "error: digest_not_committed", "versions", "add-entries", "npm-local", id, "--entry", "x="+sha256Digest("never uploaded"))

		out := ok("versions", "add-entries", "npm-local", id, "--entry", "package.tgz="+blob.Digest+";application/gzip")
		has(out, "PATH         SIZE  DIGEST", "\npackage.tgz  20    "+blob.Digest+"  application/gzip\n")
		fails(1, "error: entry_exists", "versions", "add-entries", "npm-local", id, "--entry", "package.tgz="+blob.Digest)

		fails(1, "error: manifest_not_found: version 1.4.2 has no manifest yet", "versions", "manifest", "get", "npm-local", id)
		fails(1, `error: bad_request: manifest.name: is "ui" but the package is "@acme/ui" (field=manifest.name)`,
			"versions", "manifest", "put", "npm-local", id, write("wrong.json", `{"name":"ui","version":"1.4.2"}`))
		manifest := write("package.json", `{"name": "@acme/ui", "version": "1.4.2", "description": "<buttons> & more"}`)
		has(ok("versions", "manifest", "put", "npm-local", id, manifest), `Manifest:      {"name":"@acme/ui","version":"1.4.2","description":"<buttons> & more"}`)
		if got := ok("versions", "manifest", "get", "npm-local", id); got != "{\n  \"name\": \"@acme/ui\",\n  \"version\": \"1.4.2\",\n  \"description\": \"<buttons> & more\"\n}\n" {
			t.Errorf("manifest get: %q", got)
		}

		has(ok("versions", "publish", "npm-local", id), "State:              published\n", "Published by:       admin\n", "Already published:  false\n")
		var pub packageVersion
		okJSON(&pub, "versions", "publish", "npm-local", id)
		if pub.Idempotent == nil || !*pub.Idempotent || pub.State != "published" {
			t.Errorf("second publish %+v", pub)
		}
		fails(1, "error: version_not_draft", "versions", "add-entries", "npm-local", id, "--entry", "other="+blob.Digest)
		fails(1, "error: version_exists", "versions", "draft", "npm-local", "@acme/ui", "1.4.2")

		// Reads by id and by coordinates.
		has(ok("versions", "get", "npm-local", id), "State:         published\n", "package.tgz  20")
		var got packageVersion
		okJSON(&got, "packages", "get", "npm-local", "@acme/ui", "1.4.2")
		if got.VersionID != id || len(got.Entries) != 1 || got.Entries[0].Size != 20 || got.Entries[0].MediaType != "application/gzip" {
			t.Errorf("packages get %+v", got)
		}
		has(ok("packages", "versions", "npm-local", "@acme/ui"), "Package:  @acme/ui\n", "\n1.4.2    published  ")
		has(ok("packages", "list", "npm-local"), "@acme/ui  acme       npm     ")

		// Downloads.
		if out := ok("files", "get", "npm-local", "@acme/ui", "1.4.2", "package.tgz"); out != "not really a tarball" {
			t.Errorf("files get: %q", out)
		}
		dest := filepath.Join(dir, "downloaded.tgz")
		res := run("files", "get", "npm-local", "@acme/ui", "1.4.2", "package.tgz", "-o", dest)
		if b, err := os.ReadFile(dest); res.code != 0 || err != nil || string(b) != "not really a tarball" || !strings.Contains(res.stderr, "Wrote 20 bytes to "+dest) {
			t.Errorf("files get -o: exit %d %q %v %s", res.code, b, err, res.stderr)
		}
		if out := ok("files", "get", "npm-local", "@acme/ui", "1.4.2", "package.tgz", "--range", "4-9", "-o", "-"); out != "really" {
			t.Errorf("files get --range: %q", out)
		}
		has(ok("files", "head", "npm-local", "@acme/ui", "1.4.2", "package.tgz"),
			"Digest:         "+blob.Digest+"\n", "Length:         20\n", "Content type:   application/gzip\n")
		fails(1, `error: file_not_found: @acme/ui 1.4.2 has no file "nope.tgz"`, "files", "get", "npm-local", "@acme/ui", "1.4.2", "nope.tgz")
		fails(1, "error: http_404: no file nope.tgz in @acme/ui 1.4.2 of repository npm-local", "files", "head", "npm-local", "@acme/ui", "1.4.2", "nope.tgz")

		// Tags.
		has(ok("tags", "set", "npm-local", "@acme/ui", "latest", "1.4.2"), "Tag:         latest\n", "Version:     1.4.2\n", "Previous:    -\n")
		next := write("v2/package.json", `{"name":"@acme/ui","version":"2.0.0-beta.1"}`)
		ok("versions", "publish-files", "npm-local", "@acme/ui", "2.0.0-beta.1", "--manifest", next, tgz)
		has(ok("tags", "set", "npm-local", "@acme/ui", "latest", "2.0.0-beta.1"), "Version:     2.0.0-beta.1\n", "Previous:    1.4.2\n")
		ok("tags", "set", "npm-local", "@acme/ui", "stable", "1.4.2")
		has(ok("tags", "list", "npm-local", "@acme/ui"), "\nlatest  2.0.0-beta.1  ", "\nstable  1.4.2         ")
		var tag packageTag
		okJSON(&tag, "tags", "get", "npm-local", "@acme/ui", "latest")
		if tag.Version != "2.0.0-beta.1" || tag.UpdatedBy != "admin" {
			t.Errorf("tags get %+v", tag)
		}
		if out := ok("tags", "delete", "npm-local", "@acme/ui", "latest"); out != "Deleted tag latest of @acme/ui.\n" {
			t.Errorf("tags delete: %q", out)
		}
		fails(1, `error: tag_not_found: @acme/ui has no tag "latest"`, "tags", "get", "npm-local", "@acme/ui", "latest")
		fails(1, `error: tag_not_found`, "tags", "delete", "npm-local", "@acme/ui", "latest")
		fails(1, `error: version_not_published: @acme/ui has no published version "9.9.9" to tag (field=version)`, "tags", "set", "npm-local", "@acme/ui", "latest", "9.9.9")
		fails(1, "error: bad_request", "tags", "set", "npm-local", "@acme/ui", "--", "-bad", "1.4.2")

		// The server takes the name segment with "@" escaped or not.
		for _, p := range []string{"/v1/repos/npm-local/packages/@acme%2Fui/versions", "/v1/repos/npm-local/packages/%40acme%2Fui/versions"} {
			env.Must(t, 200, "GET", p, env.AdminToken, nil)
		}
	})

	t.Run("publish-files, generic", func(t *testing.T) {
		manifest := write("gen/manifest.json", `{"name":"tool","version":"1.2.0"}`)
		bin, readme := write("gen/tool.tar.gz", "the tool's bytes"), write("gen/readme.txt", "read me")
		var v packageVersion
		okJSON(&v, "versions", "publish-files", "gen", "tool", "1.2.0", "--manifest", manifest, "--path-prefix", "dist", bin, readme)
		if v.State != "published" || len(v.Entries) != 2 || v.Entries[0].Path != "dist/readme.txt" || v.Entries[1].Path != "dist/tool.tar.gz" || v.Entries[1].Size != 16 {
			t.Errorf("published %+v", v)
		}
		if out := ok("files", "get", "gen", "tool", "1.2.0", "dist/readme.txt"); out != "read me" {
			t.Errorf("files get: %q", out)
		}
		fails(1, "error: creating the draft: version_exists: tool 1.2.0 is already published", "versions", "publish-files", "gen", "tool", "1.2.0", "--manifest", manifest, bin)

		// A run that failed half way is finished by the next one: the draft
		// and the entries it holds are reused.
		m2 := write("gen/manifest-2.json", `{"name":"tool","version":"2.0.0"}`)
		fails(1, `error: putting the manifest: bad_request: manifest.version: is "1.2.0" but the version is "2.0.0" (field=manifest.version)`,
			"versions", "publish-files", "gen", "tool", "2.0.0", "--manifest", manifest, bin, readme)
		var d packageVersion
		okJSON(&d, "versions", "draft", "gen", "tool", "2.0.0")
		ok("versions", "add-entries", "gen", d.VersionID, "--entry", "readme.txt="+sha256Digest("read me"))
		res := run("versions", "publish-files", "gen", "tool", "2.0.0", "--manifest", m2, bin, readme)
		if res.code != 0 || !strings.Contains(res.stderr, "Reusing draft "+d.VersionID) || !strings.Contains(res.stdout, "State:              published") {
			t.Fatalf("resumed publish-files: exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		okJSON(&v, "versions", "get", "gen", d.VersionID)
		if len(v.Entries) != 2 {
			t.Errorf("entries after the resumed run: %+v", v.Entries)
		}

		// A draft holding another file at a path is not overwritten.
		okJSON(&d, "versions", "draft", "gen", "tool", "3.0.0")
		ok("versions", "add-entries", "gen", d.VersionID, "--entry", "readme.txt="+sha256Digest("the tool's bytes"))
		fails(1, `error: the draft already has a file at "readme.txt" with digest `+sha256Digest("the tool's bytes"),
			"versions", "publish-files", "gen", "tool", "3.0.0", "--manifest", write("gen/m3.json", `{"name":"tool","version":"3.0.0"}`), readme)

		// Listing pages.
		for _, name := range []string{"alpha", "beta"} {
			ok("versions", "publish-files", "gen", name, "1.0", "--manifest", write("gen/"+name+".json", `{"name":"`+name+`","version":"1.0"}`), readme)
		}
		res = run("packages", "list", "gen", "--limit", "1")
		if res.code != 0 || res.stdout != "PACKAGE  NAMESPACE  FORMAT   CREATED\n"+"alpha    -          generic  "+strings.Fields(strings.Split(res.stdout, "\n")[1])[3]+"\n" || !strings.Contains(res.stderr, "--cursor ") {
			t.Errorf("one page: exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		var all struct{ Items []packageItem }
		okJSON(&all, "packages", "list", "gen", "--limit", "1", "--all")
		var names []string
		for _, it := range all.Items {
			names = append(names, it.Package)
		}
		if strings.Join(names, ",") != "alpha,beta,tool" {
			t.Errorf("--all: %v", names)
		}
		has(ok("packages", "list", "gen", "--query", "ET"), "\nbeta ")
		has(ok("packages", "versions", "gen", "tool"), "\n1.2.0    published", "\n2.0.0    published", "\n3.0.0    draft")
	})

	t.Run("exit codes and roles", func(t *testing.T) {
		fails(1, `error: version_not_found: version "ver_000000000000000000000000" not found in this repository`, "versions", "get", "gen", "ver_000000000000000000000000")
		fails(1, `error: package_not_found`, "packages", "versions", "gen", "nothing")
		fails(1, `error: version_not_found`, "packages", "get", "gen", "tool", "9.9.9")
		fails(1, "error: not_found", "packages", "list", "no-such-repo")
		fails(2, `invalid VERSION_ID "tool"`, "versions", "publish", "gen", "tool")
		fails(2, "missing argument VERSION", "packages", "get", "gen", "tool")
		fails(2, `invalid PATH "../x"`, "files", "get", "gen", "tool", "1.2.0", "../x")
		fails(2, "unknown flag: --bogus", "tags", "list", "gen", "tool", "--bogus")

		vars[envToken] = env.Token(t, "reader", "repo:gen:read")
		defer func() { vars[envToken] = env.AdminToken }()
		if out := ok("files", "get", "gen", "tool", "1.2.0", "dist/readme.txt"); out != "read me" {
			t.Errorf("reader files get: %q", out)
		}
		has(ok("packages", "versions", "gen", "tool"), "\n1.2.0 ", "\n2.0.0 ")
		if out := ok("packages", "versions", "gen", "tool"); strings.Contains(out, "draft") {
			t.Errorf("a reader sees drafts:\n%s", out)
		}
		fails(1, "error: forbidden", "versions", "draft", "gen", "tool", "4.0.0")
		fails(1, "error: forbidden", "tags", "set", "gen", "tool", "latest", "1.2.0")
		fails(1, "error: creating the draft: forbidden", "versions", "publish-files", "gen", "tool", "4.0.0",
			"--manifest", write("gen/m4.json", `{"name":"tool","version":"4.0.0"}`), write("gen/x", "x"))
	})
}

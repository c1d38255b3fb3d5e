package admincli

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	testVersionID = "ver_0123456789abcdef01234567"
	draftBody     = `{"versionId":"ver_0123456789abcdef01234567","repo":"npm-local","format":"npm","namespace":"acme","name":"ui","package":"@acme/ui","version":"1.4.2","state":"draft","entries":[],"createdBy":"admin","createdAt":"2026-11-26T18:00:00Z"}`
	publishedBody = `{"versionId":"ver_0123456789abcdef01234567","repo":"npm-local","format":"npm","namespace":"acme","name":"ui","package":"@acme/ui","version":"1.4.2","state":"published",` +
		`"entries":[{"path":"package.tgz","digest":"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","size":5,"mediaType":"application/gzip"},{"path":"docs/read me.txt","digest":"sha256:ab","size":12}],` +
		`"manifest":{"name":"@acme/ui","version":"1.4.2","description":"buttons\tand more"},"createdBy":"admin","createdAt":"2026-11-26T18:00:00Z","publishedBy":"release-bot","publishedAt":"2026-11-26T18:05:00Z"}`
	packagesPage = `{"items":[{"package":"@acme/ui","namespace":"acme","name":"ui","format":"npm","createdAt":"2026-11-26T18:00:00Z"},{"package":"left-pad","name":"left-pad","format":"npm","createdAt":"2026-11-25T18:00:00Z"}],"nextCursor":"YWNtZQB1aQ"}`
	tagBody      = `{"tag":"latest","version":"1.4.2","versionId":"ver_0123456789abcdef01234567","updatedBy":"admin","updatedAt":"2026-11-26T18:10:00Z"}`
)

// versionTable is the table output of publishedBody.
const versionTable = "Version ID:    ver_0123456789abcdef01234567\n" +
	"Repository:    npm-local\n" +
	"Format:        npm\n" +
	"Package:       @acme/ui\n" +
	"Version:       1.4.2\n" +
	"State:         published\n" +
	"Created:       2026-11-26T18:00:00Z\n" +
	"Created by:    admin\n" +
	"Published:     2026-11-26T18:05:00Z\n" +
	"Published by:  release-bot\n" +
	"Tombstoned:    -\n" +
	"Manifest:      {\"name\":\"@acme/ui\",\"version\":\"1.4.2\",\"description\":\"buttons\\tand more\"}\n" +
	"\n" +
	"PATH              SIZE  DIGEST                                                                   MEDIA TYPE\n" +
	"package.tgz       5     sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824  application/gzip\n" +
	"docs/read me.txt  12    sha256:ab                                                                -\n"

func TestPackagesRequests(t *testing.T) {
	runCases(t, []commandCase{
		{
			name:    "list one page",
			args:    []string{"packages", "list", "npm-local"},
			replies: []cannedReply{reply(200, packagesPage)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/npm-local/packages"}},
			stdout: "PACKAGE   NAMESPACE  FORMAT  CREATED\n" +
				"@acme/ui  acme       npm     2026-11-26T18:00:00Z\n" +
				"left-pad  -          npm     2026-11-25T18:00:00Z\n",
			errHas: []string{"More packages: add --cursor YWNtZQB1aQ for the next page, or --all."},
		},
		{
			name:    "list filters are encoded",
			args:    []string{"packages", "list", "npm-local", "--namespace", "acme", "--query", "ui kit", "--limit", "2", "--cursor", "a+b/c"},
			replies: []cannedReply{reply(200, `{"items":[]}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/npm-local/packages", query: "cursor=a%2Bb%2Fc&limit=2&namespace=acme&q=ui+kit"}},
			stdout:  "PACKAGE  NAMESPACE  FORMAT  CREATED\n",
		},
		{
			name: "list --all json merges the pages",
			args: []string{"packages", "list", "npm-local", "--all", "--limit", "2", "-o", "json"},
			replies: []cannedReply{
				reply(200, packagesPage),
				reply(200, `{"items":[{"package":"zeta","name":"zeta","format":"npm","createdAt":"2026-11-24T18:00:00Z"}]}`),
			},
			want: []wantRequest{
				{method: "GET", path: "/v1/repos/npm-local/packages", query: "limit=2"},
				{method: "GET", path: "/v1/repos/npm-local/packages", query: "cursor=YWNtZQB1aQ&limit=2"},
			},
			outHas: []string{`"package": "@acme/ui"`, `"package": "left-pad"`, `"package": "zeta"`},
		},
		{
			name:    "list --all stops on a repeated cursor",
			args:    []string{"packages", "list", "npm-local", "--all"},
			replies: []cannedReply{reply(200, `{"items":[],"nextCursor":"c"}`), reply(200, `{"items":[],"nextCursor":"c"}`)},
			want: []wantRequest{
				{method: "GET", path: "/v1/repos/npm-local/packages"},
				{method: "GET", path: "/v1/repos/npm-local/packages", query: "cursor=c"},
			},
			code:   1,
			errHas: []string{"repeated cursor"},
		},
		{name: "list bad limit", args: []string{"packages", "list", "npm-local", "--limit", "0"}, code: 2, errHas: []string{"invalid --limit 0"}},
		{name: "list without repo", args: []string{"packages", "list"}, code: 2, errHas: []string{"missing argument REPO"}},
		{
			name: "versions of a scoped package: one segment",
			args: []string{"packages", "versions", "npm-local", "@acme/ui"},
			replies: []cannedReply{reply(200, `{"package":"@acme/ui","namespace":"acme","name":"ui","items":[`+
				`{"versionId":"ver_1","version":"1.4.2","state":"published","publishedAt":"2026-11-26T18:05:00Z"},`+
				`{"versionId":"ver_2","version":"2.0.0-beta.1","state":"draft"}]}`)},
			want: []wantRequest{{method: "GET", path: "/v1/repos/npm-local/packages/@acme%2Fui/versions"}},
			stdout: "Package:  @acme/ui\n" +
				"VERSION       STATE      PUBLISHED             VERSION ID\n" +
				"1.4.2         published  2026-11-26T18:05:00Z  ver_1\n" +
				"2.0.0-beta.1  draft      -                     ver_2\n",
		},
		{
			name:    "versions of an OCI repository name",
			args:    []string{"packages", "versions", "oci-local", "team/app", "-o", "json"},
			replies: []cannedReply{reply(200, `{"package":"team/app","namespace":"team","name":"app","items":[]}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/oci-local/packages/team%2Fapp/versions"}},
			outHas:  []string{`"package": "team/app"`},
		},
		{
			name:    "versions of a missing package",
			args:    []string{"packages", "versions", "npm-local", "nope"},
			replies: []cannedReply{reply(404, `{"error":{"code":"package_not_found","message":"package \"nope\" not found in repository \"npm-local\""}}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/npm-local/packages/nope/versions"}},
			code:    1,
			errHas:  []string{`error: package_not_found: package "nope" not found in repository "npm-local"`},
		},
		{name: "versions of ..", args: []string{"packages", "versions", "npm-local", ".."}, code: 2, errHas: []string{`argument NAME must not be ".."`}},
		{
			name:    "get",
			args:    []string{"packages", "get", "npm-local", "@acme/ui", "1.4.2+build/7"},
			replies: []cannedReply{reply(200, publishedBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/npm-local/packages/@acme%2Fui/versions/1.4.2+build%2F7"}},
			stdout:  versionTable,
		},
		{name: "get missing version", args: []string{"packages", "get", "npm-local", "@acme/ui"}, code: 2, errHas: []string{"missing argument VERSION"}},
	})
}

func TestVersionsRequests(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	manifest := write("package.json", "{ \"name\": \"@acme/ui\",\n  \"version\": \"1.4.2\", \"description\": \"<b>&</b>\" }\n")
	entriesArray := write("entries.json", `[{"path":"a.tgz","digest":"sha256:aa"},{"path":"b.txt","digest":"sha256:bb","mediaType":"text/plain","size":99}]`)
	entriesObject := write("entries-object.json", `{"entries":[{"path":"c","digest":"sha256:cc"}]}`)
	entriesUnknown := write("entries-bad.json", `[{"path":"c","digest":"sha256:cc","sha":"x"}]`)
	entriesNoDigest := write("entries-nodigest.json", `[{"path":"c"}]`)
	notJSON := write("not.json", `name: ui`)
	base := "/v1/repos/npm-local/packages/versions/" + testVersionID
	runCases(t, []commandCase{
		{
			name:    "draft created",
			args:    []string{"versions", "draft", "npm-local", "@acme/ui", "1.4.2"},
			replies: []cannedReply{reply(201, draftBody)},
			want:    []wantRequest{{method: "POST", path: "/v1/repos/npm-local/packages/versions/drafts", body: `{"name":"@acme/ui","version":"1.4.2"}`}},
			outHas:  []string{"Version ID:    ver_0123456789abcdef01234567\n", "State:         draft\n", "Manifest:      -\n", "\nPATH  SIZE  DIGEST  MEDIA TYPE\n"},
		},
		{
			name:    "draft existing, with namespace and format",
			args:    []string{"versions", "draft", "npm-local", "ui", "1.4.2", "--namespace", "acme", "--format", "npm", "-o", "json"},
			replies: []cannedReply{reply(200, draftBody)},
			want: []wantRequest{{method: "POST", path: "/v1/repos/npm-local/packages/versions/drafts",
				body: `{"format":"npm","namespace":"acme","name":"ui","version":"1.4.2"}`}},
			outHas: []string{`"versionId": "ver_0123456789abcdef01234567"`},
			errHas: []string{"The draft of @acme/ui 1.4.2 already existed"},
		},
		{
			name: "draft of a published version",
			args: []string{"versions", "draft", "npm-local", "@acme/ui", "1.4.2"},
			replies: []cannedReply{reply(409,
				`{"error":{"code":"version_exists","message":"@acme/ui 1.4.2 is already published; published versions never change","details":{"state":"published","versionId":"ver_1"}}}`)},
			want:   []wantRequest{{method: "POST", path: "/v1/repos/npm-local/packages/versions/drafts", body: `{"name":"@acme/ui","version":"1.4.2"}`}},
			code:   1,
			errHas: []string{"error: version_exists: @acme/ui 1.4.2 is already published; published versions never change (state=published, versionId=ver_1)\n"},
		},
		{
			name:    "get",
			args:    []string{"versions", "get", "npm-local", testVersionID},
			replies: []cannedReply{reply(200, publishedBody)},
			want:    []wantRequest{{method: "GET", path: base}},
			stdout:  versionTable,
		},
		{name: "get with a name instead of an id", args: []string{"versions", "get", "npm-local", "ui"}, code: 2, errHas: []string{`invalid VERSION_ID "ui"`}},
		{name: "get with a bare prefix", args: []string{"versions", "get", "npm-local", "ver_"}, code: 2, errHas: []string{"invalid VERSION_ID"}},
		{
			name:    "add-entries from flags",
			args:    []string{"versions", "add-entries", "npm-local", testVersionID, "--entry", "package.tgz=sha256:aa", "--entry", "k=v/data.csv=sha256:bb;text/csv; charset=utf-8"},
			replies: []cannedReply{reply(200, draftBody)},
			want: []wantRequest{{method: "POST", path: base + "/entries",
				body: `{"entries":[{"path":"package.tgz","digest":"sha256:aa"},{"path":"k=v/data.csv","digest":"sha256:bb","mediaType":"text/csv; charset=utf-8"}]}`}},
		},
		{
			name:    "add-entries from a file array, then flags; sizes are not sent",
			args:    []string{"versions", "add-entries", "npm-local", testVersionID, "--file", entriesArray, "--entry", "z=sha256:zz"},
			replies: []cannedReply{reply(200, draftBody)},
			want: []wantRequest{{method: "POST", path: base + "/entries",
				body: `{"entries":[{"path":"a.tgz","digest":"sha256:aa"},{"path":"b.txt","digest":"sha256:bb","mediaType":"text/plain"},{"path":"z","digest":"sha256:zz"}]}`}},
		},
		{
			name:    "add-entries from a file object",
			args:    []string{"versions", "add-entries", "npm-local", testVersionID, "--file", entriesObject},
			replies: []cannedReply{reply(200, draftBody)},
			want:    []wantRequest{{method: "POST", path: base + "/entries", body: `{"entries":[{"path":"c","digest":"sha256:cc"}]}`}},
		},
		{
			name: "add-entries refused",
			args: []string{"versions", "add-entries", "npm-local", testVersionID, "--entry", "a=sha256:aa"},
			replies: []cannedReply{reply(409,
				`{"error":{"code":"digest_not_committed","message":"entries[0]: blob sha256:aa is not committed in repository \"npm-local\"; upload it there first","details":{"entry":0,"field":"entries[0].digest"}}}`)},
			want:   []wantRequest{{method: "POST", path: base + "/entries", body: `{"entries":[{"path":"a","digest":"sha256:aa"}]}`}},
			code:   1,
			errHas: []string{"error: digest_not_committed: entries[0]: blob sha256:aa is not committed"},
		},
		{name: "add-entries none", args: []string{"versions", "add-entries", "npm-local", testVersionID}, code: 2, errHas: []string{"no entries"}},
		{name: "add-entries without digest", args: []string{"versions", "add-entries", "npm-local", testVersionID, "--entry", "a.tgz"}, code: 2, errHas: []string{`invalid --entry "a.tgz"`}},
		{name: "add-entries empty digest", args: []string{"versions", "add-entries", "npm-local", testVersionID, "--entry", "a.tgz=;x"}, code: 2, errHas: []string{"invalid --entry"}},
		{name: "add-entries empty path", args: []string{"versions", "add-entries", "npm-local", testVersionID, "--entry", "=sha256:aa"}, code: 2, errHas: []string{"invalid --entry"}},
		{name: "add-entries unknown field in file", args: []string{"versions", "add-entries", "npm-local", testVersionID, "--file", entriesUnknown}, code: 2, errHas: []string{`unknown field "sha"`}},
		{name: "add-entries file entry without digest", args: []string{"versions", "add-entries", "npm-local", testVersionID, "--file", entriesNoDigest}, code: 2, errHas: []string{"entry 0 lacks a path or a digest"}},
		{name: "add-entries missing file", args: []string{"versions", "add-entries", "npm-local", testVersionID, "--file", entriesArray + ".nope"}, code: 2, errHas: []string{"no such file"}},
		{
			name:    "manifest put sends the file byte for byte",
			args:    []string{"versions", "manifest", "put", "npm-local", testVersionID, manifest},
			replies: []cannedReply{reply(200, draftBody)},
			want: []wantRequest{{method: "PUT", path: base + "/manifest",
				rawBody: "{ \"name\": \"@acme/ui\",\n  \"version\": \"1.4.2\", \"description\": \"<b>&</b>\" }"}},
		},
		{
			name: "manifest put refused",
			args: []string{"versions", "manifest", "put", "npm-local", testVersionID, manifest},
			replies: []cannedReply{reply(400,
				`{"error":{"code":"bad_request","message":"name: is \"other\" but the package is \"@acme/ui\"","details":{"field":"name"}}}`)},
			want:   []wantRequest{{method: "PUT", path: base + "/manifest", body: `{"name":"@acme/ui","version":"1.4.2","description":"<b>&</b>"}`}},
			code:   1,
			errHas: []string{`error: bad_request: name: is "other" but the package is "@acme/ui" (field=name)`},
		},
		{name: "manifest put not JSON", args: []string{"versions", "manifest", "put", "npm-local", testVersionID, notJSON}, code: 2, errHas: []string{"is not a JSON object"}},
		{name: "manifest put missing file", args: []string{"versions", "manifest", "put", "npm-local", testVersionID, manifest + ".nope"}, code: 2, errHas: []string{"no such file"}},
		{name: "manifest put without file", args: []string{"versions", "manifest", "put", "npm-local", testVersionID}, code: 2, errHas: []string{"missing argument FILE"}},
		{
			name:    "manifest get is indented JSON in any mode",
			args:    []string{"versions", "manifest", "get", "npm-local", testVersionID},
			replies: []cannedReply{reply(200, `{"name":"@acme/ui","version":"1.4.2"}`)},
			want:    []wantRequest{{method: "GET", path: base + "/manifest"}},
			stdout:  "{\n  \"name\": \"@acme/ui\",\n  \"version\": \"1.4.2\"\n}\n",
		},
		{
			name:    "manifest get of a draft without one",
			args:    []string{"versions", "manifest", "get", "npm-local", testVersionID},
			replies: []cannedReply{reply(404, `{"error":{"code":"manifest_not_found","message":"version 1.4.2 has no manifest yet"}}`)},
			want:    []wantRequest{{method: "GET", path: base + "/manifest"}},
			code:    1,
			errHas:  []string{"error: manifest_not_found: version 1.4.2 has no manifest yet"},
		},
		{
			name:    "publish",
			args:    []string{"versions", "publish", "npm-local", testVersionID},
			replies: []cannedReply{reply(200, strings.TrimSuffix(publishedBody, "}")+`,"idempotent":true}`)},
			want:    []wantRequest{{method: "POST", path: base + "/publish"}},
			outHas:  []string{"State:              published\n", "Already published:  true\n"},
		},
		{
			name: "publish precondition",
			args: []string{"versions", "publish", "npm-local", testVersionID},
			replies: []cannedReply{reply(409,
				`{"error":{"code":"publish_precondition_failed","message":"version 1.4.2 has no manifest; put one first","details":{"precondition":"manifest"}}}`)},
			want:   []wantRequest{{method: "POST", path: base + "/publish"}},
			code:   1,
			errHas: []string{"error: publish_precondition_failed: version 1.4.2 has no manifest; put one first (precondition=manifest)\n"},
		},
	})
}

// manifest put - reads standard input.
func TestManifestPutFromStdin(t *testing.T) {
	t.Parallel()
	rec := newRequestRecorder(t, reply(200, draftBody))
	cmd := newCommand(func(k string) string { return map[string]string{envURL: rec.URL(), envToken: testToken}[k] })
	cmd.SetIn(strings.NewReader(`  {"name":"@acme/ui","version":"1.4.2"}` + "\n"))
	var out, errOut strings.Builder
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"versions", "manifest", "put", "npm-local", testVersionID, "-"})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("%v: %s", err, errOut.String())
	}
	reqs := rec.Requests()
	if len(reqs) != 1 || string(reqs[0].Body) != `{"name":"@acme/ui","version":"1.4.2"}` || reqs[0].Header.Get("Content-Type") != "application/json" {
		t.Errorf("requests %v, body %q", summarize(reqs), reqs[0].Body)
	}
}

// More entries than one request may carry are sent in several.
func TestAddEntriesBatches(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("[")
	for i := range maxEntriesPerRequest + 1 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"path":"f%d","digest":"sha256:aa"}`, i)
	}
	b.WriteString("]")
	file := filepath.Join(t.TempDir(), "entries.json")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := newRequestRecorder(t, reply(200, draftBody), reply(409, `{"error":{"code":"entry_exists","message":"entries[0]: the version already has a file at \"f1000\""}}`))
	res := runAgainst(t, rec, "versions", "add-entries", "npm-local", testVersionID, "--file", file)
	if res.code != 1 || !strings.Contains(res.stderr, "error: entries 1000 to 1000 (the 1000 before were added): entry_exists:") {
		t.Errorf("exit %d, stderr %q", res.code, res.stderr)
	}
	reqs := rec.Requests()
	if len(reqs) != 2 || strings.Count(string(reqs[0].Body), `"path"`) != 1000 || string(reqs[1].Body) != `{"entries":[{"path":"f1000","digest":"sha256:aa"}]}` {
		t.Errorf("requests %v", summarize(reqs))
	}
}

func sha256Digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(h[:])
}

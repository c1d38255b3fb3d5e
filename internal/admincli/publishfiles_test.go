package admincli

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// publish-files runs draft, manifest, uploads, entries and publish, in
// that order; an error names the step and is printed once.
func TestPublishFilesRequests(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	manifest := write("manifest.json", `{"name":"tool","version":"1.2.0"}`)
	a, b := write("a.tgz", "aaa"), write("b.txt", "bb")
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	b2 := filepath.Join(sub, "b.txt")
	os.WriteFile(b2, []byte("other"), 0o644)
	draft := `{"versionId":"` + testVersionID + `","package":"tool","version":"1.2.0","state":"draft","entries":[]}`
	blob := func(content string) cannedReply {
		return reply(201, fmt.Sprintf(`{"digest":%q,"length":%d}`, sha256Digest(content), len(content)))
	}
	vbase := "/v1/repos/gen/packages/versions/" + testVersionID
	runCases(t, []commandCase{
		{
			name:    "the whole flow",
			args:    []string{"versions", "publish-files", "gen", "tool", "1.2.0", "--manifest", manifest, "--path-prefix", "dist", "--media-type", "application/gzip", a, b},
			replies: []cannedReply{reply(201, draft), reply(200, draft), blob("aaa"), blob("bb"), reply(200, draft), reply(200, publishedBody)},
			want: []wantRequest{
				{method: "POST", path: "/v1/repos/gen/packages/versions/drafts", body: `{"name":"tool","version":"1.2.0"}`},
				{method: "PUT", path: vbase + "/manifest", body: `{"name":"tool","version":"1.2.0"}`},
				{method: "PUT", path: "/v1/repos/gen/blobs", rawBody: "aaa"},
				{method: "PUT", path: "/v1/repos/gen/blobs", rawBody: "bb"},
				{method: "POST", path: vbase + "/entries", body: `{"entries":[` +
					`{"path":"dist/a.tgz","digest":"` + sha256Digest("aaa") + `","mediaType":"application/gzip"},` +
					`{"path":"dist/b.txt","digest":"` + sha256Digest("bb") + `","mediaType":"application/gzip"}]}`},
				{method: "POST", path: vbase + "/publish"},
			},
			stdout: versionTable,
			errHas: []string{"Created draft " + testVersionID + " of tool 1.2.0.\n", "Uploaded " + a + " (3 bytes, " + sha256Digest("aaa") + ").\n"},
		},
		{
			name: "an existing draft keeps the entries it has",
			args: []string{"versions", "publish-files", "gen", "tool", "1.2.0", "--manifest", manifest, a, b, "-o", "json"},
			replies: []cannedReply{
				reply(200, draft),
				reply(200, `{"versionId":"`+testVersionID+`","entries":[{"path":"a.tgz","digest":"`+sha256Digest("aaa")+`","size":3}]}`),
				reply(200, draft), blob("aaa"), blob("bb"), reply(200, draft), reply(200, publishedBody),
			},
			want: []wantRequest{
				{method: "POST", path: "/v1/repos/gen/packages/versions/drafts", body: `{"name":"tool","version":"1.2.0"}`},
				{method: "GET", path: vbase},
				{method: "PUT", path: vbase + "/manifest", body: `{"name":"tool","version":"1.2.0"}`},
				{method: "PUT", path: "/v1/repos/gen/blobs", rawBody: "aaa"},
				{method: "PUT", path: "/v1/repos/gen/blobs", rawBody: "bb"},
				{method: "POST", path: vbase + "/entries", body: `{"entries":[{"path":"b.txt","digest":"` + sha256Digest("bb") + `"}]}`},
				{method: "POST", path: vbase + "/publish"},
			},
			outHas: []string{`"state": "published"`},
			errHas: []string{"Reusing draft " + testVersionID},
		},
		{
			name: "an upload refused",
			args: []string{"versions", "publish-files", "gen", "tool", "1.2.0", "--manifest", manifest, a},
			replies: []cannedReply{reply(201, draft), reply(200, draft),
				reply(403, `{"error":{"code":"forbidden","message":"role write required on repository \"gen\""}}`)},
			want: []wantRequest{
				{method: "POST", path: "/v1/repos/gen/packages/versions/drafts", body: `{"name":"tool","version":"1.2.0"}`},
				{method: "PUT", path: vbase + "/manifest", body: `{"name":"tool","version":"1.2.0"}`},
				{method: "PUT", path: "/v1/repos/gen/blobs", rawBody: "aaa"},
			},
			code:   1,
			errHas: []string{"error: uploading " + a + `: forbidden: role write required on repository "gen"` + "\nrequest id: req-test\n"},
		},
		{
			name:    "the server names another digest",
			args:    []string{"versions", "publish-files", "gen", "tool", "1.2.0", "--manifest", manifest, a},
			replies: []cannedReply{reply(201, draft), reply(200, draft), blob("aab")},
			want: []wantRequest{
				{method: "POST", path: "/v1/repos/gen/packages/versions/drafts", body: `{"name":"tool","version":"1.2.0"}`},
				{method: "PUT", path: vbase + "/manifest", body: `{"name":"tool","version":"1.2.0"}`},
				{method: "PUT", path: "/v1/repos/gen/blobs", rawBody: "aaa"},
			},
			code:   1,
			errHas: []string{"the server stored digest"},
		},
		{name: "without manifest", args: []string{"versions", "publish-files", "gen", "tool", "1.2.0", a}, code: 2, errHas: []string{"--manifest is required"}},
		{name: "without files", args: []string{"versions", "publish-files", "gen", "tool", "1.2.0", "--manifest", manifest}, code: 2, errHas: []string{"missing argument FILE"}},
		{name: "two files at one path", args: []string{"versions", "publish-files", "gen", "tool", "1.2.0", "--manifest", manifest, b, b2}, code: 2, errHas: []string{`would both be published at "b.txt"`}},
		{name: "a missing file", args: []string{"versions", "publish-files", "gen", "tool", "1.2.0", "--manifest", manifest, a, a + ".nope"}, code: 2, errHas: []string{"no such file"}},
		{name: "a directory", args: []string{"versions", "publish-files", "gen", "tool", "1.2.0", "--manifest", manifest, sub}, code: 2, errHas: []string{"is not a regular file"}},
		{name: "a prefix escaping", args: []string{"versions", "publish-files", "gen", "tool", "1.2.0", "--manifest", manifest, "--path-prefix", "../", a}, code: 2, errHas: []string{"not a clean relative path"}},
	})
}

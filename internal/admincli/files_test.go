package admincli

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTagsRequests(t *testing.T) {
	runCases(t, []commandCase{
		{
			name:    "list",
			args:    []string{"tags", "list", "npm-local", "@acme/ui"},
			replies: []cannedReply{reply(200, `{"items":[`+tagBody+`]}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/npm-local/packages/@acme%2Fui/tags"}},
			stdout: "TAG     VERSION  UPDATED               UPDATED BY  VERSION ID\n" +
				"latest  1.4.2    2026-11-26T18:10:00Z  admin       ver_0123456789abcdef01234567\n",
		},
		{
			name:    "get",
			args:    []string{"tags", "get", "npm-local", "@acme/ui", "latest"},
			replies: []cannedReply{reply(200, tagBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/npm-local/packages/@acme%2Fui/tags/latest"}},
			stdout: "Tag:         latest\n" +
				"Version:     1.4.2\n" +
				"Version ID:  ver_0123456789abcdef01234567\n" +
				"Updated:     2026-11-26T18:10:00Z\n" +
				"Updated by:  admin\n",
		},
		{
			name:    "get missing",
			args:    []string{"tags", "get", "npm-local", "@acme/ui", "next"},
			replies: []cannedReply{reply(404, `{"error":{"code":"tag_not_found","message":"@acme/ui has no tag \"next\""}}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/npm-local/packages/@acme%2Fui/tags/next"}},
			code:    1,
			errHas:  []string{`error: tag_not_found: @acme/ui has no tag "next"`},
		},
		{
			name:    "set moves the tag",
			args:    []string{"tags", "set", "npm-local", "@acme/ui", "latest", "1.4.2"},
			replies: []cannedReply{reply(200, strings.TrimSuffix(tagBody, "}")+`,"previous":"1.4.1"}`)},
			want:    []wantRequest{{method: "PUT", path: "/v1/repos/npm-local/packages/@acme%2Fui/tags/latest", body: `{"version":"1.4.2"}`}},
			outHas:  []string{"Version:     1.4.2\n", "Previous:    1.4.1\n"},
		},
		{
			name:    "set json",
			args:    []string{"tags", "set", "oci-local", "team/app", "stable", "sha256:ab", "-o", "json"},
			replies: []cannedReply{reply(200, tagBody)},
			want:    []wantRequest{{method: "PUT", path: "/v1/repos/oci-local/packages/team%2Fapp/tags/stable", body: `{"version":"sha256:ab"}`}},
			outHas:  []string{`"tag": "latest"`},
		},
		{name: "set without version", args: []string{"tags", "set", "npm-local", "@acme/ui", "latest"}, code: 2, errHas: []string{"missing argument VERSION"}},
		{
			name:    "delete",
			args:    []string{"tags", "delete", "npm-local", "@acme/ui", "next"},
			replies: []cannedReply{reply(204, "")},
			want:    []wantRequest{{method: "DELETE", path: "/v1/repos/npm-local/packages/@acme%2Fui/tags/next"}},
			stdout:  "Deleted tag next of @acme/ui.\n",
		},
		{
			name:    "delete json",
			args:    []string{"tags", "delete", "npm-local", "left-pad", "next", "-o", "json"},
			replies: []cannedReply{reply(204, "")},
			want:    []wantRequest{{method: "DELETE", path: "/v1/repos/npm-local/packages/left-pad/tags/next"}},
			stdout:  "{}\n",
		},
	})
}

func TestFilesRequests(t *testing.T) {
	content := "hello"
	etag := `"` + sha256Digest(content) + `"`
	file := cannedReply{status: 200, body: content, header: map[string]string{"ETag": etag, "Content-Type": "application/gzip"}}
	filePathEsc := "/v1/repos/npm-local/packages/@acme%2Fui/versions/1.4.2/files/docs/read%20me%3F.txt"
	runCases(t, []commandCase{
		{
			name:    "get to standard output; each path segment escaped",
			args:    []string{"files", "get", "npm-local", "@acme/ui", "1.4.2", "docs/read me?.txt"},
			replies: []cannedReply{file},
			want:    []wantRequest{{method: "GET", path: filePathEsc}},
			stdout:  content,
		},
		{
			name:    "get -o - is standard output",
			args:    []string{"files", "get", "npm-local", "@acme/ui", "1.4.2", "docs/read me?.txt", "-o", "-"},
			replies: []cannedReply{file},
			want:    []wantRequest{{method: "GET", path: filePathEsc}},
			stdout:  content,
		},
		{
			name:    "get with a digest mismatch",
			args:    []string{"files", "get", "npm-local", "@acme/ui", "1.4.2", "package.tgz"},
			replies: []cannedReply{{status: 200, body: "jello", header: map[string]string{"ETag": etag}}},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/npm-local/packages/@acme%2Fui/versions/1.4.2/files/package.tgz"}},
			code:    1,
			errHas:  []string{"error: the 5 bytes received have digest " + sha256Digest("jello") + ", not the " + sha256Digest(content) + " the server announced\n"},
		},
		{
			name:    "get a range is not verified",
			args:    []string{"files", "get", "npm-local", "left-pad", "1.0.0", "index.js", "--range", "1-3"},
			replies: []cannedReply{{status: 206, body: "ell", header: map[string]string{"ETag": etag, "Content-Range": "bytes 1-3/5"}}},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/npm-local/packages/left-pad/versions/1.0.0/files/index.js"}},
			stdout:  "ell",
		},
		{
			name:    "get missing file",
			args:    []string{"files", "get", "npm-local", "left-pad", "1.0.0", "nope.js"},
			replies: []cannedReply{reply(404, `{"error":{"code":"file_not_found","message":"left-pad 1.0.0 has no file \"nope.js\""}}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/npm-local/packages/left-pad/versions/1.0.0/files/nope.js"}},
			code:    1,
			errHas:  []string{`error: file_not_found: left-pad 1.0.0 has no file "nope.js"`},
		},
		{name: "get path with ..", args: []string{"files", "get", "npm-local", "left-pad", "1.0.0", "a/../b"}, code: 2, errHas: []string{`invalid PATH "a/../b"`}},
		{name: "get absolute path", args: []string{"files", "get", "npm-local", "left-pad", "1.0.0", "/etc/passwd"}, code: 2, errHas: []string{"invalid PATH"}},
		{name: "get bad range", args: []string{"files", "get", "npm-local", "left-pad", "1.0.0", "a", "--range", "1-2,4-5"}, code: 2, errHas: []string{`invalid --range "1-2,4-5"`}},
		{name: "get missing path", args: []string{"files", "get", "npm-local", "left-pad", "1.0.0"}, code: 2, errHas: []string{"missing argument PATH"}},
		{
			name:    "head",
			args:    []string{"files", "head", "npm-local", "@acme/ui", "1.4.2", "package.tgz"},
			replies: []cannedReply{{status: 200, header: map[string]string{"ETag": etag, "Content-Type": "application/gzip", "Content-Length": "5", "Last-Modified": "Thu, 26 Nov 2026 18:05:00 GMT"}}},
			want:    []wantRequest{{method: "HEAD", path: "/v1/repos/npm-local/packages/@acme%2Fui/versions/1.4.2/files/package.tgz"}},
			stdout: "Path:           package.tgz\n" +
				"Digest:         " + sha256Digest(content) + "\n" +
				"Length:         5\n" +
				"Content type:   application/gzip\n" +
				"ETag:           " + etag + "\n" +
				"Last modified:  Thu, 26 Nov 2026 18:05:00 GMT\n",
		},
		{
			name:    "head not found",
			args:    []string{"files", "head", "npm-local", "@acme/ui", "1.4.2", "nope"},
			replies: []cannedReply{{status: 404}},
			want:    []wantRequest{{method: "HEAD", path: "/v1/repos/npm-local/packages/@acme%2Fui/versions/1.4.2/files/nope"}},
			code:    1,
			errHas:  []string{"error: http_404: no file nope in @acme/ui 1.4.2 of repository npm-local, or not readable\n"},
		},
	})
}

// files get sends the Range header it is given, as bytes=.
func TestFilesGetRangeHeader(t *testing.T) {
	t.Parallel()
	for spec, want := range map[string]string{"0-9": "bytes=0-9", "bytes=5-": "bytes=5-", "-3": "bytes=-3"} {
		rec := newRequestRecorder(t, cannedReply{status: 206, body: "x"})
		if res := runAgainst(t, rec, "files", "get", "gen", "tool", "1.0", "a", "--range", spec); res.code != 0 {
			t.Fatalf("%s: exit %d: %s", spec, res.code, res.stderr)
		}
		if got := rec.Requests()[0].Header.Get("Range"); got != want {
			t.Errorf("--range %s sent Range %q, want %q", spec, got, want)
		}
	}
}

// files get -o FILE replaces FILE only with a whole, verified download.
func TestFilesGetToFile(t *testing.T) {
	t.Parallel()
	etag := `"` + sha256Digest("hello") + `"`
	dir := t.TempDir()
	dest := filepath.Join(dir, "out.bin")
	if err := os.WriteFile(dest, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := newRequestRecorder(t,
		cannedReply{status: 200, body: "jello", header: map[string]string{"ETag": etag}},
		cannedReply{handle: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "5")
			w.Write([]byte("he"))
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}},
		cannedReply{status: 200, body: "hello", header: map[string]string{"ETag": etag}},
	)
	for i, want := range []int{1, 1, 0} {
		res := runAgainst(t, rec, "files", "get", "gen", "tool", "1.0", "out.bin", "-o", dest)
		if res.code != want {
			t.Errorf("run %d: exit %d, want %d: %s", i, res.code, want, res.stderr)
		}
		if res.stdout != "" {
			t.Errorf("run %d: stdout %q", i, res.stdout)
		}
		got, _ := os.ReadFile(dest)
		if wantContent := map[bool]string{true: "hello", false: "old"}[want == 0]; string(got) != wantContent {
			t.Errorf("run %d: file holds %q, want %q", i, got, wantContent)
		}
		if want == 0 && !strings.Contains(res.stderr, "Wrote 5 bytes to "+dest) {
			t.Errorf("stderr %q", res.stderr)
		}
		assertOnlyFile(t, dir, "out.bin")
	}
}

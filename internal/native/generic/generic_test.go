package generic_test

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/servertest"
)

func sha256Hex(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
func sha1Hex(s string) string   { h := sha1.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
func md5Hex(s string) string    { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

// put uploads content to /r/{path} as token with extra headers.
func put(t *testing.T, env *servertest.Env, path, token, content string, headers ...string) *servertest.Response {
	t.Helper()
	req := env.Request(t, "PUT", "/r/"+path, content)
	req.Header.Del("Content-Type")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return env.Send(t, req)
}

// get reads /r/{path} as token with extra headers.
func get(t *testing.T, env *servertest.Env, method, path, token string, headers ...string) *servertest.Response {
	t.Helper()
	req := env.Request(t, method, "/r/"+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return env.Send(t, req)
}

func want(t *testing.T, r *servertest.Response, status int, code string) {
	t.Helper()
	if r.Status != status || (code != "" && r.ErrorCode() != code) {
		t.Fatalf("status %d code %q, want %d %q: %s", r.Status, r.ErrorCode(), status, code, r.Body)
	}
}

type listingResp struct {
	Repo, Path string
	Children   []struct {
		Name   string
		Folder bool
		URL    string
		Size   *int64
		SHA256 string
	}
}

func names(t *testing.T, r *servertest.Response) []string {
	t.Helper()
	var l listingResp
	r.JSON(t, &l)
	var out []string
	for _, c := range l.Children {
		out = append(out, c.Name)
	}
	return out
}

// TestFiles walks the generic protocol on every stack: upload with
// checksums, download with ranges and conditions, a version that gains
// files, re-uploads, listings, and the tombstone of a version.
func TestFiles(t *testing.T) {
	servertest.ForEachStack(t, func(t *testing.T, b servertest.Backend, opt func(*config.Config)) {
		env := servertest.Start(t, b, opt)
		env.CreateRepo(t, "files", nil)
		admin := env.AdminToken
		writer := env.Token(t, "ci", "repo:files:write")
		const tool = "the tool's bytes, all of them"

		r := put(t, env, "files/tool/1.0/tool.tar.gz", writer, tool, "X-Checksum-Sha256", sha256Hex(tool), "X-Checksum-Sha1", sha1Hex(tool), "X-Checksum-Md5", md5Hex(tool))
		want(t, r, 201, "")
		var up map[string]any
		r.JSON(t, &up)
		if up["digest"] != "sha256:"+sha256Hex(tool) || up["size"] != float64(len(tool)) || r.Header.Get("Location") != env.URL+"/r/files/tool/1.0/tool.tar.gz" {
			t.Errorf("upload answer %v, Location %q", up, r.Header.Get("Location"))
		}

		r = get(t, env, "GET", "files/tool/1.0/tool.tar.gz", writer)
		want(t, r, 200, "")
		if string(r.Body) != tool || r.Header.Get("X-Checksum-Sha256") != sha256Hex(tool) || r.Header.Get("Accept-Ranges") != "bytes" ||
			!strings.Contains(r.Header.Get("Content-Disposition"), `filename="tool.tar.gz"`) || r.Header.Get("Content-Type") != "application/gzip" {
			t.Errorf("download: %q %v", r.Body, r.Header)
		}
		etag := r.Header.Get("ETag")
		r = get(t, env, "GET", "files/tool/1.0/tool.tar.gz", writer, "Range", "bytes=4-7")
		if r.Status != 206 || string(r.Body) != tool[4:8] || r.Header.Get("Content-Range") != "bytes 4-7/"+itoa(len(tool)) {
			t.Errorf("range: %d %q %v", r.Status, r.Body, r.Header)
		}
		if r = get(t, env, "GET", "files/tool/1.0/tool.tar.gz", writer, "If-None-Match", etag); r.Status != 304 {
			t.Errorf("If-None-Match: %d", r.Status)
		}
		if r = get(t, env, "HEAD", "files/tool/1.0/tool.tar.gz", writer); r.Status != 200 || r.Header.Get("Content-Length") != itoa(len(tool)) || len(r.Body) != 0 {
			t.Errorf("HEAD: %d %v", r.Status, r.Header)
		}

		// The version gains files; a path keeps its bytes.
		want(t, put(t, env, "files/tool/1.0/docs/read%20me.txt", writer, "read me"), 201, "")
		want(t, put(t, env, "files/tool/1.0/tool.tar.gz", writer, tool), 200, "")
		want(t, put(t, env, "files/tool/1.0/tool.tar.gz", writer, "other bytes"), 409, "file_exists")
		if r = get(t, env, "GET", "files/tool/1.0/docs/read%20me.txt", writer); string(r.Body) != "read me" {
			t.Errorf("appended file: %d %q", r.Status, r.Body)
		}

		// Wrong checksums store nothing.
		want(t, put(t, env, "files/tool/2.0/tool.tar.gz", writer, tool, "X-Checksum-Sha256", sha256Hex("else")), 409, "upload_verification_failed")
		want(t, put(t, env, "files/tool/2.0/tool.tar.gz", writer, tool, "X-Checksum-Sha1", sha1Hex("else")), 409, "upload_verification_failed")
		want(t, put(t, env, "files/tool/2.0/tool.tar.gz", writer, tool, "X-Checksum-Md5", md5Hex("else")), 409, "upload_verification_failed")
		want(t, get(t, env, "GET", "files/tool/2.0/", writer), 404, "")

		// Listings: JSON by default, HTML for a browser; a directory
		// without its slash redirects to it.
		if got := names(t, get(t, env, "GET", "files/", writer)); strings.Join(got, ",") != "tool/" {
			t.Errorf("root listing %v", got)
		}
		noFollow := *env.HTTP.Client()
		noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		req := env.Request(t, "GET", "/r/files/tool?limit=5", nil)
		req.Header.Set("Authorization", "Bearer "+writer)
		if resp, err := noFollow.Do(req); err != nil || resp.StatusCode != 301 || resp.Header.Get("Location") != env.URL+"/r/files/tool/?limit=5" {
			t.Errorf("redirect: %v %v", resp, err)
		} else {
			resp.Body.Close()
		}
		if got := names(t, get(t, env, "GET", "files/tool/", writer)); strings.Join(got, ",") != "1.0/" {
			t.Errorf("versions listing %v", got)
		}
		if got := names(t, get(t, env, "GET", "files/tool/1.0/", writer)); strings.Join(got, ",") != "docs/,tool.tar.gz" {
			t.Errorf("files listing %v", got)
		}
		if got := names(t, get(t, env, "GET", "files/tool/1.0/docs/", writer)); strings.Join(got, ",") != "read me.txt" {
			t.Errorf("folder listing %v", got)
		}
		r = get(t, env, "GET", "files/tool/1.0/", writer, "Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.Body), `href="`+env.URL+`/r/files/tool/1.0/tool.tar.gz"`) {
			t.Errorf("HTML listing: %s %s", r.Header.Get("Content-Type"), r.Body)
		}

		// DELETE: a file of a version with several is refused; the version
		// is tombstoned by an administrator, and can be restored.
		want(t, get(t, env, "DELETE", "files/tool/1.0/tool.tar.gz", admin), 409, "file_not_deletable")
		want(t, get(t, env, "DELETE", "files/tool/1.0/", writer), 403, "")
		r = get(t, env, "DELETE", "files/tool/1.0/", admin)
		want(t, r, 200, "")
		want(t, get(t, env, "GET", "files/tool/1.0/tool.tar.gz", writer), 404, "")
		want(t, put(t, env, "files/tool/1.0/late.txt", writer, "late"), 409, "version_tombstoned")
		var v struct{ VersionID string }
		env.Must(t, 200, "GET", "/v1/repos/files/packages/tool/versions/1.0", admin, nil).JSON(t, &v)
		env.Must(t, 200, "POST", "/v1/repos/files/packages/versions/"+v.VersionID+"/restore", admin, nil)
		want(t, get(t, env, "GET", "files/tool/1.0/tool.tar.gz", writer), 200, "")

		// A single-file version goes with a DELETE of its file.
		want(t, put(t, env, "files/solo/1/solo.bin", writer, "solo"), 201, "")
		want(t, get(t, env, "DELETE", "files/solo/1/solo.bin", admin), 200, "")
		want(t, get(t, env, "GET", "files/solo/1/solo.bin", writer), 404, "")
	})
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestBadInput: hostile paths, uploads where none can go and oversized
// bodies get a clear 4xx with a stable code and leave no package behind.
func TestBadInput(t *testing.T) {
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "files", map[string]any{"settings": map[string]any{"maxBlobBytes": 16}})
	env.CreateRepo(t, "cache", map[string]any{"type": "remote", "upstreamUrl": "https://files.example.com/"})
	admin := env.AdminToken
	for _, tc := range []struct {
		name, path string
		status     int
		code       string
	}{
		// The router cleans the path first: it names another repository.
		{"dot-dot segment", "files/tool/../../etc/passwd", 404, ""},
		{"escaped dot-dot", "files/tool/1.0/%2e%2e/x", 400, "invalid_path"},
		{"escaped slash", "files/tool/1.0/a%2f..%2fb", 400, "invalid_path"},
		{"backslash", "files/tool/1.0/a%5c..%5cb", 400, "invalid_path"},
		{"NUL", "files/tool/1.0/a%00b", 400, "invalid_path"},
		{"newline", "files/tool/1.0/a%0ab", 400, "invalid_path"},
		{"a directory", "files/tool/1.0/", 405, "method_not_allowed"},
		{"a package", "files/tool", 405, "method_not_allowed"},
		{"bad name", "files/t%20ol/1.0/x", 400, ""},
		{"bad version", "files/tool/1.0%3A/x", 400, ""},
		{"oversized", "files/tool/1.0/big", 413, ""},
		{"remote", "cache/tool/1.0/x", 405, "repository_not_local"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := "small"
			if tc.name == "oversized" {
				body = strings.Repeat("x", 17)
			}
			r := put(t, env, tc.path, admin, body)
			if r.Status != tc.status || (tc.code != "" && r.ErrorCode() != tc.code) || r.ErrorCode() == "" && r.Status != 404 {
				t.Errorf("status %d code %q, want %d %q: %s", r.Status, r.ErrorCode(), tc.status, tc.code, r.Body)
			}
		})
	}
	if got := names(t, get(t, env, "GET", "files/", admin)); len(got) != 0 {
		t.Errorf("refused uploads left packages: %v", got)
	}
}

// TestAuthorization: the generic protocol asks for credentials with a
// challenge curl answers, and holds each caller to its role.
func TestAuthorization(t *testing.T) {
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "private", nil)
	env.CreateRepo(t, "public", map[string]any{"settings": map[string]any{"anonymousRead": true}})
	reader := env.Token(t, "r", "repo:private:read", "repo:public:read")
	writer := env.Token(t, "w", "repo:private:write", "repo:public:write")
	want(t, put(t, env, "private/tool/1.0/f", writer, "bytes"), 201, "")
	want(t, put(t, env, "public/tool/1.0/f", writer, "bytes"), 201, "")

	r := get(t, env, "GET", "private/tool/1.0/f", "")
	if r.Status != 401 || !strings.Contains(strings.Join(r.Header.Values("WWW-Authenticate"), ","), "Basic") {
		t.Errorf("anonymous read of a private repository: %d %v", r.Status, r.Header)
	}
	want(t, get(t, env, "GET", "private/", ""), 401, "")
	want(t, put(t, env, "private/tool/1.1/f", "", "bytes"), 401, "")
	want(t, put(t, env, "private/tool/1.1/f", reader, "bytes"), 403, "")
	want(t, get(t, env, "DELETE", "private/tool/1.0/", reader), 403, "")
	want(t, get(t, env, "GET", "private/tool/1.0/f", reader), 200, "")
	want(t, get(t, env, "GET", "public/tool/1.0/f", ""), 200, "")
	want(t, put(t, env, "public/tool/1.1/f", "", "bytes"), 401, "")
	// Basic with the token as password, as curl -u sends it.
	req := env.Request(t, "GET", "/r/private/tool/1.0/f", nil)
	req.SetBasicAuth("anyone", reader)
	if r := env.Send(t, req); r.Status != 200 {
		t.Errorf("Basic: %d", r.Status)
	}
	req.SetBasicAuth("anyone", "not-a-token")
	if r := env.Send(t, req); r.Status != 401 {
		t.Errorf("Basic with a wrong token: %d", r.Status)
	}
	// A repository the caller cannot read does not exist for it.
	other := env.Token(t, "o", "repo:public:read")
	want(t, get(t, env, "GET", "private/tool/1.0/f", other), 404, "")
}

// TestVirtual: a virtual generic repository reads through its members in
// order, lists their union, and deploys writes to its deployTo member.
func TestVirtual(t *testing.T) {
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "first", nil)
	env.CreateRepo(t, "second", nil)
	env.CreateRepo(t, "all", map[string]any{"type": "virtual", "members": []string{"first", "second"}, "settings": map[string]any{"deployTo": "second"}})
	admin := env.AdminToken
	want(t, put(t, env, "first/tool/1.0/f", admin, "from first"), 201, "")
	want(t, put(t, env, "second/tool/1.0/f", admin, "from second"), 201, "")
	want(t, put(t, env, "all/tool/2.0/f", admin, "deployed"), 201, "")
	if r := get(t, env, "GET", "all/tool/1.0/f", admin); string(r.Body) != "from first" {
		t.Errorf("first member wins: %d %q", r.Status, r.Body)
	}
	if r := get(t, env, "GET", "second/tool/2.0/f", admin); string(r.Body) != "deployed" {
		t.Errorf("deployTo: %d %q", r.Status, r.Body)
	}
	if got := names(t, get(t, env, "GET", "all/tool/", admin)); strings.Join(got, ",") != "1.0/,2.0/" {
		t.Errorf("merged listing %v", got)
	}
	// A member the caller cannot read is skipped.
	onlySecond := env.Token(t, "s", "repo:all:read", "repo:second:read")
	if r := get(t, env, "GET", "all/tool/1.0/f", onlySecond); string(r.Body) != "from second" {
		t.Errorf("unreadable member not skipped: %d %q", r.Status, r.Body)
	}
	want(t, get(t, env, "GET", "all/tool/9.9/f", admin), 404, "file_not_found")
}

// TestPolicies: the repository's policies see each file: a deny refuses
// the first file (nothing is left) and a later one; a quarantine holds a
// new version (202, then 423 on download) and refuses a file for a
// version readers already have.
func TestPolicies(t *testing.T) {
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "files", nil)
	admin := env.AdminToken
	env.Must(t, 201, "POST", "/v1/repos/files/policies", admin, map[string]any{
		"name": "no-exe", "expression": "version.entries.all(e, !e.path.endsWith('.exe'))", "action": "deny",
	})
	want(t, put(t, env, "files/tool/1.0/tool.exe", admin, "MZ"), 403, "policy_denied")
	want(t, get(t, env, "GET", "files/tool/", admin), 404, "")
	// The refused file's bytes are not readable by digest either.
	if r := env.Do(t, "GET", "/v1/repos/files/blobs/sha256:"+sha256Hex("MZ"), admin, nil); r.Status != 404 {
		t.Errorf("the blob of a refused upload: %d %s", r.Status, r.Body)
	}
	want(t, put(t, env, "files/tool/1.0/tool.sh", admin, "#!/bin/sh"), 201, "")
	want(t, put(t, env, "files/tool/1.0/tool.exe", admin, "MZ"), 403, "policy_denied")
	if got := names(t, get(t, env, "GET", "files/tool/1.0/", admin)); strings.Join(got, ",") != "tool.sh" {
		t.Errorf("a denied append changed the version: %v", got)
	}
	env.Must(t, 201, "POST", "/v1/repos/files/policies", admin, map[string]any{
		"name": "hold-big", "expression": "version.entries.all(e, e.size < 100)", "action": "quarantine",
	})
	r := put(t, env, "files/big/1.0/big.bin", admin, strings.Repeat("b", 200))
	want(t, r, 202, "")
	want(t, get(t, env, "GET", "files/big/1.0/big.bin", admin), 423, "")
	want(t, put(t, env, "files/tool/1.0/big.bin", admin, strings.Repeat("b", 200)), 403, "policy_denied")
}

// TestRemote: a generic remote caches another node's files: each is
// fetched once, listed once cached, served with the upstream down, and a
// file the upstream lacks is 404; a virtual repository reads through it.
func TestRemote(t *testing.T) {
	up := servertest.Start(t, servertest.Backends()[0])
	up.CreateRepo(t, "files", map[string]any{"settings": map[string]any{"anonymousRead": true}})
	want(t, put(t, up, "files/tool/1.0/tool.tgz", up.AdminToken, "upstream bytes"), 201, "")
	want(t, put(t, up, "files/tool/1.0/tool.tgz.asc", up.AdminToken, "signature"), 201, "")
	proxy := servertest.NewUpstreamProxy(t, up.URL)

	env := servertest.Start(t, servertest.Backends()[0], func(c *config.Config) { c.OutboundAllow = "127.0.0.1" })
	env.CreateRepo(t, "cache", map[string]any{"type": "remote", "upstreamUrl": proxy.URL + "/r/files/"})
	env.CreateRepo(t, "local", nil)
	env.CreateRepo(t, "all", map[string]any{"type": "virtual", "members": []string{"local", "cache"}})
	reader := env.Token(t, "r", "repo:cache:read", "repo:all:read", "repo:local:read")

	for range 3 {
		if r := get(t, env, "GET", "cache/tool/1.0/tool.tgz", reader); r.Status != 200 || string(r.Body) != "upstream bytes" || r.Header.Get("X-Checksum-Sha256") != sha256Hex("upstream bytes") {
			t.Fatalf("through the remote: %d %q", r.Status, r.Body)
		}
	}
	if n := proxy.Count("/r/files/tool/1.0/tool.tgz"); n != 1 {
		t.Errorf("fetched %d times from the upstream, want 1", n)
	}
	if r := get(t, env, "GET", "all/tool/1.0/tool.tgz.asc", reader); r.Status != 200 || string(r.Body) != "signature" {
		t.Errorf("through the virtual repository: %d %q", r.Status, r.Body)
	}
	if got := names(t, get(t, env, "GET", "cache/tool/1.0/", reader)); strings.Join(got, ",") != "tool.tgz,tool.tgz.asc" {
		t.Errorf("cached listing %v", got)
	}
	want(t, get(t, env, "GET", "cache/tool/9.9/none", reader), 404, "file_not_found")
	proxy.SetAlive(false)
	if r := get(t, env, "GET", "cache/tool/1.0/tool.tgz", reader); r.Status != 200 || string(r.Body) != "upstream bytes" {
		t.Errorf("with the upstream down: %d %q", r.Status, r.Body)
	}
	if r := get(t, env, "GET", "cache/other/1.0/x", reader); r.Status != 502 {
		t.Errorf("an uncached file with the upstream down: %d %s", r.Status, r.Body)
	}
}

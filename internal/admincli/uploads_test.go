package admincli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/servertest"
)

const sessionBody = `{"uploadId":"up_1","repo":"files","state":"open","expectedDigest":"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","expectedLength":5,` +
	`"linkable":false,"partSize":67108864,"maxPartSize":5368709120,"maxParts":10000,` +
	`"parts":[{"number":1,"size":3,"etag":"e1"},{"number":2,"size":2,"etag":"e2"}],"createdAt":"2026-11-26T18:41:04.219375Z","expiresAt":"2026-11-27T18:41:04.219375Z"}`

// Requests of the uploads and blobs commands, and their table output.
func TestUploadsRequests(t *testing.T) {
	part := filepath.Join(t.TempDir(), "part")
	if err := os.WriteFile(part, []byte("hel"), 0o644); err != nil {
		t.Fatal(err)
	}
	runCases(t, []commandCase{
		{
			name:    "create without flags sends no body",
			args:    []string{"uploads", "create", "files"},
			replies: []cannedReply{reply(201, sessionBody)},
			want:    []wantRequest{{method: "POST", path: "/v1/repos/files/uploads"}},
			outHas:  []string{"Upload ID:        up_1\n", "State:            open\n", "Expected length:  5\n", "Linked:           false\n", "Expires:          2026-11-27T18:41:04.219375Z\n"},
		},
		{
			name:    "create with digest and length",
			args:    []string{"uploads", "create", "files", "--digest", "sha256:ab", "--length", "0"},
			replies: []cannedReply{reply(201, sessionBody)},
			want:    []wantRequest{{method: "POST", path: "/v1/repos/files/uploads", body: `{"expectedDigest":"sha256:ab","expectedLength":0}`}},
		},
		{name: "create negative length", args: []string{"uploads", "create", "files", "--length", "-1"}, code: 2, errHas: []string{"--length"}},
		{
			name:    "get shows the parts",
			args:    []string{"uploads", "get", "files", "up_1"},
			replies: []cannedReply{reply(200, sessionBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/files/uploads/up_1"}},
			outHas:  []string{"\nPART  SIZE  ETAG\n1     3     e1\n2     2     e2\n"},
		},
		{
			name:    "complete",
			args:    []string{"uploads", "complete", "files", "up_1", "-o", "json"},
			replies: []cannedReply{reply(200, sessionBody)},
			want:    []wantRequest{{method: "POST", path: "/v1/repos/files/uploads/up_1/complete"}},
			outHas:  []string{`"uploadId": "up_1"`},
		},
		{
			name: "complete with parts missing",
			args: []string{"uploads", "complete", "files", "up_1"},
			replies: []cannedReply{reply(400,
				`{"error":{"code":"upload_parts_missing","message":"parts [1] are missing","details":{"missing":[1]}}}`)},
			want:   []wantRequest{{method: "POST", path: "/v1/repos/files/uploads/up_1/complete"}},
			code:   1,
			errHas: []string{"error: upload_parts_missing: parts [1] are missing (missing=[1])\n"},
		},
		{
			name:    "commit",
			args:    []string{"uploads", "commit", "files", "up_1"},
			replies: []cannedReply{reply(200, sessionBody)},
			want:    []wantRequest{{method: "POST", path: "/v1/repos/files/uploads/up_1/commit"}},
		},
		{
			name:    "abort escapes the id",
			args:    []string{"uploads", "abort", "files", "up/1"},
			replies: []cannedReply{reply(200, sessionBody)},
			want:    []wantRequest{{method: "POST", path: "/v1/repos/files/uploads/up%2F1/abort"}},
		},
		{name: "put-part bad number", args: []string{"uploads", "put-part", "files", "up_1", "0", part}, code: 2, errHas: []string{`invalid PART "0"`}},
		{name: "put-part missing file", args: []string{"uploads", "put-part", "files", "up_1", "1", part + ".nope"}, code: 2, errHas: []string{"no such file"}},
		{
			name:    "part-url",
			args:    []string{"uploads", "part-url", "files", "up_1", "2"},
			replies: []cannedReply{reply(200, `{"url":"http://x/v1/uploads/up_1/parts/2/direct?expires=1&signature=ab","method":"PUT","expiresAt":"2026-11-26T19:41:07Z","part":2}`)},
			want:    []wantRequest{{method: "POST", path: "/v1/repos/files/uploads/up_1/parts/2/url"}},
			stdout: "Part:     2\n" +
				"Method:   PUT\n" +
				"URL:      http://x/v1/uploads/up_1/parts/2/direct?expires=1&signature=ab\n" +
				"Expires:  2026-11-26T19:41:07Z\n",
		},
		{
			name:    "blobs head not found",
			args:    []string{"blobs", "head", "files", "sha256:ab"},
			replies: []cannedReply{{status: 404}},
			want:    []wantRequest{{method: "HEAD", path: "/v1/repos/files/blobs/sha256:ab"}},
			code:    1,
			errHas:  []string{"error: http_404: blob sha256:ab not found in repository files\n"},
		},
	})
}

// put-part and blobs put stream the file's bytes as the body.
func TestRawBodies(t *testing.T) {
	part := filepath.Join(t.TempDir(), "part")
	if err := os.WriteFile(part, []byte("hel"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		reply  cannedReply
		path   string
		query  string
		stdout string
	}{
		{
			name:   "put-part",
			args:   []string{"uploads", "put-part", "files", "up_1", "3", part},
			reply:  reply(200, `{"number":3,"size":3,"etag":"e3"}`),
			path:   "/v1/repos/files/uploads/up_1/parts/3",
			stdout: "PART  SIZE  ETAG\n3     3     e3\n",
		},
		{
			name:   "blobs put with digest",
			args:   []string{"blobs", "put", "files", part, "--digest", "sha256:ab"},
			reply:  reply(201, `{"digest":"sha256:ab","length":3}`),
			path:   "/v1/repos/files/blobs",
			query:  "digest=sha256%3Aab",
			stdout: "Digest:   sha256:ab\nLength:   3\nMD5:      -\nSHA-1:    -\nSHA-512:  -\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRequestRecorder(t, tc.reply)
			res := runAgainst(t, rec, tc.args...)
			if res.code != 0 || res.stdout != tc.stdout {
				t.Errorf("exit %d, stdout %q, want %q\n%s", res.code, res.stdout, tc.stdout, res.stderr)
			}
			reqs := rec.Requests()
			if len(reqs) != 1 {
				t.Fatalf("requests %v", summarize(reqs))
			}
			r := reqs[0]
			if r.Method != "PUT" || r.Path != tc.path || r.RawQuery != tc.query || string(r.Body) != "hel" ||
				r.Header.Get("Content-Type") != "application/octet-stream" || r.Header.Get("Authorization") != "Bearer "+testToken {
				t.Errorf("request %s %s?%s body %q header %v", r.Method, r.Path, r.RawQuery, r.Body, r.Header)
			}
		})
	}
}

// The uploads and blobs commands against a real server: every endpoint of
// the blob API, table and JSON output, exit codes.
func TestUploadsAndBlobsAgainstRealServer(t *testing.T) {
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "files", nil)
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
	fails := func(code int, errHas string, args ...string) {
		t.Helper()
		if res := run(args...); res.code != code || !strings.Contains(res.stderr, errHas) {
			t.Errorf("%v: exit %d, want %d; stderr lacks %q:\n%s", args, res.code, code, errHas, res.stderr)
		}
	}
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	digest := func(s string) string {
		h := sha256.Sum256([]byte(s))
		return "sha256:" + hex.EncodeToString(h[:])
	}
	whole := "hello, multipart world"
	p1, p2 := write("p1", whole[:10]), write("p2", whole[10:])

	// create, put-part, part-url + direct PUT, get, complete, commit.
	var sess UploadSession
	if err := json.Unmarshal([]byte(ok("uploads", "create", "files", "--digest", digest(whole), "--length", "22", "-o", "json")), &sess); err != nil {
		t.Fatal(err)
	}
	if sess.State != "open" || sess.Linkable || sess.ExpectedDigest != digest(whole) || *sess.ExpectedLength != 22 || sess.PartSize <= 0 {
		t.Errorf("created %+v", sess)
	}
	if out := ok("uploads", "put-part", "files", sess.UploadID, "1", p1); !strings.Contains(out, "1     10") {
		t.Errorf("put-part: %s", out)
	}
	var pu PartURL
	if err := json.Unmarshal([]byte(ok("uploads", "part-url", "files", sess.UploadID, "2", "-o", "json")), &pu); err != nil {
		t.Fatal(err)
	}
	if pu.Method != "PUT" || pu.Part != 2 || !strings.HasPrefix(pu.URL, env.URL+"/") {
		t.Errorf("part-url %+v", pu)
	}
	req, _ := http.NewRequest(pu.Method, pu.URL, strings.NewReader(whole[10:]))
	if r := env.Send(t, req); r.Status != http.StatusOK { // no token: the URL is the authorization
		t.Fatalf("direct PUT: %d %s", r.Status, r.Body)
	}
	out := ok("uploads", "get", "files", sess.UploadID)
	for _, want := range []string{"State:            open", "PART  SIZE  ETAG", "\n1     10", "\n2     12"} {
		if !strings.Contains(out, want) {
			t.Errorf("get lacks %q:\n%s", want, out)
		}
	}
	if out := ok("uploads", "complete", "files", sess.UploadID); !strings.Contains(out, "State:            completed") || !strings.Contains(out, "Digest:           "+digest(whole)) {
		t.Errorf("complete:\n%s", out)
	}
	if out := ok("uploads", "commit", "files", sess.UploadID, "-o", "json"); !strings.Contains(out, `"state": "committed"`) {
		t.Errorf("commit:\n%s", out)
	}
	if got := env.Must(t, 200, "GET", "/v1/repos/files/blobs/"+digest(whole), env.AdminToken, nil).Body; string(got) != whole {
		t.Errorf("stored %q", got)
	}

	// blobs head, table and JSON.
	if out := ok("blobs", "head", "files", digest(whole)); !strings.Contains(out, "Length:         22\n") || !strings.Contains(out, "Digest:         "+digest(whole)) {
		t.Errorf("head:\n%s", out)
	}
	var head blobHead
	if err := json.Unmarshal([]byte(ok("blobs", "head", "files", digest(whole), "-o", "json")), &head); err != nil || head.Length != 22 || head.Digest != digest(whole) {
		t.Errorf("head json %+v %v", head, err)
	}
	fails(1, "not found in repository files", "blobs", "head", "files", digest("absent"))

	// A second session for the same bytes is linkable: no parts needed.
	ok("uploads", "create", "files", "--digest", digest(whole), "--length", "22", "-o", "json")
	json.Unmarshal([]byte(ok("uploads", "create", "files", "--digest", digest(whole), "--length", "22", "-o", "json")), &sess)
	if !sess.Linkable {
		t.Errorf("not linkable: %+v", sess)
	}
	if out := ok("uploads", "complete", "files", sess.UploadID); !strings.Contains(out, "Linked:           true") {
		t.Errorf("linked complete:\n%s", out)
	}
	ok("uploads", "commit", "files", sess.UploadID)

	// Missing parts, then abort.
	json.Unmarshal([]byte(ok("uploads", "create", "files", "-o", "json")), &sess)
	ok("uploads", "put-part", "files", sess.UploadID, "2", p2)
	fails(1, "error: upload_parts_missing: parts [1] are missing; parts must be numbered 1..N without gaps (missing=[1])", "uploads", "complete", "files", sess.UploadID)
	if out := ok("uploads", "abort", "files", sess.UploadID); !strings.Contains(out, "State:            aborted") {
		t.Errorf("abort:\n%s", out)
	}
	fails(1, "error: upload_state_conflict", "uploads", "put-part", "files", sess.UploadID, "1", p1)
	fails(1, "error: upload_not_found", "uploads", "get", "files", "up_000000000000000000000000")

	// Verification: a declared digest the bytes do not have.
	json.Unmarshal([]byte(ok("uploads", "create", "files", "--digest", digest("other"), "-o", "json")), &sess)
	ok("uploads", "put-part", "files", sess.UploadID, "1", p1)
	ok("uploads", "complete", "files", sess.UploadID)
	fails(1, "error: upload_verification_failed", "uploads", "commit", "files", sess.UploadID)

	// One-shot upload.
	small := write("small", "one shot")
	var info BlobInfo
	if err := json.Unmarshal([]byte(ok("blobs", "put", "files", small, "--digest", digest("one shot"), "-o", "json")), &info); err != nil || info.Digest != digest("one shot") || info.Length != 8 {
		t.Errorf("blobs put %+v %v", info, err)
	}
	if out := ok("blobs", "put", "files", small); !strings.Contains(out, "Digest:   "+digest("one shot")) {
		t.Errorf("blobs put without digest:\n%s", out)
	}
	fails(1, "error: upload_verification_failed", "blobs", "put", "files", small, "--digest", digest("else"))
	fails(2, "is not a regular file", "blobs", "put", "files", dir)

	// A reader may look, not write.
	vars[envToken] = env.Token(t, "reader", "repo:files:read")
	ok("blobs", "head", "files", digest(whole))
	fails(1, "error: forbidden", "uploads", "create", "files")
	fails(1, "error: forbidden", "blobs", "put", "files", small)
	if !bytes.Contains([]byte(ok("blobs", "head", "files", digest(whole), "-o", "json")), []byte(`"length": 22`)) {
		t.Error("head as reader")
	}
}

// Send's timeout bounds the wait for the answer once the body is sent, not
// the upload itself.
func TestSendTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	rec := newRequestRecorder(t,
		reply(200, `{"number":1,"size":4,"etag":"e"}`),
		cannedReply{handle: func(w http.ResponseWriter, r *http.Request) {
			select { // the body has been read whole: never answer
			case <-release:
			case <-r.Context().Done():
			}
		}})
	base, _ := url.Parse(rec.URL())
	c := newClient(base, testToken, 50*time.Millisecond)
	ctx := context.Background()
	// A body that takes four times the timeout to send.
	var part UploadPart
	if _, err := c.Send(ctx, "PUT", "/p", nil, &slowReader{data: []byte("abcd"), pause: 50 * time.Millisecond}, 4, &part); err != nil || part.Size != 4 {
		t.Fatalf("slow upload: %v %+v", err, part)
	}
	_, err := c.Send(ctx, "PUT", "/p", nil, strings.NewReader("abcd"), 4, nil)
	var te *TransportError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Errorf("unanswered upload: %v", err)
	}
}

// slowReader returns one byte per Read, pausing before each.
type slowReader struct {
	data  []byte
	pause time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	time.Sleep(s.pause)
	n := copy(p[:1], s.data)
	s.data = s.data[n:]
	return n, nil
}

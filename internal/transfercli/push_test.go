package transfercli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/admincli"
)

const testPartSize = 65536

// sessionState reads a session back through the API as the administrator.
func sessionState(t *testing.T, n *node, repo, id string) admincli.UploadSession {
	t.Helper()
	var s admincli.UploadSession
	n.env.Must(t, http.StatusOK, "GET", "/v1/repos/"+repo+"/uploads/"+id, n.env.AdminToken, nil).JSON(t, &s)
	return s
}

func TestPushSmallFileOneShot(t *testing.T) {
	n := startNode(t)
	path, content := randomFile(t, "small.bin", 1000, 1)
	res := n.run(t, "push", "files", path, "-o", "json").mustSucceed(t)
	got := res.pushResults(t)
	want := []pushResult{{File: path, Digest: digestOf(content), Length: 1000, Method: "one-shot"}}
	if !slices.Equal(got, want) {
		t.Errorf("results %+v, want %+v", got, want)
	}
	reqs := n.requests()
	if c := count(reqs, "PUT", "/v1/repos/files/blobs"); c != 1 {
		t.Errorf("%d one-shot PUTs, want 1", c)
	}
	if c := len(partPuts(reqs)); c != 0 {
		t.Errorf("%d part PUTs, want 0", c)
	}
	// The session opened for the dedupe check was given back.
	if c := count(reqs, "POST", "/abort"); c != 1 {
		t.Errorf("%d aborts, want 1: %+v", c, reqs)
	}
	if !slices.Equal(n.blob(t, "files", digestOf(content)), content) {
		t.Error("stored bytes differ")
	}
	noFile(t, statePath(path))
}

func TestPushEmptyFile(t *testing.T) {
	n := startNode(t)
	path := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{}, {"--multipart"}} {
		res := n.run(t, append([]string{"push", "files", path, "-o", "json"}, args...)...).mustSucceed(t)
		if got := res.pushResults(t); got[0].Length != 0 || got[0].Digest != digestOf(nil) {
			t.Errorf("%v: %+v", args, got)
		}
	}
}

func TestPushMultipart(t *testing.T) {
	n := startNode(t)
	size := 17*testPartSize + 123 // 18 parts, the last one short
	for _, tc := range []struct {
		name   string
		args   []string
		direct bool
	}{
		{name: "through the API", args: []string{"--parallel", "4"}},
		{name: "direct", args: []string{"--direct", "--parallel", "3"}, direct: true},
		{name: "one at a time", args: []string{"--parallel", "1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, content := randomFile(t, "big.bin", size, uint64(len(tc.name)))
			args := append([]string{"push", "files", path, "--part-size", strconv.Itoa(testPartSize), "-o", "json"}, tc.args...)
			res := n.run(t, args...).mustSucceed(t)
			got := res.pushResults(t)
			if len(got) != 1 || got[0].Method != "multipart" || got[0].Parts != 18 || got[0].PartsSent != 18 ||
				got[0].Digest != digestOf(content) || got[0].Length != int64(size) || got[0].Resumed {
				t.Errorf("results %+v", got)
			}
			reqs := n.requests()
			parts := partPuts(reqs)
			slices.SortFunc(parts, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
			var want []string
			for i := 1; i <= 18; i++ {
				want = append(want, strconv.Itoa(i))
			}
			if !slices.Equal(parts, want) {
				t.Errorf("parts sent %v", parts)
			}
			for _, r := range reqs {
				direct := strings.HasSuffix(r.Path, "/direct")
				if r.Method == "PUT" && strings.Contains(r.Path, "/parts/") {
					if direct != tc.direct {
						t.Errorf("part PUT %s (direct=%v)", r.Path, tc.direct)
					}
					if direct && r.Auth != "" {
						t.Errorf("direct part upload carried Authorization")
					}
				}
			}
			if tc.direct && count(reqs, "POST", "/url") != 18 {
				t.Errorf("%d part URLs asked for, want 18", count(reqs, "POST", "/url"))
			}
			if count(reqs, "POST", "/complete") != 1 || count(reqs, "POST", "/commit") != 1 {
				t.Errorf("complete/commit: %+v", reqs)
			}
			if !slices.Equal(n.blob(t, "files", digestOf(content)), content) {
				t.Error("stored bytes differ")
			}
			if s := sessionState(t, n, "files", got[0].UploadID); s.State != "committed" {
				t.Errorf("session %s", s.State)
			}
			noFile(t, statePath(path))
		})
	}
}

// A file of exactly one part goes multipart; --multipart forces a smaller
// one to as well.
func TestPushPartBoundary(t *testing.T) {
	n := startNode(t)
	for _, tc := range []struct {
		size   int
		args   []string
		method string
		parts  int
	}{
		{testPartSize - 1, nil, "one-shot", 0},
		{testPartSize, nil, "multipart", 1},
		{100, []string{"--multipart"}, "multipart", 1},
	} {
		path, content := randomFile(t, "f", tc.size, uint64(tc.size))
		res := n.run(t, append([]string{"push", "files", path, "--part-size", "64KiB", "-o", "json"}, tc.args...)...).mustSucceed(t)
		got := res.pushResults(t)[0]
		if got.Method != tc.method || got.Parts != tc.parts || got.Digest != digestOf(content) {
			t.Errorf("size %d %v: %+v", tc.size, tc.args, got)
		}
	}
}

// Bytes the caller can already read are linked without being sent.
func TestPushLinksKnownBlob(t *testing.T) {
	n := startNode(t)
	n.env.CreateRepo(t, "other", nil)
	path, content := randomFile(t, "big.bin", 3*testPartSize, 7)
	n.run(t, "push", "files", path, "--part-size", "65536").mustSucceed(t)
	n.requests()
	for _, repo := range []string{"files", "other"} {
		res := n.run(t, "push", repo, path, "--part-size", "65536", "-o", "json").mustSucceed(t)
		if got := res.pushResults(t)[0]; got.Method != "linked" || got.Digest != digestOf(content) {
			t.Errorf("%s: %+v", repo, got)
		}
		reqs := n.requests()
		if c := len(partPuts(reqs)) + count(reqs, "PUT", "/blobs"); c != 0 {
			t.Errorf("%s: sent bytes in %d requests", repo, c)
		}
	}
	if !slices.Equal(n.blob(t, "other", digestOf(content)), content) {
		t.Error("linked blob differs")
	}
}

// An interrupted push resumes: parts already on the server are not sent
// again.
func TestPushResumes(t *testing.T) {
	n := startNode(t)
	path, content := randomFile(t, "big.bin", 10*testPartSize+5, 11)
	digest, size := digestOf(content), int64(len(content))

	// A first run that stopped after parts 1, 2, 3 and 7.
	var sess admincli.UploadSession
	n.env.Must(t, http.StatusCreated, "POST", "/v1/repos/files/uploads", n.env.AdminToken,
		map[string]any{"expectedDigest": digest, "expectedLength": size}).JSON(t, &sess)
	for _, p := range []int{1, 2, 3, 7} {
		off := (p - 1) * testPartSize
		n.env.Must(t, http.StatusOK, "PUT", fmt.Sprintf("/v1/repos/files/uploads/%s/parts/%d", sess.UploadID, p),
			n.env.AdminToken, content[off:off+testPartSize])
	}
	// Part 4 arrived short (the connection broke): it is sent again.
	n.env.Must(t, http.StatusOK, "PUT", fmt.Sprintf("/v1/repos/files/uploads/%s/parts/4", sess.UploadID),
		n.env.AdminToken, content[3*testPartSize:3*testPartSize+100])
	if err := writeState(path, &uploadState{Repo: "files", UploadID: sess.UploadID, Digest: digest, Size: size, PartSize: testPartSize}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(statePath(path)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}
	n.requests()

	// The rerun gives another --part-size: the session's own is kept.
	res := n.run(t, "push", "files", path, "--part-size", "1MiB", "-o", "json").mustSucceed(t)
	got := res.pushResults(t)[0]
	if !got.Resumed || got.UploadID != sess.UploadID || got.Parts != 11 || got.PartsSent != 7 || got.Digest != digest {
		t.Errorf("result %+v", got)
	}
	parts := partPuts(n.requests())
	slices.SortFunc(parts, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
	if want := []string{"4", "5", "6", "8", "9", "10", "11"}; !slices.Equal(parts, want) {
		t.Errorf("parts sent %v, want %v", parts, want)
	}
	if !slices.Equal(n.blob(t, "files", digest), content) {
		t.Error("stored bytes differ")
	}
	noFile(t, statePath(path))
}

// A state file whose session cannot be continued, or that belongs to other
// bytes, is dropped and the push starts over.
func TestPushStartsOverOnStaleState(t *testing.T) {
	n := startNode(t)
	for i, tc := range []struct {
		name  string
		state func(t *testing.T, digest string, size int64) *uploadState
		abort bool // the old session is aborted by the push
	}{
		{
			name: "aborted session",
			state: func(t *testing.T, digest string, size int64) *uploadState {
				var s admincli.UploadSession
				n.env.Must(t, 201, "POST", "/v1/repos/files/uploads", n.env.AdminToken, map[string]any{"expectedDigest": digest, "expectedLength": size}).JSON(t, &s)
				n.env.Must(t, 200, "POST", "/v1/repos/files/uploads/"+s.UploadID+"/abort", n.env.AdminToken, nil)
				return &uploadState{Repo: "files", UploadID: s.UploadID, Digest: digest, Size: size, PartSize: testPartSize}
			},
		},
		{
			name: "unknown session",
			state: func(t *testing.T, digest string, size int64) *uploadState {
				return &uploadState{Repo: "files", UploadID: "up_000000000000000000000000", Digest: digest, Size: size, PartSize: testPartSize}
			},
		},
		{
			name: "file changed since",
			state: func(t *testing.T, _ string, _ int64) *uploadState {
				var s admincli.UploadSession
				n.env.Must(t, 201, "POST", "/v1/repos/files/uploads", n.env.AdminToken, nil).JSON(t, &s)
				return &uploadState{Repo: "files", UploadID: s.UploadID, Digest: digestOf([]byte("old")), Size: 3, PartSize: testPartSize}
			},
			abort: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, content := randomFile(t, "f.bin", 3*testPartSize, uint64(100+i))
			old := tc.state(t, digestOf(content), int64(len(content)))
			if err := writeState(path, old); err != nil {
				t.Fatal(err)
			}
			res := n.run(t, "push", "files", path, "--part-size", "65536", "-o", "json").mustSucceed(t)
			got := res.pushResults(t)[0]
			if got.Resumed || got.UploadID == old.UploadID || got.PartsSent != 3 {
				t.Errorf("result %+v", got)
			}
			if tc.abort {
				if s := sessionState(t, n, "files", old.UploadID); s.State != "aborted" {
					t.Errorf("old session %s", s.State)
				}
			}
			noFile(t, statePath(path))
			n.requests()
		})
	}
}

// Parts that failed on a 5xx answer or a broken connection are sent again.
func TestPushRetriesParts(t *testing.T) {
	n := startNode(t)
	path, content := randomFile(t, "big.bin", 6*testPartSize, 21)
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	failures := map[string]int{"/parts/2": 2, "/parts/5": 1}
	n.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPut {
			return false
		}
		<-mu
		defer func() { mu <- struct{}{} }()
		for suffix, left := range failures {
			if strings.HasSuffix(r.URL.Path, suffix) && left > 0 {
				failures[suffix]--
				if suffix == "/parts/5" {
					// Read a little, then cut the connection.
					io.CopyN(io.Discard, r.Body, 1000)
					w.(*statusWriter).abort = true
					return true
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, `{"error":{"code":"unavailable","message":"try later"}}`)
				return true
			}
		}
		return false
	})
	res := n.run(t, "push", "files", path, "--part-size", "65536", "-o", "json").mustSucceed(t)
	if got := res.pushResults(t)[0]; got.Digest != digestOf(content) || got.Parts != 6 {
		t.Errorf("result %+v", got)
	}
	parts := partPuts(n.requests())
	for p, want := range map[string]int{"1": 1, "2": 3, "5": 2, "6": 1} {
		if c := countOf(parts, p); c != want {
			t.Errorf("part %s sent %d times, want %d (%v)", p, c, want, parts)
		}
	}
	if !slices.Equal(n.blob(t, "files", digestOf(content)), content) {
		t.Error("stored bytes differ")
	}
}

// A part that keeps failing fails the push after 3 retries; the state file
// stays, and the next run sends only what is missing.
func TestPushGivesUpThenResumes(t *testing.T) {
	n := startNode(t)
	path, content := randomFile(t, "big.bin", 5*testPartSize, 31)
	n.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/parts/3") {
			w.WriteHeader(http.StatusBadGateway)
			return true
		}
		return false
	})
	res := n.run(t, "push", "files", path, "--part-size", "65536", "--parallel", "1")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, "error: http_502") || !strings.Contains(res.stderr, "run the same command again to resume") {
		t.Errorf("stderr:\n%s", res.stderr)
	}
	if c := countOf(partPuts(n.requests()), "3"); c != 4 {
		t.Errorf("part 3 sent %d times, want 4", c)
	}
	st, err := readState(path)
	if err != nil || st == nil || st.Digest != digestOf(content) {
		t.Fatalf("state after failure: %+v %v", st, err)
	}

	n.setFault(nil)
	res = n.run(t, "push", "files", path, "-o", "json").mustSucceed(t)
	got := res.pushResults(t)[0]
	if !got.Resumed || got.UploadID != st.UploadID || got.PartsSent != 3 {
		t.Errorf("rerun %+v", got)
	}
	parts := partPuts(n.requests())
	slices.Sort(parts)
	if !slices.Equal(parts, []string{"3", "4", "5"}) {
		t.Errorf("rerun sent parts %v", parts)
	}
	noFile(t, statePath(path))
}

// Resume trusts the sizes of the parts on the server. A part of the right
// size but wrong bytes makes the server refuse the commit; the state file
// goes, and the next run starts over and succeeds.
func TestPushVerificationFailure(t *testing.T) {
	n := startNode(t)
	path, content := randomFile(t, "big.bin", 2*testPartSize, 41)
	digest, size := digestOf(content), int64(len(content))
	var sess admincli.UploadSession
	n.env.Must(t, 201, "POST", "/v1/repos/files/uploads", n.env.AdminToken,
		map[string]any{"expectedDigest": digest, "expectedLength": size}).JSON(t, &sess)
	n.env.Must(t, 200, "PUT", "/v1/repos/files/uploads/"+sess.UploadID+"/parts/1", n.env.AdminToken, make([]byte, testPartSize))
	if err := writeState(path, &uploadState{Repo: "files", UploadID: sess.UploadID, Digest: digest, Size: size, PartSize: testPartSize}); err != nil {
		t.Fatal(err)
	}
	res := n.run(t, "push", "files", path)
	if res.code != 1 || !strings.Contains(res.stderr, "error: upload_verification_failed") {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if strings.Contains(res.stderr, "resume") {
		t.Errorf("offers a resume of a refused upload:\n%s", res.stderr)
	}
	noFile(t, statePath(path))
	if s := sessionState(t, n, "files", sess.UploadID); s.State != "aborted" {
		t.Errorf("session %s", s.State)
	}
	res = n.run(t, "push", "files", path, "--part-size", "65536", "-o", "json").mustSucceed(t)
	if got := res.pushResults(t)[0]; got.Resumed || got.Method != "multipart" || got.Digest != digest {
		t.Errorf("rerun %+v", got)
	}
}

func TestPushSeveralFilesTable(t *testing.T) {
	n := startNode(t)
	a, _ := randomFile(t, "a.bin", 10, 51)
	b, _ := randomFile(t, "b.bin", 2*testPartSize+1, 52)
	res := n.run(t, "push", "files", a, b, "--part-size", "64K").mustSucceed(t)
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if len(lines) != 3 || !regexp.MustCompile(`^FILE\s+DIGEST\s+LENGTH\s+METHOD$`).MatchString(lines[0]) ||
		!regexp.MustCompile(`a\.bin\s+sha256:[0-9a-f]{64}\s+10\s+one-shot$`).MatchString(lines[1]) ||
		!regexp.MustCompile(`b\.bin\s+sha256:[0-9a-f]{64}\s+131073\s+multipart$`).MatchString(lines[2]) {
		t.Errorf("stdout:\n%s", res.stdout)
	}
}

// Progress: plain lines on a non-terminal, nothing with --quiet.
func TestPushProgress(t *testing.T) {
	n := startNode(t)
	path, _ := randomFile(t, "big.bin", 4*testPartSize, 61)
	res := n.run(t, "push", "files", path, "--part-size", "65536").mustSucceed(t)
	line := regexp.MustCompile(`(?m)^big\.bin: pushed \d+\.\d KiB of 256\.0 KiB \(\d+%\)$`)
	if !line.MatchString(res.stderr) || !strings.Contains(res.stderr, "big.bin: pushed 256.0 KiB of 256.0 KiB (100%)\n") {
		t.Errorf("stderr:\n%s", res.stderr)
	}
	path2, _ := randomFile(t, "big.bin", 4*testPartSize, 62)
	res = n.run(t, "push", "files", path2, "--part-size", "65536", "--quiet").mustSucceed(t)
	if res.stderr != "" {
		t.Errorf("--quiet printed:\n%s", res.stderr)
	}
}

func TestPushErrors(t *testing.T) {
	n := startNode(t)
	n.env.CreateRepo(t, "remote-npm", map[string]any{"type": "remote", "format": "npm", "upstreamUrl": "https://registry.npmjs.org"})
	path, _ := randomFile(t, "f.bin", 100, 71)
	big, _ := randomFile(t, "big.bin", 20000, 72)
	reader := n.env.Token(t, "reader", "repo:files:read")
	for _, tc := range []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		errHas string
	}{
		{"forbidden", n.envFor(reader), []string{"files", path}, 1, "error: forbidden"},
		{"unknown repository", nil, []string{"nope", path}, 1, "error: not_found"},
		{"remote repository", nil, []string{"remote-npm", path}, 1, "error: repository_not_local"},
		{"bad token", n.envFor("afp_bogus_bogus"), []string{"files", path}, 1, "hint: check the token"},
		{"no arguments", nil, nil, 2, "error: missing arguments REPO FILE (one or more files)"},
		{"no file", nil, []string{"files"}, 2, "error: missing argument FILE (one or more files)"},
		{"missing file", nil, []string{"files", path + ".nope"}, 2, "no such file"},
		{"directory", nil, []string{"files", t.TempDir()}, 2, "is not a regular file"},
		{"bad parallel", nil, []string{"files", path, "--parallel", "0"}, 2, "invalid --parallel 0"},
		{"bad part size", nil, []string{"files", path, "--part-size", "12XB"}, 2, `invalid argument "12XB" for "--part-size"`},
		{"bad output", nil, []string{"files", path, "-o", "yaml"}, 2, `invalid --output "yaml"`},
		{"unknown flag", nil, []string{"files", path, "--bogus"}, 2, "unknown flag: --bogus"},
		{"too many parts", nil, []string{"files", big, "--part-size", "1"}, 2, "--part-size 1 cuts the file into 20000 parts; the server accepts at most 10000"},
		{"no token", map[string]string{"ARTIFORTRESS_URL": n.URL}, []string{"files", path}, 2, "no token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env
			if env == nil {
				env = n.envFor(n.env.AdminToken)
			}
			res := runWith(t, env, append([]string{"push"}, tc.args...)...)
			if res.code != tc.code || !strings.Contains(res.stderr, tc.errHas) {
				t.Errorf("exit %d, want %d; stderr lacks %q:\n%s", res.code, tc.code, tc.errHas, res.stderr)
			}
			if strings.Count(res.stderr, "error:") != 1 {
				t.Errorf("errors printed %d times:\n%s", strings.Count(res.stderr, "error:"), res.stderr)
			}
			if tc.code == 2 && strings.Contains(res.stderr, "Run 'push --help'") == false {
				t.Errorf("usage error without a pointer to --help:\n%s", res.stderr)
			}
		})
	}
	if reqs := n.requests(); count(reqs, "PUT", "") != 0 {
		t.Errorf("bytes were sent: %+v", reqs)
	}
}

func TestSizeFlag(t *testing.T) {
	for in, want := range map[string]int64{"65536": 65536, "64K": 65536, "64KiB": 65536, "8MiB": 8 << 20, "8m": 8 << 20, "1GiB": 1 << 30, "2 G": 2 << 30} {
		var s sizeValue
		if err := s.Set(in); err != nil || int64(s) != want {
			t.Errorf("%q: %d %v, want %d", in, s, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "1.5M", "12XB", "99999999999G"} {
		var s sizeValue
		if err := s.Set(in); err == nil {
			t.Errorf("%q accepted as %d", in, s)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 128 << 20: "128.0 MiB", 1 << 30: "1.0 GiB", 3 << 40: "3.0 TiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestStateFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if st, err := readState(path); st != nil || err != nil {
		t.Fatalf("no state: %v %v", st, err)
	}
	want := &uploadState{Repo: "r", UploadID: "up_1", Digest: "sha256:x", Size: 5, PartSize: 2}
	if err := writeState(path, want); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(statePath(path))
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || len(m) != 5 || m["uploadId"] != "up_1" || m["partSize"] != 2.0 {
		t.Errorf("state file %s", raw)
	}
	got, err := readState(path)
	if err != nil || *got != *want {
		t.Errorf("read back %+v %v", got, err)
	}
	os.WriteFile(statePath(path), []byte("garbage"), 0o600)
	if _, err := readState(path); err == nil {
		t.Error("garbage accepted")
	}
	if err := removeState(path); err != nil {
		t.Fatal(err)
	}
	if err := removeState(path); err != nil {
		t.Errorf("removing twice: %v", err)
	}
}

// When the session cannot be read (the server is failing), the push stops
// and keeps the state file: the session may well still be resumable.
func TestPushKeepsStateWhenSessionUnreadable(t *testing.T) {
	n := startNode(t)
	path, content := randomFile(t, "f.bin", 2*testPartSize, 81)
	var sess admincli.UploadSession
	n.env.Must(t, 201, "POST", "/v1/repos/files/uploads", n.env.AdminToken,
		map[string]any{"expectedDigest": digestOf(content), "expectedLength": len(content)}).JSON(t, &sess)
	st := &uploadState{Repo: "files", UploadID: sess.UploadID, Digest: digestOf(content), Size: int64(len(content)), PartSize: testPartSize}
	if err := writeState(path, st); err != nil {
		t.Fatal(err)
	}
	n.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/uploads/") {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	res := n.run(t, "push", "files", path)
	if res.code != 1 || !strings.Contains(res.stderr, "error: http_503") {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if got, err := readState(path); err != nil || got == nil || *got != *st {
		t.Fatalf("state after failure: %+v %v", got, err)
	}
	n.setFault(nil)
	res = n.run(t, "push", "files", path, "-o", "json").mustSucceed(t)
	if got := res.pushResults(t)[0]; !got.Resumed || got.UploadID != sess.UploadID {
		t.Errorf("rerun %+v", got)
	}
}

// Without --part-size the server's part size is used, grown to stay within
// its part count.
func TestPartSizeChoice(t *testing.T) {
	sess := &admincli.UploadSession{PartSize: 100, MaxPartSize: 1000, MaxParts: 10}
	for _, tc := range []struct {
		flag, size, want int64
		fails            bool
	}{
		{0, 500, 100, false},
		{0, 1000, 100, false},
		{0, 1001, 101, false},  // 11 parts of 100 is too many
		{0, 9999, 1000, false}, // 10 parts of 1000
		{0, 10001, 0, true},    // more than 10 parts of the largest size
		{50, 500, 50, false},
		{50, 501, 0, true},  // explicit: 11 parts refused
		{2000, 10, 0, true}, // explicit: above the largest part
	} {
		p := &pusher{opt: &pushOptions{partSize: sizeValue(tc.flag)}}
		got, err := p.partSize(sess, tc.size)
		if (err != nil) != tc.fails || (!tc.fails && got != tc.want) {
			t.Errorf("--part-size %d, size %d: %d %v, want %d (fails %v)", tc.flag, tc.size, got, err, tc.want, tc.fails)
		}
	}
}

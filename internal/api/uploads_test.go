package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/servertest"
)

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

type session struct {
	UploadID string `json:"uploadId"`
	State    string `json:"state"`
	Digest   string `json:"digest"`
	Length   *int64 `json:"length"`
	Linkable bool   `json:"linkable"`
	Linked   bool   `json:"linked"`
	Parts    []struct {
		Number int
		Size   int64
		ETag   string
	} `json:"parts"`
}

func openSession(t *testing.T, env *servertest.Env, repo, token string, body map[string]any) session {
	t.Helper()
	var s session
	env.Must(t, 201, "POST", "/v1/repos/"+repo+"/uploads", token, body).JSON(t, &s)
	return s
}

func (s session) path(repo, rest string) string {
	return "/v1/repos/" + repo + "/uploads/" + s.UploadID + rest
}

func putPart(t *testing.T, env *servertest.Env, repo, token string, s session, n int, data []byte) {
	t.Helper()
	env.Must(t, 200, "PUT", s.path(repo, fmt.Sprintf("/parts/%d", n)), token, data)
}

func download(t *testing.T, env *servertest.Env, repo, token, digest string, header http.Header) *servertest.Response {
	t.Helper()
	req := env.Request(t, "GET", "/v1/repos/"+repo+"/blobs/"+digest, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range header {
		req.Header[k] = v
	}
	return env.Send(t, req)
}

func TestUploadFlows(t *testing.T) {
	servertest.ForEachStack(t, func(t *testing.T, b servertest.Backend, store func(*config.Config)) {
		env := servertest.Start(t, b, store)
		env.CreateRepo(t, "files", nil)
		env.CreateRepo(t, "other", nil)
		writer := env.Token(t, "writer", "repo:files:write")
		data := randomBytes(1, 3<<20+123)
		d := digestOf(data)
		parts := [][]byte{data[:1<<20], data[1<<20 : 2<<20], data[2<<20:]}

		t.Run("multipart through the API, parts out of order, re-sent part replaces", func(t *testing.T) {
			s := openSession(t, env, "files", writer, map[string]any{"expectedDigest": d, "expectedLength": len(data)})
			putPart(t, env, "files", writer, s, 3, parts[2])
			putPart(t, env, "files", writer, s, 1, []byte("garbage that will be replaced"))
			putPart(t, env, "files", writer, s, 2, parts[1])
			putPart(t, env, "files", writer, s, 1, parts[0])
			var got session
			env.Must(t, 200, "GET", s.path("files", ""), writer, nil).JSON(t, &got)
			if len(got.Parts) != 3 || got.Parts[0].Size != 1<<20 || got.Parts[2].Size != int64(len(parts[2])) {
				t.Fatalf("parts listed: %+v", got.Parts)
			}
			env.Must(t, 404, "GET", "/v1/repos/files/blobs/"+d, writer, nil) // not visible before commit
			env.Must(t, 200, "POST", s.path("files", "/complete"), writer, nil).JSON(t, &got)
			if got.State != "completed" || got.Digest != d {
				t.Fatalf("complete: %+v", got)
			}
			env.Must(t, 404, "GET", "/v1/repos/files/blobs/"+d, writer, nil) // still not before commit
			env.Must(t, 200, "POST", s.path("files", "/commit"), writer, nil).JSON(t, &got)
			if got.State != "committed" {
				t.Fatalf("commit: %+v", got)
			}
			if left := staged(t, env, "uploads/"+s.UploadID+"/"); len(left) != 0 {
				t.Errorf("staged objects left after commit: %q", left)
			}
			r := download(t, env, "files", writer, d, nil)
			if r.Status != 200 || !bytes.Equal(r.Body, data) {
				t.Fatalf("download: %d, %d bytes", r.Status, len(r.Body))
			}
			// Committing again answers the same; aborting a committed session is refused.
			env.Must(t, 200, "POST", s.path("files", "/commit"), writer, nil)
			r = env.Do(t, "POST", s.path("files", "/abort"), writer, nil)
			if r.Status != 409 || r.ErrorCode() != "upload_state_conflict" {
				t.Errorf("abort after commit: %d %s", r.Status, r.Body)
			}
		})

		t.Run("parts through pre-signed URLs", func(t *testing.T) {
			other := randomBytes(2, 1<<20+5)
			s := openSession(t, env, "files", writer, nil)
			var u struct{ URL, Method string }
			env.Must(t, 200, "POST", s.path("files", "/parts/1/url"), writer, nil).JSON(t, &u)
			req, _ := http.NewRequest(u.Method, u.URL, bytes.NewReader(other))
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("direct PUT: %v %v", err, resp)
			}
			resp.Body.Close()
			// A tampered signature and a wrong part number are refused.
			bad := []string{strings.Replace(u.URL, "signature=", "signature=00", 1), strings.Replace(u.URL, "/parts/1/", "/parts/2/", 1)}
			if !strings.Contains(u.URL, "/direct?") {
				// S3's own pre-signed URL: tamper with its signature.
				bad = []string{strings.Replace(u.URL, "X-Amz-Signature=", "X-Amz-Signature=00", 1)}
			}
			for _, bad := range bad {
				req, _ := http.NewRequest("PUT", bad, strings.NewReader("x"))
				resp, err := http.DefaultClient.Do(req)
				if err != nil || resp.StatusCode != 403 {
					t.Errorf("tampered URL %s: %v %v", bad, err, resp)
				}
				resp.Body.Close()
			}
			var got session
			env.Must(t, 200, "POST", s.path("files", "/complete"), writer, nil)
			env.Must(t, 200, "POST", s.path("files", "/commit"), writer, nil).JSON(t, &got)
			if got.Digest != digestOf(other) {
				t.Fatalf("commit: %+v", got)
			}
			if r := download(t, env, "files", writer, got.Digest, nil); !bytes.Equal(r.Body, other) {
				t.Fatal("downloaded bytes differ")
			}
		})

		t.Run("wrong digest and wrong length abort the session and leave nothing visible", func(t *testing.T) {
			wrong := randomBytes(3, 1000)
			for name, body := range map[string]map[string]any{
				"digest": {"expectedDigest": digestOf([]byte("something else"))},
				"length": {"expectedLength": 999},
			} {
				s := openSession(t, env, "files", writer, body)
				putPart(t, env, "files", writer, s, 1, wrong)
				env.Must(t, 200, "POST", s.path("files", "/complete"), writer, nil)
				r := env.Do(t, "POST", s.path("files", "/commit"), writer, nil)
				if r.Status != 409 || r.ErrorCode() != "upload_verification_failed" || !strings.Contains(string(r.Body), `"field":"`+name+`"`) {
					t.Errorf("%s mismatch: %d %s", name, r.Status, r.Body)
				}
				var got session
				env.Must(t, 200, "GET", s.path("files", ""), writer, nil).JSON(t, &got)
				if got.State != "aborted" {
					t.Errorf("%s mismatch left state %s", name, got.State)
				}
				env.Must(t, 404, "GET", "/v1/repos/files/blobs/"+digestOf(wrong), writer, nil)
			}
		})

		t.Run("missing parts are named", func(t *testing.T) {
			s := openSession(t, env, "files", writer, nil)
			putPart(t, env, "files", writer, s, 1, []byte("a"))
			putPart(t, env, "files", writer, s, 4, []byte("d"))
			r := env.Do(t, "POST", s.path("files", "/complete"), writer, nil)
			if r.Status != 400 || r.ErrorCode() != "upload_parts_missing" || !strings.Contains(string(r.Body), "[2,3]") {
				t.Fatalf("gap: %d %s", r.Status, r.Body)
			}
			// The session is open again: send the missing parts and finish.
			putPart(t, env, "files", writer, s, 2, []byte("b"))
			putPart(t, env, "files", writer, s, 3, []byte("c"))
			var got session
			env.Must(t, 200, "POST", s.path("files", "/complete"), writer, nil).JSON(t, &got)
			if got.Digest != digestOf([]byte("abcd")) {
				t.Errorf("assembled %+v", got)
			}
		})

		t.Run("abort discards", func(t *testing.T) {
			s := openSession(t, env, "files", writer, nil)
			putPart(t, env, "files", writer, s, 1, []byte("bye"))
			var got session
			env.Must(t, 200, "POST", s.path("files", "/abort"), writer, nil).JSON(t, &got)
			if got.State != "aborted" {
				t.Errorf("abort: %+v", got)
			}
			env.Must(t, 200, "POST", s.path("files", "/abort"), writer, nil)
			r := env.Do(t, "PUT", s.path("files", "/parts/2"), writer, "more")
			if r.Status != 409 {
				t.Errorf("part after abort: %d", r.Status)
			}
			env.Must(t, 409, "POST", s.path("files", "/complete"), writer, nil)
		})

		t.Run("one-shot upload with verification", func(t *testing.T) {
			small := []byte("hello, blobs")
			var got struct {
				Digest string
				Length int64
			}
			env.Must(t, 201, "PUT", "/v1/repos/files/blobs?digest="+digestOf(small), writer, small).JSON(t, &got)
			if got.Digest != digestOf(small) || got.Length != int64(len(small)) {
				t.Errorf("one-shot: %+v", got)
			}
			r := env.Do(t, "PUT", "/v1/repos/files/blobs?digest="+digestOf([]byte("nope")), writer, []byte("other bytes"))
			if r.Status != 409 || r.ErrorCode() != "upload_verification_failed" {
				t.Errorf("one-shot mismatch: %d %s", r.Status, r.Body)
			}
			env.Must(t, 404, "GET", "/v1/repos/files/blobs/"+digestOf([]byte("other bytes")), writer, nil)
			r = env.Do(t, "PUT", "/v1/repos/files/blobs?digest=sha256:xyz", writer, small)
			if r.Status != 400 {
				t.Errorf("malformed digest: %d", r.Status)
			}
		})

		t.Run("dedupe never grants access", func(t *testing.T) {
			secret := randomBytes(4, 4096)
			sd := digestOf(secret)
			env.Must(t, 201, "PUT", "/v1/repos/other/blobs", env.AdminToken, secret)
			// The writer of files cannot read "other": it may not link the
			// digest without the bytes, and is not even told it exists.
			s := openSession(t, env, "files", writer, map[string]any{"expectedDigest": sd})
			if s.Linkable {
				t.Error("session reports a digest the caller cannot read as linkable")
			}
			var got session
			r := env.Do(t, "POST", s.path("files", "/complete"), writer, nil)
			if r.Status != 400 || r.ErrorCode() != "upload_parts_missing" {
				t.Fatalf("complete without bytes of an unreadable digest: %d %s", r.Status, r.Body)
			}
			env.Must(t, 404, "GET", "/v1/repos/files/blobs/"+sd, writer, nil)
			// With the bytes, the upload succeeds and the duplicate is dropped.
			s = openSession(t, env, "files", writer, map[string]any{"expectedDigest": sd})
			putPart(t, env, "files", writer, s, 1, secret)
			env.Must(t, 200, "POST", s.path("files", "/complete"), writer, nil)
			env.Must(t, 200, "POST", s.path("files", "/commit"), writer, nil)
			if r := download(t, env, "files", writer, sd, nil); !bytes.Equal(r.Body, secret) {
				t.Fatal("download after dedupe")
			}
			// A caller who can read the digest elsewhere links it without bytes.
			both := env.Token(t, "both", "repo:files:write", "repo:other:read")
			env.CreateRepo(t, "third", nil)
			env.Must(t, 200, "PUT", "/v1/repos/third/bindings/both", env.AdminToken, map[string]any{"roles": []string{"write"}})
			s = openSession(t, env, "third", both, map[string]any{"expectedDigest": sd})
			if !s.Linkable {
				t.Fatal("a readable digest is not linkable")
			}
			env.Must(t, 200, "POST", s.path("third", "/complete"), both, nil).JSON(t, &got)
			env.Must(t, 200, "POST", s.path("third", "/commit"), both, nil).JSON(t, &got)
			if !got.Linked || got.State != "committed" {
				t.Errorf("link without bytes: %+v", got)
			}
			if r := download(t, env, "third", both, sd, nil); !bytes.Equal(r.Body, secret) {
				t.Fatal("download of a linked blob")
			}
		})

		t.Run("concurrent commits of the same digest store one copy", func(t *testing.T) {
			same := randomBytes(5, 200_000)
			sd := digestOf(same)
			const n = 6
			sessions := make([]session, n)
			for i := range sessions {
				sessions[i] = openSession(t, env, "files", writer, map[string]any{"expectedDigest": sd})
				putPart(t, env, "files", writer, sessions[i], 1, same)
				env.Must(t, 200, "POST", sessions[i].path("files", "/complete"), writer, nil)
			}
			var wg sync.WaitGroup
			codes := make([]int, n)
			for i := range sessions {
				wg.Go(func() { codes[i] = env.Do(t, "POST", sessions[i].path("files", "/commit"), writer, nil).Status })
			}
			wg.Wait()
			for i, c := range codes {
				if c != 200 {
					t.Errorf("commit %d: %d", i, c)
				}
			}
			copies := 0
			if err := env.Server.Store().List(t.Context(), func(i blobInfo) error {
				if string(i.Digest) == sd {
					copies++
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if copies != 1 {
				t.Errorf("%d stored copies of one digest", copies)
			}
		})

		t.Run("quotas", func(t *testing.T) {
			env.CreateRepo(t, "tight", map[string]any{"settings": map[string]any{"maxBlobBytes": 100, "maxUploadSessions": 2}})
			tw := env.Token(t, "tw", "repo:tight:write")
			r := env.Do(t, "PUT", "/v1/repos/tight/blobs", tw, bytes.Repeat([]byte("x"), 101))
			if r.Status != 413 || r.ErrorCode() != "blob_too_large" {
				t.Errorf("over max blob: %d %s", r.Status, r.Body)
			}
			r = env.Do(t, "POST", "/v1/repos/tight/uploads", tw, map[string]any{"expectedLength": 101})
			if r.Status != 413 {
				t.Errorf("session announcing too much: %d %s", r.Status, r.Body)
			}
			a := openSession(t, env, "tight", tw, nil)
			b := openSession(t, env, "tight", tw, nil)
			r = env.Do(t, "POST", "/v1/repos/tight/uploads", tw, nil)
			if r.Status != 429 || r.ErrorCode() != "too_many_upload_sessions" {
				t.Errorf("third session: %d %s", r.Status, r.Body)
			}
			env.Must(t, 200, "POST", a.path("tight", "/abort"), tw, nil)
			c := openSession(t, env, "tight", tw, nil)
			env.Must(t, 200, "POST", b.path("tight", "/abort"), tw, nil)
			env.Must(t, 200, "POST", c.path("tight", "/abort"), tw, nil)
			// Multipart over the limit fails at assembly.
			s := openSession(t, env, "tight", env.AdminToken, nil)
			putPart(t, env, "tight", env.AdminToken, s, 1, bytes.Repeat([]byte("y"), 60))
			putPart(t, env, "tight", env.AdminToken, s, 2, bytes.Repeat([]byte("y"), 60))
			r = env.Do(t, "POST", s.path("tight", "/complete"), env.AdminToken, nil)
			if r.Status != 413 || r.ErrorCode() != "blob_too_large" {
				t.Errorf("assembled over max: %d %s", r.Status, r.Body)
			}
		})

		t.Run("uploads go to local repositories only", func(t *testing.T) {
			env.CreateRepo(t, "proxy", map[string]any{"type": "remote", "upstreamUrl": "https://example.com/"})
			r := env.Do(t, "PUT", "/v1/repos/proxy/blobs", env.AdminToken, "x")
			if r.Status != 409 || r.ErrorCode() != "repository_not_local" {
				t.Errorf("upload to remote: %d %s", r.Status, r.Body)
			}
		})
	})
}

func TestSessionExpiry(t *testing.T) {
	servertest.ForEachStack(t, func(t *testing.T, b servertest.Backend, opt func(*config.Config)) {
		env := servertest.Start(t, b, opt)
		env.CreateRepo(t, "files", nil)
		s := openSession(t, env, "files", env.AdminToken, nil)
		putPart(t, env, "files", env.AdminToken, s, 1, []byte("abandoned"))
		if _, err := env.Server.DB().RawExec(t.Context(), "UPDATE uploads SET expires_at = 0 WHERE id = ?", s.UploadID); err != nil {
			t.Fatal(err)
		}
		r := env.Do(t, "PUT", s.path("files", "/parts/2"), env.AdminToken, "late")
		if r.Status != 409 || r.ErrorCode() != "upload_expired" {
			t.Errorf("part after expiry: %d %s", r.Status, r.Body)
		}
		st, err := env.Server.Transfer().Sweep(t.Context())
		if err != nil || st.Expired != 1 {
			t.Fatalf("sweep: %+v %v", st, err)
		}
		var got session
		env.Must(t, 200, "GET", s.path("files", ""), env.AdminToken, nil).JSON(t, &got)
		if got.State != "expired" {
			t.Errorf("state after sweep: %s", got.State)
		}
		if left := staged(t, env, "uploads/"+s.UploadID+"/"); len(left) != 0 {
			t.Errorf("staged objects left after expiry: %q", left)
		}
	})
}

type blobInfo = blob.Info

// staged lists the staged objects whose names start with prefix, through
// the blob store's own listing, so that "nothing left behind" means the
// same on every store.
func staged(t *testing.T, env *servertest.Env, prefix string) []string {
	t.Helper()
	var names []string
	if err := env.Server.Store().ListStaged(t.Context(), prefix, func(i blobInfo) error {
		names = append(names, i.Name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return names
}

// TestDroppedConnectionLeavesNoPart: a part whose body is cut off mid-way
// is not recorded; re-sending it afterwards completes the upload.
func TestDroppedConnectionLeavesNoPart(t *testing.T) {
	servertest.ForEachStack(t, func(t *testing.T, b servertest.Backend, opt func(*config.Config)) {
		env := servertest.Start(t, b, opt)
		env.CreateRepo(t, "files", nil)
		data := randomBytes(11, 200_000)
		s := openSession(t, env, "files", env.AdminToken, map[string]any{"expectedDigest": digestOf(data)})
		putPart(t, env, "files", env.AdminToken, s, 1, data[:100_000])

		conn, err := net.Dial("tcp", strings.TrimPrefix(env.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 100000\r\n\r\n", s.path("files", "/parts/2"), env.AdminToken)
		conn.Write(data[100_000:150_000]) // half the declared body, then the connection drops
		conn.Close()

		// Wait until the server has finished with the cut request: its access
		// log line is written when the handler returns.
		deadline := time.Now().Add(10 * time.Second)
		for strings.Count(env.Logs.String(), `"route":"PUT /v1/repos/{key}/uploads/{id}/parts/{n}"`) < 2 {
			if time.Now().After(deadline) {
				t.Fatal("the server never finished the cut-off request")
			}
			time.Sleep(10 * time.Millisecond)
		}
		var got session
		env.Must(t, 200, "GET", s.path("files", ""), env.AdminToken, nil).JSON(t, &got)
		if len(got.Parts) != 1 || got.Parts[0].Number != 1 {
			t.Fatalf("parts after a dropped part upload: %+v", got.Parts)
		}
		if left := staged(t, env, "uploads/"+s.UploadID+"/"); len(left) != 1 {
			t.Fatalf("staged objects after a dropped part upload: %q", left)
		}
		putPart(t, env, "files", env.AdminToken, s, 2, data[100_000:])
		env.Must(t, 200, "POST", s.path("files", "/complete"), env.AdminToken, nil)
		env.Must(t, 200, "POST", s.path("files", "/commit"), env.AdminToken, nil).JSON(t, &got)
		if got.State != "committed" {
			t.Fatalf("commit after resume: %+v", got)
		}
		if r := download(t, env, "files", env.AdminToken, got.Digest, nil); !bytes.Equal(r.Body, data) {
			t.Fatalf("download after resume: %d, %d bytes", r.Status, len(r.Body))
		}
	})
}

// TestCommitRaces: requests that finish one session at the same instant are
// settled by compare-and-set on the session's state, never by a 5xx.
// Commit against abort: exactly one wins, the other gets 409
// upload_state_conflict, and the blob is downloadable if and only if the
// commit won. Commit against commit: both answer the committed session, as
// a retried commit does, and the blob is committed once.
func TestCommitRaces(t *testing.T) {
	servertest.ForEachStack(t, func(t *testing.T, b servertest.Backend, opt func(*config.Config)) {
		env := servertest.Start(t, b, opt)
		env.CreateRepo(t, "files", nil)
		const rounds = 20
		// race opens a session holding data, completes it, then sends a
		// commit and rival at the same instant.
		race := func(t *testing.T, data []byte, rival string) (session, *servertest.Response, *servertest.Response) {
			s := openSession(t, env, "files", env.AdminToken, nil)
			putPart(t, env, "files", env.AdminToken, s, 1, data)
			env.Must(t, 200, "POST", s.path("files", "/complete"), env.AdminToken, nil)
			start := make(chan struct{})
			var wg sync.WaitGroup
			answers := make([]*servertest.Response, 2)
			for i, action := range []string{"commit", rival} {
				wg.Go(func() {
					<-start
					answers[i] = env.Do(t, "POST", s.path("files", "/"+action), env.AdminToken, nil)
				})
			}
			close(start)
			wg.Wait()
			if left := staged(t, env, "uploads/"+s.UploadID+"/"); len(left) != 0 {
				t.Errorf("staged objects left: %q", left)
			}
			return s, answers[0], answers[1]
		}
		downloadable := func(t *testing.T, d string, data []byte) {
			t.Helper()
			r := download(t, env, "files", env.AdminToken, d, nil)
			if r.Status != 200 || !bytes.Equal(r.Body, data) || digestOf(r.Body) != d {
				t.Errorf("download of the committed blob: %d, %d bytes", r.Status, len(r.Body))
			}
		}

		t.Run("commit against abort", func(t *testing.T) {
			commits := 0
			for round := range rounds {
				data := randomBytes(uint64(1000+round), 50_000)
				d := digestOf(data)
				s, commit, abort := race(t, data, "abort")
				wins := 0
				for _, r := range []*servertest.Response{commit, abort} {
					switch {
					case r.Status == 200:
						wins++
					case r.Status != 409 || r.ErrorCode() != "upload_state_conflict":
						t.Fatalf("round %d: answered %d %s", round, r.Status, r.Body)
					}
				}
				if wins != 1 {
					t.Fatalf("round %d: %d winners: commit %d %s, abort %d %s", round, wins, commit.Status, commit.Body, abort.Status, abort.Body)
				}
				var got session
				env.Must(t, 200, "GET", s.path("files", ""), env.AdminToken, nil).JSON(t, &got)
				if commit.Status == 200 {
					commits++
					if got.State != "committed" {
						t.Errorf("round %d: the commit won, the session is %s", round, got.State)
					}
					downloadable(t, d, data)
					continue
				}
				if got.State != "aborted" {
					t.Errorf("round %d: the abort won, the session is %s", round, got.State)
				}
				if r := download(t, env, "files", env.AdminToken, d, nil); r.Status != 404 || r.ErrorCode() != "blob_not_found" {
					t.Errorf("round %d: the abort won, the blob answers %d %s", round, r.Status, r.Body)
				}
			}
			t.Logf("the commit won %d of %d rounds", commits, rounds)
		})

		t.Run("commit against commit", func(t *testing.T) {
			for round := range rounds {
				data := randomBytes(uint64(2000+round), 50_000)
				d := digestOf(data)
				_, first, second := race(t, data, "commit")
				for _, r := range []*servertest.Response{first, second} {
					var got session
					if r.Status != 200 {
						t.Fatalf("round %d: commit answered %d %s", round, r.Status, r.Body)
					}
					if r.JSON(t, &got); got.State != "committed" || got.Digest != d {
						t.Errorf("round %d: commit answered %+v", round, got)
					}
				}
				downloadable(t, d, data)
				recs, err := env.Server.DB().ListAudit(t.Context(), meta.AuditFilter{Action: "blob.commit", Repo: "files"})
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, rec := range recs {
					if rec.Details["digest"] == d {
						n++
					}
				}
				if n != 1 {
					t.Errorf("round %d: %d audit records of the commit, want 1", round, n)
				}
			}
		})
	})
}

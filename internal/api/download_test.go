package api_test

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/servertest"
)

// downloadEnv is a node on backend b (options opts) holding one blob of
// known bytes in repository "files".
func downloadEnv(t testing.TB, b servertest.Backend, opts ...func(*config.Config)) (*servertest.Env, []byte, string) {
	env := servertest.Start(t, b, opts...)
	env.CreateRepo(t, "files", nil)
	data := randomBytes(7, 100_000)
	env.Must(t, 201, "PUT", "/v1/repos/files/blobs", env.AdminToken, data)
	return env, data, digestOf(data)
}

func TestRangeResponses(t *testing.T) {
	servertest.ForEachStack(t, func(t *testing.T, b servertest.Backend, opt func(*config.Config)) {
		env, data, d := downloadEnv(t, b, opt)
		n := len(data)
		get := func(h map[string]string) *servertest.Response {
			hdr := http.Header{}
			for k, v := range h {
				hdr.Set(k, v)
			}
			return download(t, env, "files", env.AdminToken, d, hdr)
		}
		cases := []struct {
			rng        string
			status     int
			start, end int // inclusive, for single ranges
		}{
			{"bytes=0-0", 206, 0, 0},
			{"bytes=10-19", 206, 10, 19},
			{"bytes=99990-", 206, 99990, n - 1},
			{"bytes=-25", 206, n - 25, n - 1},
			{"bytes=0-999999", 206, 0, n - 1},
			{"bytes=" + strconv.Itoa(n) + "-", 416, 0, 0},
			{"bytes=5-2", 200, 0, n - 1}, // invalid: ignored, whole body (RFC 9110 §14.2)
		}
		for _, c := range cases {
			t.Run(c.rng, func(t *testing.T) {
				r := get(map[string]string{"Range": c.rng})
				if r.Status != c.status {
					t.Fatalf("status %d, want %d", r.Status, c.status)
				}
				switch c.status {
				case 206:
					if want := fmt.Sprintf("bytes %d-%d/%d", c.start, c.end, n); r.Header.Get("Content-Range") != want {
						t.Errorf("Content-Range %q, want %q", r.Header.Get("Content-Range"), want)
					}
					if !bytes.Equal(r.Body, data[c.start:c.end+1]) {
						t.Error("range body differs from the bytes")
					}
				case 200:
					if !bytes.Equal(r.Body, data) {
						t.Error("full body differs")
					}
				case 416:
					if r.Header.Get("Content-Range") != fmt.Sprintf("bytes */%d", n) {
						t.Errorf("416 Content-Range %q", r.Header.Get("Content-Range"))
					}
				}
			})
		}

		t.Run("multiple ranges", func(t *testing.T) {
			r := get(map[string]string{"Range": "bytes=0-9,50-59,-5"})
			checkMultipart(t, r, data)
		})

		t.Run("conditional requests", func(t *testing.T) {
			etag := `"` + d + `"`
			if r := get(map[string]string{"If-None-Match": etag}); r.Status != 304 {
				t.Errorf("If-None-Match: %d", r.Status)
			}
			if r := get(map[string]string{"Range": "bytes=0-9", "If-Range": etag}); r.Status != 206 {
				t.Errorf("If-Range matching: %d", r.Status)
			}
			if r := get(map[string]string{"Range": "bytes=0-9", "If-Range": `"sha256:other"`}); r.Status != 200 || len(r.Body) != n {
				t.Errorf("If-Range not matching: %d (%d bytes)", r.Status, len(r.Body))
			}
			r := get(nil)
			for _, h := range []string{"ETag", "Last-Modified", "Accept-Ranges", "Content-Type", "Content-Length"} {
				if r.Header.Get(h) == "" {
					t.Errorf("missing %s", h)
				}
			}
		})

		t.Run("a digest stored for another repository is not found here", func(t *testing.T) {
			env.CreateRepo(t, "empty", nil)
			if r := download(t, env, "empty", env.AdminToken, d, nil); r.Status != 404 || r.ErrorCode() != "blob_not_found" {
				t.Errorf("%d %s", r.Status, r.Body)
			}
			if r := download(t, env, "files", env.AdminToken, "sha256:nothex", nil); r.Status != 400 {
				t.Errorf("malformed digest: %d", r.Status)
			}
		})

		t.Run("HEAD is answered from metadata", func(t *testing.T) {
			// Remove the bytes behind the server's back (last, as nothing
			// after it can read them): HEAD does not touch the store, GET
			// reports the inconsistency.
			if err := env.Server.Store().Delete(t.Context(), blob.Digest(d)); err != nil {
				t.Fatal(err)
			}
			req := env.Request(t, "HEAD", "/v1/repos/files/blobs/"+d, nil)
			req.Header.Set("Authorization", "Bearer "+env.AdminToken)
			r := env.Send(t, req)
			if r.Status != 200 || r.Header.Get("Content-Length") != strconv.Itoa(n) || r.Header.Get("ETag") != `"`+d+`"` {
				t.Errorf("HEAD: %d %v", r.Status, r.Header)
			}
			if r := get(nil); r.Status != 503 {
				t.Errorf("GET of missing bytes: %d %s", r.Status, r.Body)
			}
		})
	})
}

// checkMultipart checks a multipart/byteranges answer part by part.
func checkMultipart(t testing.TB, r *servertest.Response, data []byte) {
	t.Helper()
	if r.Status != 206 {
		t.Fatalf("status %d", r.Status)
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/byteranges" {
		t.Fatalf("content type %q", r.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(bytes.NewReader(r.Body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var start, end, total int
		if _, err := fmt.Sscanf(p.Header.Get("Content-Range"), "bytes %d-%d/%d", &start, &end, &total); err != nil {
			t.Fatalf("part Content-Range %q", p.Header.Get("Content-Range"))
		}
		body, _ := io.ReadAll(p)
		if total != len(data) || !bytes.Equal(body, data[start:end+1]) {
			t.Errorf("part %d-%d differs", start, end)
		}
	}
}

// FuzzBlobRange sends arbitrary Range headers to the download gateway and
// checks every answer against the bytes: 200 with everything, 206 with
// exactly the ranges it names, or 416.
func FuzzBlobRange(f *testing.F) {
	for _, s := range []string{"bytes=0-0", "bytes=-1", "bytes=10-", "bytes=0-9,20-29", "bytes=", "bytes=abc", "items=0-1", "bytes=99999-0", "bytes=-0", "bytes=1-2,1-2,1-2"} {
		f.Add(s)
	}
	env, data, d := downloadEnv(f, servertest.Backends()[0])
	h := env.Server.Handler()
	f.Fuzz(func(t *testing.T, rng string) {
		req := httptest.NewRequest("GET", "/v1/repos/files/blobs/"+d, nil)
		req.Header.Set("Authorization", "Bearer "+env.AdminToken)
		req.Header.Set("Range", rng)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		r := &servertest.Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
		switch r.Status {
		case 200:
			if !bytes.Equal(r.Body, data) {
				t.Fatalf("200 for %q with a different body", rng)
			}
		case 416:
		case 206:
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
				checkMultipart(t, r, data)
				return
			}
			var start, end, total int
			if _, err := fmt.Sscanf(r.Header.Get("Content-Range"), "bytes %d-%d/%d", &start, &end, &total); err != nil {
				t.Fatalf("Content-Range %q for %q", r.Header.Get("Content-Range"), rng)
			}
			if total != len(data) || start > end || end >= len(data) || !bytes.Equal(r.Body, data[start:end+1]) {
				t.Fatalf("206 for %q: body does not match %d-%d", rng, start, end)
			}
		default:
			t.Fatalf("status %d for Range %q", r.Status, rng)
		}
	})
}

// TestRedirectToObjectStore: with the S3 store, ?redirect=true (or the
// repository setting) answers 307 to a short-lived pre-signed URL that
// serves the bytes, ranges included, without passing through the node.
func TestRedirectToObjectStore(t *testing.T) {
	env := servertest.Start(t, servertest.Backends()[0], servertest.S3(t))
	env.CreateRepo(t, "files", nil)
	data := randomBytes(9, 300_000)
	d := digestOf(data)
	env.Must(t, 201, "PUT", "/v1/repos/files/blobs", env.AdminToken, data)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, setup := range []string{"query", "setting"} {
		path := "/v1/repos/files/blobs/" + d
		if setup == "query" {
			path += "?redirect=true"
		} else {
			env.Must(t, 200, "PATCH", "/v1/repos/files", env.AdminToken, map[string]any{"settings": map[string]any{"redirectDownloads": true}})
		}
		req := env.Request(t, "GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+env.AdminToken)
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode != 307 || !strings.Contains(loc, "X-Amz-Signature") {
			t.Fatalf("%s: %d Location %q", setup, resp.StatusCode, loc)
		}
		req, _ = http.NewRequest("GET", loc, nil)
		req.Header.Set("Range", "bytes=100-199")
		got, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(got.Body)
		got.Body.Close()
		if got.StatusCode != 206 || !bytes.Equal(body, data[100:200]) {
			t.Errorf("%s: pre-signed range: %d, %d bytes", setup, got.StatusCode, len(body))
		}
	}
	// Without redirection the node streams from S3 itself, ranges included.
	env.Must(t, 200, "PATCH", "/v1/repos/files", env.AdminToken, map[string]any{"settings": map[string]any{"redirectDownloads": false}})
	r := download(t, env, "files", env.AdminToken, d, http.Header{"Range": {"bytes=1000-1999,-10"}})
	checkMultipart(t, r, data)
	r = download(t, env, "files", env.AdminToken, d, nil)
	if r.Status != 200 || !bytes.Equal(r.Body, data) {
		t.Errorf("streamed from S3: %d", r.Status)
	}
}

// TestCachedLinkDiesWithItsRepository: downloads cache a blob's link to a
// repository (ADR 0005), but a repository deleted and created again under
// the same key does not serve the old repository's blobs, and its blobs
// are gone at once on the node that deleted it.
func TestCachedLinkDiesWithItsRepository(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.CreateRepo(t, "files", nil)
		data := randomBytes(11, 4096)
		env.Must(t, 201, "PUT", "/v1/repos/files/blobs", env.AdminToken, data)
		path := "/v1/repos/files/blobs/" + digestOf(data)
		for range 2 { // the second read is served from the caches
			if r := env.Must(t, 200, "GET", path, env.AdminToken, nil); !bytes.Equal(r.Body, data) {
				t.Fatal("wrong bytes")
			}
		}
		env.Must(t, 204, "DELETE", "/v1/repos/files", env.AdminToken, nil)
		env.Must(t, 404, "GET", path, env.AdminToken, nil)
		env.CreateRepo(t, "files", nil)
		r := env.Must(t, 404, "GET", path, env.AdminToken, nil)
		if !strings.Contains(string(r.Body), "blob_not_found") {
			t.Fatalf("a re-created repository: %s", r.Body)
		}
	})
}

package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
)

// The pip half of `bench npm`: the same packages published to a PyPI
// repository of the same node as sdists (twine's legacy upload form), then
// the requests pip makes: project pages in PEP 503 HTML and PEP 691 JSON,
// and file downloads. Verdaccio serves no PyPI; those rows are compared
// with its full-packument figures at the same concurrency, from the same
// run (its tarballs for the sdist rows): the requests of the peer the issue
// names.

const pypiRepo = "pypi-bench"

// pypiFile is the sdist name of package p, version v.
func pypiFile(p, v int) string {
	return strings.ReplaceAll(npmPackageName(p), "-", "_") + "-" + npmVersion(v) + ".tar.gz"
}

// pypiUploadBody is the form twine sends to upload content as an sdist.
func pypiUploadBody(name, version, filename string, content []byte) ([]byte, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	sum := sha256.Sum256(content)
	for _, kv := range [][2]string{
		{":action", "file_upload"}, {"protocol_version", "1"}, {"name", name}, {"version", version},
		{"filetype", "sdist"}, {"pyversion", "source"}, {"metadata_version", "2.1"},
		{"summary", "bench package " + name}, {"sha256_digest", hex.EncodeToString(sum[:])},
	} {
		_ = w.WriteField(kv[0], kv[1])
	}
	fw, _ := w.CreateFormFile("content", filename)
	_, _ = fw.Write(content)
	_ = w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

// pypiPublishAll uploads every version of every package to r (base: the
// repository's root), 4 packages at a time.
func pypiPublishAll(ctx context.Context, r *npmRegistry, packages, versions int, files [][][]byte) (result, error) {
	return run(packages, 4, func(p int) (int64, error) {
		var n int64
		for v := range versions {
			body, ct := pypiUploadBody(npmPackageName(p), npmVersion(v), pypiFile(p, v), files[p][v])
			req, err := http.NewRequestWithContext(ctx, "POST", r.base+"/", bytes.NewReader(body))
			if err != nil {
				return n, err
			}
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Authorization", r.pubAuth)
			resp, err := r.client.Do(req)
			if err != nil {
				return n, err
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return n, fmt.Errorf("%s: upload %s: %d %s", r.name, pypiFile(p, v), resp.StatusCode, b)
			}
			n += int64(len(files[p][v]))
		}
		return n, nil
	})
}

// pypiLoads are pip's requests: project pages (HTML, JSON) and sdists.
func pypiLoads(packages, versions int, size func(p, v int) int64) []npmLoad {
	pick := func(i int) (p, v int) {
		h := splitmix(uint64(i))
		return int(h % uint64(packages)), int(h >> 32 % uint64(versions))
	}
	page := func(i int) (string, int64) {
		p, _ := pick(i)
		return "/simple/" + npmPackageName(p) + "/", -1
	}
	return []npmLoad{
		{name: "simple page (HTML)", accept: "text/html", path: page},
		{name: "simple page (JSON)", accept: "application/vnd.pypi.simple.v1+json", path: page},
		{name: "sdist", path: func(i int) (string, int64) {
			p, v := pick(i)
			return "/files/" + npmPackageName(p) + "/" + npmVersion(v) + "/" + pypiFile(p, v), size(p, v)
		}},
	}
}

// pypiWarm reads every project page and file once, and checks that a page
// lists every version's file.
func pypiWarm(ctx context.Context, r *npmRegistry, loads []npmLoad, packages, versions int) error {
	for p := range packages {
		for _, l := range loads[:2] {
			if _, err := r.get(ctx, "/simple/"+npmPackageName(p)+"/", l.accept); err != nil {
				return err
			}
		}
		for v := range versions {
			if _, err := r.get(ctx, "/files/"+npmPackageName(p)+"/"+npmVersion(v)+"/"+pypiFile(p, v), ""); err != nil {
				return err
			}
		}
	}
	req, err := http.NewRequestWithContext(ctx, "GET", r.base+"/simple/"+npmPackageName(0)+"/", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", r.readAuth)
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if n := strings.Count(string(b), "#sha256="); n != versions {
		return fmt.Errorf("%s: project page of %s lists %d files, want %d", r.name, npmPackageName(0), n, versions)
	}
	return nil
}

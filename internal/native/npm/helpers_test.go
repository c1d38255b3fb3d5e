package npm_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
)

func sha1Hex(b []byte) string {
	s := sha1.Sum(b)
	return hex.EncodeToString(s[:])
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }

// tarball is a package tarball as npm pack makes it: package/package.json
// of name@version, and content as package/index.js. The same arguments
// give the same bytes.
func tarball(name, version string, content []byte) []byte {
	manifest, err := json.Marshal(map[string]string{"name": name, "version": version, "main": "index.js"})
	if err != nil {
		panic(err)
	}
	return tarballOf(map[string]string{"package/package.json": string(manifest), "package/index.js": string(content)})
}

// tarballOf packs files (path → contents) in path order into a gzip
// compressed tar.
func tarballOf(files map[string]string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: int64(len(files[name])), Mode: 0o644}); err != nil {
			panic(err)
		}
		if _, err := tw.Write([]byte(files[name])); err != nil {
			panic(err)
		}
	}
	if err := tw.Close(); err != nil {
		panic(err)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

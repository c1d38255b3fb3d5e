package admincli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/servertest"
)

// The oci commands against a real registry: catalog, tags, the manifest
// byte for byte, referrers, deletes, and the registry's errors shown with
// the node's own codes.
func TestOCIAgainstRealServer(t *testing.T) {
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "oci-local", map[string]any{"format": "oci"})
	digest := func(b []byte) string { s := sha256.Sum256(b); return "sha256:" + hex.EncodeToString(s[:]) }
	put := func(method, path, contentType string, body []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, env.URL+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+env.AdminToken)
		req.Header.Set("Content-Type", contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("%s %s: %v %v", method, path, err, resp)
		}
		resp.Body.Close()
	}
	config, layer := []byte(`{}`), []byte("layer")
	for _, b := range [][]byte{config, layer} {
		put("POST", "/v2/oci-local/team/app/blobs/uploads/?digest="+digest(b), "application/octet-stream", b)
	}
	manifest := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` + digest(config) + `","size":2},` +
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"` + digest(layer) + `","size":5}]}` + "\n")
	put("PUT", "/v2/oci-local/team/app/manifests/1.0", "application/vnd.oci.image.manifest.v1+json", manifest)
	sig := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.example.sig",` +
		`"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"` + digest(config) + `","size":2},"layers":[],` +
		`"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + digest(manifest) + `","size":` + itoa(len(manifest)) + `}}`)
	put("PUT", "/v2/oci-local/team/app/manifests/"+digest(sig), "application/vnd.oci.image.manifest.v1+json", sig)

	vars := map[string]string{envURL: env.URL, envToken: env.AdminToken}
	ok := func(args ...string) result {
		t.Helper()
		res := runCommand(t, vars, args...)
		if res.code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, res.code, res.stdout, res.stderr)
		}
		return res
	}
	if out := ok("oci", "catalog").stdout; !strings.Contains(out, "oci-local/team/app") {
		t.Errorf("catalog: %s", out)
	}
	var tags struct{ Items []string }
	json.Unmarshal([]byte(ok("oci", "tags", "oci-local/team/app", "-o", "json").stdout), &tags)
	if strings.Join(tags.Items, ",") != "1.0" {
		t.Errorf("tags: %+v", tags)
	}
	res := ok("oci", "manifest", "oci-local/team/app", "1.0")
	if res.stdout != string(manifest) || !strings.Contains(res.stderr, digest(manifest)) {
		t.Errorf("manifest: %q %q", res.stdout, res.stderr)
	}
	if out := ok("oci", "referrers", "oci-local/team/app", digest(manifest)).stdout; !strings.Contains(out, digest(sig)) || !strings.Contains(out, "application/vnd.example.sig") {
		t.Errorf("referrers: %s", out)
	}
	ok("oci", "delete", "oci-local/team/app", "1.0")
	if res := runCommand(t, vars, "oci", "manifest", "oci-local/team/app", "1.0"); res.code != 1 || !strings.Contains(res.stderr, "MANIFEST_UNKNOWN") {
		t.Errorf("manifest of a deleted tag: exit %d %s", res.code, res.stderr)
	}
	ok("oci", "delete-blob", "oci-local/team/app", digest(layer))
	if res := runCommand(t, vars, "oci", "delete-blob", "oci-local/team/app", digest(layer)); res.code != 1 || !strings.Contains(res.stderr, "blob_not_found") {
		t.Errorf("deleting a deleted blob: exit %d %s", res.code, res.stderr)
	}
	if res := runCommand(t, vars, "oci", "tags", "app"); res.code != 2 {
		t.Errorf("a name without a repository: exit %d %s", res.code, res.stderr)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

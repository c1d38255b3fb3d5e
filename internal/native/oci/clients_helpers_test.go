package oci_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/servertest"
	"github.com/artifortress/artifortress/internal/testenv"
)

// The media types the client tests build and check.
const (
	mtIndex    = "application/vnd.oci.image.index.v1+json"
	mtManifest = "application/vnd.oci.image.manifest.v1+json"
	mtConfig   = "application/vnd.oci.image.config.v1+json"
	mtLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
	refNameKey = "org.opencontainers.image.ref.name"
)

// clientTimeout bounds one run of a client: each moves a few kilobytes
// over loopback, so a run that takes this long hangs.
const clientTimeout = 3 * time.Minute

// ociClient runs one real registry client (skopeo, oras, crane) with a
// home of its own: HOME, DOCKER_CONFIG, the XDG directories, TMPDIR and
// the containers/image configuration all point into a temporary
// directory, so no run reads or writes the machine's credentials,
// caches or policies, and none leaks into the next test.
type ociClient struct {
	t      *testing.T
	bin    string
	home   string
	env    []string
	prefix []string // arguments put before every command's own
}

// isolatedVars are the variables of the test's environment that a client
// never inherits: they would point it at the machine's configuration.
var isolatedVars = []string{"HOME", "DOCKER_CONFIG", "TMPDIR", "REGISTRY_AUTH_FILE", "ORAS_"}

// newOCIClient finds the client name (testenv.Tool: skipped on a
// workstation without it, a failure in CI) and gives it a fresh home.
func newOCIClient(t *testing.T, name string) *ociClient {
	t.Helper()
	c := &ociClient{t: t, bin: testenv.Tool(t, name), home: t.TempDir()}
	dirs := map[string]string{
		"HOME":            c.home,
		"DOCKER_CONFIG":   filepath.Join(c.home, ".docker"),
		"XDG_CONFIG_HOME": filepath.Join(c.home, ".config"),
		"XDG_DATA_HOME":   filepath.Join(c.home, ".local", "share"),
		"XDG_CACHE_HOME":  filepath.Join(c.home, ".cache"),
		"XDG_RUNTIME_DIR": filepath.Join(c.home, "run"),
		"TMPDIR":          filepath.Join(c.home, "tmp"),
	}
	for _, kv := range os.Environ() {
		if !slices.ContainsFunc(isolatedVars, func(v string) bool { return strings.HasPrefix(kv, v) }) &&
			!strings.HasPrefix(kv, "XDG_") && !strings.HasPrefix(kv, "CONTAINERS_") && !strings.HasPrefix(kv, "_CONTAINERS_") {
			c.env = append(c.env, kv)
		}
	}
	for k, dir := range dirs {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		c.env = append(c.env, k+"="+dir)
	}
	return c
}

// newSkopeo is skopeo with an empty registries.conf, a trust policy that
// accepts anything, no signature-storage configuration and its own auth
// file. containers/image keeps its blob-info cache under
// /var/lib/containers when it runs as root (as CI does) whatever HOME
// says; _CONTAINERS_ROOTLESS_UID, which it reads instead of the real
// uid, sends the cache to XDG_DATA_HOME.
func newSkopeo(t *testing.T) *ociClient {
	t.Helper()
	c := newOCIClient(t, "skopeo")
	files := map[string]string{
		"registries.conf": "unqualified-search-registries = []\n",
		"policy.json":     `{"default":[{"type":"insecureAcceptAnything"}]}`,
		"auth.json":       `{"auths":{}}`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(c.home, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	regd := filepath.Join(c.home, "registries.d")
	if err := os.Mkdir(regd, 0o700); err != nil {
		t.Fatal(err)
	}
	c.env = append(c.env, "CONTAINERS_REGISTRIES_CONF="+filepath.Join(c.home, "registries.conf"),
		"REGISTRY_AUTH_FILE="+filepath.Join(c.home, "auth.json"), "_CONTAINERS_ROOTLESS_UID=1000")
	c.prefix = []string{"--policy", filepath.Join(c.home, "policy.json"), "--registries.d", regd}
	return c
}

// run runs the client in dir ("" for its home) with stdin (may be "")
// and returns its standard output and error.
func (c *ociClient) run(dir, stdin string, args ...string) (string, string, error) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, append(slices.Clone(c.prefix), args...)...)
	cmd.Env = c.env
	cmd.Dir = c.home
	if dir != "" {
		cmd.Dir = dir
	}
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		err = errors.Join(err, ctx.Err())
	}
	return stdout.String(), stderr.String(), err
}

// must runs the client in its home and fails the test unless it succeeds;
// it returns the standard output.
func (c *ociClient) must(args ...string) string {
	c.t.Helper()
	return c.mustIn("", "", args...)
}

// mustIn is must in dir, with stdin.
func (c *ociClient) mustIn(dir, stdin string, args ...string) string {
	c.t.Helper()
	out, errOut, err := c.run(dir, stdin, args...)
	if err != nil {
		c.t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", filepath.Base(c.bin), strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// fails runs the client, fails the test if it succeeds, and returns what it
// printed, for the caller to check the reason.
func (c *ociClient) fails(args ...string) string {
	c.t.Helper()
	out, errOut, err := c.run("", "", args...)
	if err == nil {
		c.t.Fatalf("%s %s succeeded, want a failure\nstdout: %s\nstderr: %s", filepath.Base(c.bin), strings.Join(args, " "), out, errOut)
	}
	return out + errOut
}

// version is the first line of the client's version report, logged so a
// run says which build it drove.
func (c *ociClient) version(args ...string) string {
	c.t.Helper()
	out := c.must(args...)
	line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	return strings.Join(strings.Fields(line), " ")
}

// hostOf is a node's host:port, as image references name the registry.
func hostOf(env *servertest.Env) string {
	return strings.TrimPrefix(env.URL, "http://")
}

// testImage is content a client pushes: a top manifest (an image manifest
// or an index) and every blob it reaches, child manifests included, by
// digest.
type testImage struct {
	mediaType string
	manifest  []byte
	blobs     map[string][]byte
	os, arch  string // an image manifest's platform
	layer     string // an image manifest's layer digest
}

func (im testImage) digest() string { return digestOf(im.manifest) }

// mustJSON marshals v, failing the test on error.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tarGz is a gzip-compressed tar of files (name → content), written in
// name order with fixed times, so the same files always give the same
// bytes. It returns the compressed bytes and the digest of the tar (an
// image config's diff_id).
func tarGz(t *testing.T, files map[string]string) ([]byte, string) {
	t.Helper()
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), ModTime: time.Unix(1700000000, 0), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(files[name])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(raw.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return gz.Bytes(), digestOf(raw.Bytes())
}

// platformImage is an OCI image for os/arch: a config whose diff_id
// matches, and one gzip layer holding a file that names the platform and
// what.
func platformImage(t *testing.T, goos, arch, what string) testImage {
	t.Helper()
	layer, diffID := tarGz(t, map[string]string{"etc/" + arch + ".txt": what + " for " + goos + "/" + arch + "\n"})
	config := mustJSON(t, map[string]any{
		"architecture": arch, "os": goos, "config": map[string]any{"Env": []string{"WHAT=" + what}},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{diffID}},
		"history": []any{map[string]any{"created_by": "clients_test " + what}},
	})
	m := mustJSON(t, map[string]any{
		"schemaVersion": 2, "mediaType": mtManifest,
		"config": descriptor(mtConfig, config),
		"layers": []any{descriptor(mtLayer, layer)},
	})
	return testImage{mediaType: mtManifest, manifest: m, os: goos, arch: arch, layer: digestOf(layer),
		blobs: map[string][]byte{digestOf(config): config, digestOf(layer): layer, digestOf(m): m}}
}

// indexOf is the image index of images, each with its platform.
func indexOf(t *testing.T, images ...testImage) testImage {
	t.Helper()
	idx := testImage{mediaType: mtIndex, blobs: map[string][]byte{}}
	var ms []any
	for _, im := range images {
		d := descriptor(im.mediaType, im.manifest)
		d["platform"] = map[string]string{"os": im.os, "architecture": im.arch}
		ms = append(ms, d)
		for k, v := range im.blobs {
			idx.blobs[k] = v
		}
	}
	idx.manifest = mustJSON(t, map[string]any{"schemaVersion": 2, "mediaType": mtIndex, "manifests": ms})
	idx.blobs[idx.digest()] = idx.manifest
	return idx
}

// writeLayout writes an OCI image layout in dir with the standard
// library: the oci-layout file, every blob under blobs/sha256, and
// index.json naming each image by its tag (org.opencontainers.image.ref.name).
func writeLayout(t *testing.T, dir string, tags map[string]testImage) {
	t.Helper()
	blobDir := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobDir, 0o755); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(tags))
	for tag := range tags {
		names = append(names, tag)
	}
	slices.Sort(names)
	var ms []any
	for _, tag := range names {
		im := tags[tag]
		for d, b := range im.blobs {
			if err := os.WriteFile(filepath.Join(blobDir, strings.TrimPrefix(d, "sha256:")), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		d := descriptor(im.mediaType, im.manifest)
		d["annotations"] = map[string]string{refNameKey: tag}
		ms = append(ms, d)
	}
	files := map[string][]byte{
		"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`),
		"index.json": mustJSON(t, map[string]any{"schemaVersion": 2, "mediaType": mtIndex, "manifests": ms}),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// layoutDescriptor is an entry of a layout's index.json.
type layoutDescriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations"`
}

// checkLayout asserts that the OCI layout a client wrote in dir holds
// want, unchanged: the entry of index.json named tag (or, with tag "",
// its only entry) has want's media type, digest and size, and every blob
// of want, child manifests and layers included, is there with the same
// bytes.
func checkLayout(t *testing.T, dir, tag string, want testImage) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index struct{ Manifests []layoutDescriptor }
	if err := json.Unmarshal(raw, &index); err != nil {
		t.Fatalf("index.json: %v: %s", err, raw)
	}
	var got *layoutDescriptor
	for i, d := range index.Manifests {
		if (tag == "" && len(index.Manifests) == 1) || (tag != "" && d.Annotations[refNameKey] == tag) {
			got = &index.Manifests[i]
		}
	}
	if got == nil {
		t.Fatalf("index.json of %s has no entry for %q: %s", dir, tag, raw)
	}
	if got.Digest != want.digest() || got.MediaType != want.mediaType || got.Size != int64(len(want.manifest)) {
		t.Errorf("%q in the pulled layout is %s %s (%d bytes), want %s %s (%d bytes)", tag, got.MediaType, got.Digest, got.Size,
			want.mediaType, want.digest(), len(want.manifest))
	}
	for d, b := range want.blobs {
		got, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(d, "sha256:")))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("blob %s in the pulled layout: %v (%d bytes, want %d)", d, err, len(got), len(b))
		}
	}
}

// checkManifest asserts that the node serves want's exact bytes for ref of
// name, with its media type and digest.
func checkManifest(t *testing.T, env *servertest.Env, token, name, ref string, want testImage) {
	t.Helper()
	r := env.Must(t, 200, "GET", "/v2/"+name+"/manifests/"+ref, token, nil)
	if !bytes.Equal(r.Body, want.manifest) || r.Header.Get("Docker-Content-Digest") != want.digest() || r.Header.Get("Content-Type") != want.mediaType {
		t.Errorf("GET %s:%s: %s %s %s, want the %s pushed (%s)", name, ref, r.Header.Get("Content-Type"), r.Header.Get("Docker-Content-Digest"), r.Body,
			want.mediaType, want.digest())
	}
}

// tagsOf lists name's tags through the node.
func tagsOf(t *testing.T, env *servertest.Env, token, name string) []string {
	t.Helper()
	var list struct{ Tags []string }
	env.Must(t, 200, "GET", "/v2/"+name+"/tags/list", token, nil).JSON(t, &list)
	return list.Tags
}

// logged counts the requests the node logged with method, path and
// status: what a client did that its output does not say (a mount is a
// POST to uploads/ answered 201 at once).
func logged(t *testing.T, env *servertest.Env, method, path string, status int) int {
	t.Helper()
	n := 0
	for _, line := range strings.Split(env.Logs.String(), "\n") {
		var rec struct {
			Msg, Method, Path string
			Status            int
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "request" && rec.Method == method && rec.Path == path && rec.Status == status {
			n++
		}
	}
	return n
}

// skopeoCopy copies src to dst with skopeo, every image of a list
// (--all), over plain HTTP (tls-verify=false makes containers/image fall
// back from https), with creds for whichever side is a registry, and
// flags.
func skopeoCopy(skopeo *ociClient, creds, src, dst string, flags ...string) {
	skopeo.t.Helper()
	args := append([]string{"copy", "--all", "--quiet"}, flags...)
	if strings.HasPrefix(src, "docker://") {
		args = append(args, "--src-tls-verify=false", "--src-creds", creds)
	}
	if strings.HasPrefix(dst, "docker://") {
		args = append(args, "--dest-tls-verify=false", "--dest-creds", creds)
	}
	skopeo.must(append(args, src, dst)...)
}

// skopeoTags is what skopeo list-tags says of ref.
func skopeoTags(t *testing.T, skopeo *ociClient, creds, ref string) []string {
	t.Helper()
	var out struct{ Tags []string }
	raw := skopeo.must("list-tags", "--tls-verify=false", "--creds", creds, ref)
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("list-tags: %v: %s", err, raw)
	}
	return out.Tags
}

// orasDescriptor is the part of oras's --format json output the tests
// read (push, attach, manifest fetch --descriptor, discover's entries).
type orasDescriptor struct {
	Reference    string            `json:"reference"`
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType"`
	Annotations  map[string]string `json:"annotations"`
	Referrers    []orasDescriptor  `json:"referrers"`
}

// decodeJSON decodes a client's output, failing the test on error.
func decodeJSON(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
}

// writeFiles writes files (name → content) into a new directory and
// returns it.
func writeFiles(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// checkFiles asserts that dir holds files with the same bytes.
func checkFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("pulled %s: %v, %q, want %q", name, err, got, want)
		}
	}
}

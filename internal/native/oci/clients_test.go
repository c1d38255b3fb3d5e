package oci_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/servertest"
)

// The end-to-end tests of issue 7 (ADR 0010 §7): the real skopeo, oras
// and crane push to and pull from a node, each with a home of its own
// (see ociClient). Content is built in the test with the standard library
// and compared byte for byte, by digest, after the round trip.

// TestSkopeoCopy: skopeo pushes a multi-arch image (an index of two
// platform images) and a single image from an OCI layout, pulls the index
// back into a new layout with every digest unchanged, reads it with
// inspect (raw, and decoded for one platform), copies it to another
// repository (a cross-repository mount) and in again converted to Docker
// schema 2, lists tags, is refused without credentials, and deletes an
// image: refused to a writer, done by an admin, leaving the other tags
// whole.
func TestSkopeoCopy(t *testing.T) {
	skopeo := newSkopeo(t)
	t.Logf("client: %s", skopeo.version("--version"))
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "images", map[string]any{"format": "oci"})
	env.CreateRepo(t, "mirror", map[string]any{"format": "oci"})
	writer := "ci:" + env.Token(t, "ci", "repo:images:write", "repo:mirror:write")
	admin := "ops:" + env.Token(t, "ops", "repo:images:admin")
	amd, arm := platformImage(t, "linux", "amd64", "skopeo"), platformImage(t, "linux", "arm64", "skopeo")
	idx, solo := indexOf(t, amd, arm), platformImage(t, "linux", "amd64", "solo")
	src := t.TempDir()
	writeLayout(t, src, map[string]testImage{"v1": idx, "solo": solo})
	ref := "docker://" + hostOf(env) + "/images/team/app"

	skopeoCopy(skopeo, writer, "oci:"+src+":v1", ref+":v1")
	skopeoCopy(skopeo, writer, "oci:"+src+":solo", ref+":solo")
	checkManifest(t, env, env.AdminToken, "images/team/app", "v1", idx)
	checkManifest(t, env, env.AdminToken, "images/team/app", amd.digest(), amd)
	checkManifest(t, env, env.AdminToken, "images/team/app", arm.digest(), arm)
	checkManifest(t, env, env.AdminToken, "images/team/app", "solo", solo)

	pulled := filepath.Join(t.TempDir(), "pulled")
	skopeoCopy(skopeo, writer, ref+":v1", "oci:"+pulled+":v1")
	checkLayout(t, pulled, "v1", idx)

	if raw := skopeo.must("inspect", "--raw", "--tls-verify=false", "--creds", writer, ref+":v1"); strings.TrimSuffix(raw, "\n") != string(idx.manifest) {
		t.Errorf("inspect --raw of the index: %s, want %s", raw, idx.manifest)
	}
	if raw := skopeo.must("inspect", "--raw", "--tls-verify=false", "--creds", writer, ref+"@"+arm.digest()); strings.TrimSuffix(raw, "\n") != string(arm.manifest) {
		t.Errorf("inspect --raw of the arm64 manifest by digest: %s, want %s", raw, arm.manifest)
	}
	// Decoded, for one platform: skopeo picks the arm64 instance from the
	// index and reads its config blob.
	var info struct {
		Digest, Architecture, Os string
		Layers, Env, RepoTags    []string
	}
	raw := skopeo.must("--override-os", "linux", "--override-arch", "arm64", "inspect", "--tls-verify=false", "--creds", writer, ref+":v1")
	if err := json.Unmarshal([]byte(raw), &info); err != nil {
		t.Fatalf("inspect: %v: %s", err, raw)
	}
	if info.Digest != idx.digest() || info.Architecture != "arm64" || info.Os != "linux" || !slices.Equal(info.Layers, []string{arm.layer}) ||
		!slices.Contains(info.Env, "WHAT=skopeo") || !slices.Equal(info.RepoTags, []string{"solo", "v1"}) {
		t.Errorf("inspect for linux/arm64: %s", raw)
	}

	// Another repository: containers/image mounts the blobs it has seen
	// in images/team/app instead of uploading them again.
	skopeoCopy(skopeo, writer, ref+":v1", "docker://"+hostOf(env)+"/mirror/app:v1")
	checkManifest(t, env, env.AdminToken, "mirror/app", "v1", idx)
	checkManifest(t, env, env.AdminToken, "mirror/app", amd.digest(), amd)
	if n := logged(t, env, "POST", "/v2/mirror/app/blobs/uploads/", 201); n != 2 {
		t.Errorf("%d uploads to mirror/app answered 201 at once, want the 2 layers mounted", n)
	}

	// Converted to Docker's schema 2 on the way (a manifest list of two
	// schema 2 manifests, the layers' bytes unchanged): the node keeps and
	// serves Docker's media types as it does OCI's.
	skopeoCopy(skopeo, writer, "oci:"+src+":v1", ref+":docker", "--format", "v2s2")
	var list struct {
		MediaType string
		Manifests []struct{ MediaType, Digest string }
	}
	raw = skopeo.must("inspect", "--raw", "--tls-verify=false", "--creds", writer, ref+":docker")
	decodeJSON(t, raw, &list)
	r := env.Must(t, 200, "GET", "/v2/images/team/app/manifests/docker", env.AdminToken, nil)
	if list.MediaType != "application/vnd.docker.distribution.manifest.list.v2+json" || len(list.Manifests) != 2 ||
		string(r.Body) != strings.TrimSuffix(raw, "\n") || r.Header.Get("Content-Type") != list.MediaType {
		t.Fatalf("the v2s2 copy: inspect %s; GET %s %s", raw, r.Header.Get("Content-Type"), r.Body)
	}
	for i, layer := range []string{amd.layer, arm.layer} {
		var m struct {
			MediaType string
			Config    struct{ MediaType string }
			Layers    []struct{ MediaType, Digest string }
		}
		r := env.Must(t, 200, "GET", "/v2/images/team/app/manifests/"+list.Manifests[i].Digest, env.AdminToken, nil)
		decodeJSON(t, string(r.Body), &m)
		if m.MediaType != list.Manifests[i].MediaType || m.MediaType != "application/vnd.docker.distribution.manifest.v2+json" ||
			r.Header.Get("Content-Type") != m.MediaType || m.Config.MediaType != "application/vnd.docker.container.image.v1+json" ||
			len(m.Layers) != 1 || m.Layers[0].Digest != layer || m.Layers[0].MediaType != "application/vnd.docker.image.rootfs.diff.tar.gzip" {
			t.Errorf("schema 2 manifest %d of the list (%s): %s", i, r.Header.Get("Content-Type"), r.Body)
		}
	}
	if tags := skopeoTags(t, skopeo, writer, ref); !slices.Equal(tags, []string{"docker", "solo", "v1"}) {
		t.Errorf("list-tags: %v, want [docker solo v1]", tags)
	}
	if out := skopeo.fails("inspect", "--raw", "--tls-verify=false", "--no-creds", ref+":v1"); !strings.Contains(strings.ToLower(out), "unauthorized") {
		t.Errorf("inspect without credentials: %s, want unauthorized", out)
	}

	// Deleting a manifest needs admin: skopeo resolves the tag, then
	// DELETEs the digest.
	if out := skopeo.fails("delete", "--tls-verify=false", "--creds", writer, ref+":solo"); !strings.Contains(strings.ToLower(out), "denied") {
		t.Errorf("delete by a writer: %s, want a denial", out)
	}
	skopeo.must("delete", "--tls-verify=false", "--creds", admin, ref+":solo")
	if r := env.Do(t, "GET", "/v2/images/team/app/manifests/"+solo.digest(), env.AdminToken, nil); r.Status != 404 {
		t.Errorf("the deleted manifest: %d %s", r.Status, r.Body)
	}
	skopeo.fails("inspect", "--raw", "--tls-verify=false", "--creds", writer, ref+":solo")
	if tags := skopeoTags(t, skopeo, writer, ref); !slices.Equal(tags, []string{"docker", "v1"}) {
		t.Errorf("list-tags after the delete: %v, want [docker v1]", tags)
	}
	again := filepath.Join(t.TempDir(), "again")
	skopeoCopy(skopeo, writer, ref+":v1", "oci:"+again+":v1")
	checkLayout(t, again, "v1", idx)
}

// TestSkopeoVirtual: skopeo pushes through a virtual repository, which
// stores the image in its deployTo member, and pulls through it both that
// image and one only its second member has; list-tags is the union.
func TestSkopeoVirtual(t *testing.T) {
	skopeo := newSkopeo(t)
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "images", map[string]any{"format": "oci"})
	env.CreateRepo(t, "base", map[string]any{"format": "oci"})
	env.CreateRepo(t, "all", map[string]any{"format": "oci", "type": "virtual", "members": []string{"images", "base"},
		"settings": map[string]any{"deployTo": "images"}})
	creds := "ci:" + env.Token(t, "ci", "repo:all:write", "repo:images:write", "repo:base:write")
	idx := indexOf(t, platformImage(t, "linux", "amd64", "virtual"), platformImage(t, "linux", "arm64", "virtual"))
	old := platformImage(t, "linux", "amd64", "base image")
	src := t.TempDir()
	writeLayout(t, src, map[string]testImage{"v1": idx, "v0": old})
	host := hostOf(env)

	skopeoCopy(skopeo, creds, "oci:"+src+":v1", "docker://"+host+"/all/team/app:v1")
	checkManifest(t, env, env.AdminToken, "images/team/app", "v1", idx)
	skopeoCopy(skopeo, creds, "oci:"+src+":v0", "docker://"+host+"/base/team/app:v0")

	for tag, want := range map[string]testImage{"v1": idx, "v0": old} {
		dir := filepath.Join(t.TempDir(), tag)
		skopeoCopy(skopeo, creds, "docker://"+host+"/all/team/app:"+tag, "oci:"+dir+":"+tag)
		checkLayout(t, dir, tag, want)
	}
	if tags := skopeoTags(t, skopeo, creds, "docker://"+host+"/all/team/app"); !slices.Equal(tags, []string{"v0", "v1"}) {
		t.Errorf("list-tags through the virtual repository: %v, want [v0 v1]", tags)
	}
}

// TestSkopeoRemote: a remote repository whose upstream is a second node
// (which challenges with Bearer, answered with the repository's stored
// credentials): skopeo pulls a multi-arch image through it with every
// digest unchanged, and pulls it again by digest from the cache once the
// upstream is gone.
func TestSkopeoRemote(t *testing.T) {
	skopeo := newSkopeo(t)
	up := servertest.Start(t, servertest.Backends()[0])
	up.CreateRepo(t, "images", map[string]any{"format": "oci"})
	amd := platformImage(t, "linux", "amd64", "upstream")
	idx := indexOf(t, amd, platformImage(t, "linux", "arm64", "upstream"))
	src := t.TempDir()
	writeLayout(t, src, map[string]testImage{"v1": idx})
	skopeoCopy(skopeo, "ci:"+up.Token(t, "ci", "repo:images:write"), "oci:"+src+":v1", "docker://"+hostOf(up)+"/images/team/app:v1")

	proxy := servertest.NewUpstreamProxy(t, up.URL)
	edge := startRemote(t, proxy.URL+"/images", nil)
	edge.Must(t, 200, "PUT", "/v1/repos/hub/upstream-credentials", edge.AdminToken,
		map[string]any{"scheme": "basic", "username": "mirror", "secret": up.Token(t, "mirror", "repo:images:read")})
	creds := "dev:" + edge.Token(t, "dev", "repo:hub:read")
	ref := "docker://" + hostOf(edge) + "/hub/team/app"

	pulled := filepath.Join(t.TempDir(), "pulled")
	skopeoCopy(skopeo, creds, ref+":v1", "oci:"+pulled+":v1")
	checkLayout(t, pulled, "v1", idx)
	if raw := skopeo.must("inspect", "--raw", "--tls-verify=false", "--creds", creds, ref+"@"+amd.digest()); strings.TrimSuffix(raw, "\n") != string(amd.manifest) {
		t.Errorf("inspect --raw through the remote: %s, want %s", raw, amd.manifest)
	}
	if tags := skopeoTags(t, skopeo, creds, ref); !slices.Equal(tags, []string{"v1"}) {
		t.Errorf("list-tags through the remote: %v, want [v1]", tags)
	}
	if out := skopeo.fails("delete", "--tls-verify=false", "--creds", "admin:"+edge.AdminToken, ref+"@"+idx.digest()); !strings.Contains(out, "405") && !strings.Contains(strings.ToLower(out), "unsupported") {
		t.Errorf("delete through a remote repository: %s, want 405 UNSUPPORTED", out)
	}

	proxy.SetAlive(false)
	cached := filepath.Join(t.TempDir(), "cached")
	skopeoCopy(skopeo, creds, ref+"@"+idx.digest(), "oci:"+cached)
	checkLayout(t, cached, "", idx)
	if !bytes.Equal(edge.Must(t, 200, "GET", "/v2/hub/team/app/blobs/"+amd.layer, edge.AdminToken, nil).Body, amd.blobs[amd.layer]) {
		t.Errorf("the cached layer differs")
	}
}

// TestOras: oras logs in (credentials stored in its DOCKER_CONFIG),
// pushes an artifact with an annotation, attaches a signature-like
// referrer (through the referrers API: no fallback tag appears),
// discovers it, pulls both back byte for byte, fetches and tags the
// manifest, copies it with its referrer to another image, and deletes:
// refused to a writer, done by an admin.
func TestOras(t *testing.T) {
	oras := newOCIClient(t, "oras")
	t.Logf("client: oras %s", strings.TrimPrefix(oras.version("version"), "Version: "))
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "images", map[string]any{"format": "oci"})
	writer := env.Token(t, "ci", "repo:images:write")
	admin := env.Token(t, "ops", "repo:images:admin")
	host := hostOf(env)
	ref := host + "/images/team/artifact"

	oras.mustIn("", writer, "login", "--plain-http", "-u", "ci", "--password-stdin", host)
	if cfg, err := os.ReadFile(filepath.Join(oras.home, ".docker", "config.json")); err != nil || !strings.Contains(string(cfg), host) {
		t.Fatalf("oras login stored no credentials for %s in DOCKER_CONFIG: %v %s", host, err, cfg)
	}

	files := map[string][]byte{"readme.md": []byte("# an artifact\n"), "data.bin": {0, 1, 2, 0xfe, 0xff, '\n'}}
	out := oras.mustIn(writeFiles(t, files), "", "push", "--plain-http", "--format", "json", "--artifact-type", "application/vnd.example.docs.v1",
		"--annotation", "org.example.owner=team-a", ref+":v1", "readme.md:text/markdown", "data.bin")
	var pushed orasDescriptor
	decodeJSON(t, out, &pushed)
	r := env.Must(t, 200, "GET", "/v2/images/team/artifact/manifests/v1", writer, nil)
	var m struct {
		MediaType, ArtifactType string
		Config                  struct{ MediaType string }
		Layers                  []orasDescriptor
		Annotations             map[string]string
	}
	decodeJSON(t, string(r.Body), &m)
	if r.Header.Get("Docker-Content-Digest") != pushed.Digest || digestOf(r.Body) != pushed.Digest || m.MediaType != mtManifest ||
		m.ArtifactType != "application/vnd.example.docs.v1" || m.Annotations["org.example.owner"] != "team-a" || len(m.Layers) != 2 {
		t.Fatalf("the pushed manifest (oras said %+v): %s", pushed, r.Body)
	}
	for _, l := range m.Layers {
		title := l.Annotations["org.opencontainers.image.title"]
		if l.Digest != digestOf(files[title]) || l.Size != int64(len(files[title])) {
			t.Errorf("layer %+v does not describe %s", l, title)
		}
	}

	sig := map[string][]byte{"sig.json": []byte(`{"signed":"` + pushed.Digest + `"}`)}
	out = oras.mustIn(writeFiles(t, sig), "", "attach", "--plain-http", "--format", "json", "--artifact-type", "application/vnd.example.signature.v1",
		"--annotation", "org.example.signer=ci", ref+":v1", "sig.json:application/json")
	var attached orasDescriptor
	decodeJSON(t, out, &attached)
	var found orasDescriptor
	decodeJSON(t, oras.must("discover", "--plain-http", "--format", "json", ref+":v1"), &found)
	if found.Digest != pushed.Digest || len(found.Referrers) != 1 || found.Referrers[0].Digest != attached.Digest ||
		found.Referrers[0].ArtifactType != "application/vnd.example.signature.v1" || found.Referrers[0].Annotations["org.example.signer"] != "ci" {
		t.Errorf("discover: %+v, want the signature %s", found, attached.Digest)
	}
	decodeJSON(t, oras.must("discover", "--plain-http", "--format", "json", "--artifact-type", "application/vnd.example.other", ref+":v1"), &found)
	if len(found.Referrers) != 0 {
		t.Errorf("discover filtered on another artifact type: %+v", found.Referrers)
	}

	pulled := t.TempDir()
	oras.must("pull", "--plain-http", "-o", pulled, ref+":v1")
	checkFiles(t, pulled, files)
	sigPulled := t.TempDir()
	oras.must("pull", "--plain-http", "-o", sigPulled, ref+"@"+attached.Digest)
	checkFiles(t, sigPulled, sig)

	if got := oras.must("manifest", "fetch", "--plain-http", ref+":v1"); got != string(r.Body) {
		t.Errorf("manifest fetch: %s, want %s", got, r.Body)
	}
	var desc orasDescriptor
	decodeJSON(t, oras.must("manifest", "fetch", "--plain-http", "--descriptor", ref+":v1"), &desc)
	if desc.Digest != pushed.Digest || desc.MediaType != mtManifest || desc.Size != int64(len(r.Body)) {
		t.Errorf("manifest fetch --descriptor: %+v", desc)
	}

	oras.must("tag", "--plain-http", ref+":v1", "v2", "stable")
	if tags := tagsOf(t, env, writer, "images/team/artifact"); !slices.Equal(tags, []string{"stable", "v1", "v2"}) {
		t.Errorf("tags: %v, want [stable v1 v2] (no referrers fallback tag)", tags)
	}
	if got := strings.Fields(oras.must("repo", "tags", "--plain-http", ref)); !slices.Equal(got, []string{"stable", "v1", "v2"}) {
		t.Errorf("repo tags: %v", got)
	}

	oras.must("cp", "-r", "--from-plain-http", "--to-plain-http", ref+":v1", host+"/images/team/copy:v1")
	// repo ls reads _catalog and keeps the names under the namespace given.
	if got := strings.Fields(oras.must("repo", "ls", "--plain-http", host+"/images/team")); !slices.Equal(got, []string{"artifact", "copy"}) {
		t.Errorf("repo ls: %v, want [artifact copy]", got)
	}
	decodeJSON(t, oras.must("discover", "--plain-http", "--format", "json", host+"/images/team/copy:v1"), &found)
	if found.Digest != pushed.Digest || len(found.Referrers) != 1 || found.Referrers[0].Digest != attached.Digest {
		t.Errorf("discover on the recursive copy: %+v", found)
	}

	if out := oras.fails("manifest", "delete", "--plain-http", "--force", ref+"@"+attached.Digest); !strings.Contains(out, "denied") {
		t.Errorf("manifest delete by a writer: %s, want a denial", out)
	}
	oras.must("manifest", "delete", "--plain-http", "--force", "-u", "ops", "-p", admin, ref+"@"+attached.Digest)
	decodeJSON(t, oras.must("discover", "--plain-http", "--format", "json", ref+":v1"), &found)
	if len(found.Referrers) != 0 {
		t.Errorf("discover after the signature's delete: %+v", found.Referrers)
	}
	oras.must("manifest", "delete", "--plain-http", "--force", "-u", "ops", "-p", admin, ref+":v2")
	if r := env.Do(t, "GET", "/v2/images/team/artifact/manifests/v1", writer, nil); r.Status != 404 {
		t.Errorf("v1 after its manifest was deleted through v2: %d %s", r.Status, r.Body)
	}
	oras.fails("manifest", "fetch", "--plain-http", ref+":stable")
	if cp := env.Must(t, 200, "GET", "/v2/images/team/copy/manifests/v1", writer, nil); !bytes.Equal(cp.Body, r.Body) {
		t.Errorf("the copy after the source's delete: %s", cp.Body)
	}

	oras.must("logout", host)
	if cfg, err := os.ReadFile(filepath.Join(oras.home, ".docker", "config.json")); err != nil || strings.Contains(string(cfg), host) {
		t.Errorf("oras logout left credentials for %s: %v %s", host, err, cfg)
	}
	oras.fails("manifest", "fetch", "--plain-http", host+"/images/team/copy:v1")
}

// TestOrasVirtualAndRemote: oras pushes and attaches a signature through a
// virtual repository (stored in its deployTo member) and discovers it
// there; a remote repository whose upstream is that node proxies the
// referrers API, and oras pulls the signature through it and copies the
// artifact with its referrer back into a local repository.
func TestOrasVirtualAndRemote(t *testing.T) {
	oras := newOCIClient(t, "oras")
	up := servertest.Start(t, servertest.Backends()[0])
	up.CreateRepo(t, "images", map[string]any{"format": "oci"})
	up.CreateRepo(t, "copies", map[string]any{"format": "oci"})
	up.CreateRepo(t, "all", map[string]any{"format": "oci", "type": "virtual", "members": []string{"images"}, "settings": map[string]any{"deployTo": "images"}})
	upToken := up.Token(t, "ci", "repo:all:write", "repo:images:write", "repo:copies:write")
	upCreds := []string{"--plain-http", "-u", "ci", "-p", upToken}
	orasOn := func(dir string, sub []string, creds []string, rest ...string) string {
		t.Helper()
		return oras.mustIn(dir, "", slices.Concat(sub, creds, rest)...)
	}
	files := map[string][]byte{"notes.txt": []byte("through a virtual repository\n")}
	sig := map[string][]byte{"sig.json": []byte(`{"signature":"of the notes"}`)}
	virtual := hostOf(up) + "/all/team/notes"
	var pushed, attached, found orasDescriptor
	decodeJSON(t, orasOn(writeFiles(t, files), []string{"push"}, upCreds, "--format", "json", virtual+":v1", "notes.txt"), &pushed)
	decodeJSON(t, orasOn(writeFiles(t, sig), []string{"attach"}, upCreds, "--format", "json", "--artifact-type", "application/vnd.example.signature.v1",
		virtual+":v1", "sig.json"), &attached)
	for _, name := range []string{virtual, hostOf(up) + "/images/team/notes"} {
		decodeJSON(t, orasOn("", []string{"discover"}, upCreds, "--format", "json", name+":v1"), &found)
		if found.Digest != pushed.Digest || len(found.Referrers) != 1 || found.Referrers[0].Digest != attached.Digest {
			t.Errorf("discover %s: %+v, want the signature %s", name, found, attached.Digest)
		}
	}

	edge := startRemote(t, up.URL+"/images", nil)
	edge.Must(t, 200, "PUT", "/v1/repos/hub/upstream-credentials", edge.AdminToken,
		map[string]any{"scheme": "basic", "username": "mirror", "secret": up.Token(t, "mirror", "repo:images:read")})
	edgeToken := edge.Token(t, "dev", "repo:hub:read")
	edgeCreds := []string{"--plain-http", "-u", "dev", "-p", edgeToken}
	remote := hostOf(edge) + "/hub/team/notes"
	decodeJSON(t, orasOn("", []string{"discover"}, edgeCreds, "--format", "json", "--artifact-type", "application/vnd.example.signature.v1", remote+":v1"), &found)
	if found.Digest != pushed.Digest || len(found.Referrers) != 1 || found.Referrers[0].Digest != attached.Digest {
		t.Errorf("discover through the remote: %+v, want the signature %s", found, attached.Digest)
	}
	pulled := t.TempDir()
	orasOn("", []string{"pull"}, edgeCreds, "-o", pulled, remote+"@"+attached.Digest)
	checkFiles(t, pulled, sig)

	t.Run("copy out of the remote", func(t *testing.T) {
		args := slices.Concat([]string{"cp", "-r", "--from-plain-http", "--to-plain-http", "--from-username", "dev", "--from-password", edgeToken,
			"--to-username", "ci", "--to-password", upToken}, []string{remote + ":v1", hostOf(up) + "/copies/notes:v1"})
		out, errOut, err := oras.run("", "", args...)
		// oras cp fetches the empty config ({"data":"e30="}) through the
		// remote: descriptors with embedded data are served like others.
		if err != nil {
			t.Fatalf("oras cp -r out of the remote: %v\n%s%s", err, out, errOut)
		}
		decodeJSON(t, orasOn("", []string{"discover"}, upCreds, "--format", "json", hostOf(up)+"/copies/notes:v1"), &found)
		if found.Digest != pushed.Digest || len(found.Referrers) != 1 || found.Referrers[0].Digest != attached.Digest {
			t.Errorf("discover on the copy out of the remote: %+v", found)
		}
	})
}

// The media types Helm gives a chart stored as OCI.
const (
	helmConfigType = "application/vnd.cncf.helm.config.v1+json"
	helmChartType  = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
)

// TestHelmChartOras: a Helm chart (a .tgz built here) pushed by oras with
// Helm's media types — the manifest Helm itself writes: the chart's
// metadata as the config, the archive as the only layer, no artifactType
// — is stored as such and pulled back byte for byte.
func TestHelmChartOras(t *testing.T) {
	oras := newOCIClient(t, "oras")
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "charts", map[string]any{"format": "oci"})
	creds := []string{"--plain-http", "-u", "ci", "-p", env.Token(t, "ci", "repo:charts:write")}
	chart, _ := tarGz(t, map[string]string{
		"mychart/Chart.yaml":  "apiVersion: v2\nname: mychart\nversion: 0.1.0\ndescription: A chart of the client tests\ntype: application\n",
		"mychart/values.yaml": "greeting: hello\n",
		"mychart/templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-greeting\n" +
			"data:\n  greeting: {{ .Values.greeting | quote }}\n",
	})
	config := []byte(`{"name":"mychart","version":"0.1.0","description":"A chart of the client tests","apiVersion":"v2","type":"application"}`)
	files := map[string][]byte{"mychart-0.1.0.tgz": chart, "config.json": config}
	ref := hostOf(env) + "/charts/mychart:0.1.0"

	oras.mustIn(writeFiles(t, files), "", slices.Concat([]string{"push"}, creds, []string{"--config", "config.json:" + helmConfigType, ref, "mychart-0.1.0.tgz:" + helmChartType})...)
	r := env.Must(t, 200, "GET", "/v2/charts/mychart/manifests/0.1.0", env.AdminToken, nil)
	var m struct {
		SchemaVersion           int
		MediaType, ArtifactType string
		Config                  orasDescriptor
		Layers                  []orasDescriptor
	}
	decodeJSON(t, string(r.Body), &m)
	if m.SchemaVersion != 2 || m.MediaType != mtManifest || r.Header.Get("Content-Type") != mtManifest || m.ArtifactType != "" ||
		m.Config.MediaType != helmConfigType || m.Config.Digest != digestOf(config) || m.Config.Size != int64(len(config)) ||
		len(m.Layers) != 1 || m.Layers[0].MediaType != helmChartType || m.Layers[0].Digest != digestOf(chart) || m.Layers[0].Size != int64(len(chart)) {
		t.Fatalf("the chart's manifest (%s): %s", r.Header.Get("Content-Type"), r.Body)
	}
	if tags := tagsOf(t, env, env.AdminToken, "charts/mychart"); !slices.Equal(tags, []string{"0.1.0"}) {
		t.Errorf("tags: %v", tags)
	}

	pulled := t.TempDir()
	oras.must(slices.Concat([]string{"pull"}, creds, []string{"-o", pulled, ref})...)
	checkFiles(t, pulled, map[string][]byte{"mychart-0.1.0.tgz": chart})
	if got := oras.must(slices.Concat([]string{"manifest", "fetch-config"}, creds, []string{ref})...); got != string(config) {
		t.Errorf("manifest fetch-config: %s, want %s", got, config)
	}
	if b := env.Must(t, 200, "GET", "/v2/charts/mychart/blobs/"+digestOf(chart), env.AdminToken, nil).Body; !bytes.Equal(b, chart) {
		t.Errorf("the chart blob differs")
	}
}

// TestCrane: crane logs in (DOCKER_CONFIG), pushes a multi-arch index and
// a single image from OCI layouts, and reads them back: digest (of the
// index and of one platform), manifest, config, blob, ls, pull into a
// layout with every digest unchanged; copies to another repository, tags,
// and deletes a tag (a writer may) and a manifest (an admin only).
func TestCrane(t *testing.T) {
	crane := newOCIClient(t, "crane")
	t.Logf("client: crane %s", crane.version("version"))
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "images", map[string]any{"format": "oci"})
	env.CreateRepo(t, "mirror", map[string]any{"format": "oci"})
	host := hostOf(env)
	crane.mustIn("", env.Token(t, "ci", "repo:images:write", "repo:mirror:write"), "auth", "login", host, "-u", "ci", "--password-stdin")
	amd, arm := platformImage(t, "linux", "amd64", "crane"), platformImage(t, "linux", "arm64", "crane")
	idx, solo := indexOf(t, amd, arm), platformImage(t, "linux", "amd64", "solo")
	src, soloSrc := t.TempDir(), t.TempDir()
	writeLayout(t, src, map[string]testImage{"v1": idx})
	writeLayout(t, soloSrc, map[string]testImage{"solo": solo})
	ref := host + "/images/team/app"

	if out := strings.TrimSpace(crane.must("push", "--insecure", src, ref+":v1")); out != ref+"@"+idx.digest() {
		t.Errorf("crane push printed %q, want %s", out, ref+"@"+idx.digest())
	}
	crane.must("push", "--insecure", soloSrc, ref+":solo")
	checkManifest(t, env, env.AdminToken, "images/team/app", "v1", idx)
	checkManifest(t, env, env.AdminToken, "images/team/app", "solo", solo)

	for args, want := range map[[2]string]string{{"--platform", "all"}: idx.digest(), {"--platform", "linux/arm64"}: arm.digest()} {
		if got := strings.TrimSpace(crane.must("digest", "--insecure", args[0], args[1], ref+":v1")); got != want {
			t.Errorf("crane digest %s: %s, want %s", args[1], got, want)
		}
	}
	if got := crane.must("manifest", "--insecure", ref+":v1"); got != string(idx.manifest) {
		t.Errorf("crane manifest: %s, want %s", got, idx.manifest)
	}
	var am struct{ Config struct{ Digest string } }
	decodeJSON(t, string(amd.manifest), &am)
	if got := crane.must("config", "--insecure", "--platform", "linux/amd64", ref+":v1"); got != string(amd.blobs[am.Config.Digest]) {
		t.Errorf("crane config for linux/amd64: %s", got)
	}
	if got := crane.must("blob", "--insecure", ref+"@"+arm.layer); got != string(arm.blobs[arm.layer]) {
		t.Errorf("crane blob of the arm64 layer: %d bytes, want %d", len(got), len(arm.blobs[arm.layer]))
	}
	if got := strings.Fields(crane.must("ls", "--insecure", ref)); !slices.Equal(got, []string{"solo", "v1"}) {
		t.Errorf("crane ls: %v, want [solo v1]", got)
	}

	pulled := filepath.Join(t.TempDir(), "pulled")
	crane.must("pull", "--insecure", "--format", "oci", ref+":v1", pulled)
	checkLayout(t, pulled, "", idx)

	// Another repository of the same registry: crane mounts every blob.
	crane.must("copy", "--insecure", ref+":v1", host+"/mirror/app:v1")
	checkManifest(t, env, env.AdminToken, "mirror/app", "v1", idx)
	checkManifest(t, env, env.AdminToken, "mirror/app", arm.digest(), arm)
	if n := logged(t, env, "POST", "/v2/mirror/app/blobs/uploads/", 201); n != 4 {
		t.Errorf("%d uploads to mirror/app answered 201 at once, want the 4 blobs mounted", n)
	}
	if got := strings.Fields(crane.must("catalog", "--insecure", host)); !slices.Equal(got, []string{"images/team/app", "mirror/app"}) {
		t.Errorf("crane catalog: %v", got)
	}
	crane.must("tag", "--insecure", ref+":v1", "v2")
	if got := strings.Fields(crane.must("ls", "--insecure", ref)); !slices.Equal(got, []string{"solo", "v1", "v2"}) {
		t.Errorf("crane ls after tag: %v, want [solo v1 v2]", got)
	}

	// crane deletes what it is given: a tag (write) or a digest (admin).
	crane.must("delete", "--insecure", ref+":v2")
	if out := crane.fails("delete", "--insecure", ref+"@"+solo.digest()); !strings.Contains(out, "DENIED") {
		t.Errorf("crane delete of a manifest by a writer: %s, want DENIED", out)
	}
	crane.mustIn("", env.Token(t, "ops", "repo:images:admin"), "auth", "login", host, "-u", "ops", "--password-stdin")
	crane.must("delete", "--insecure", ref+"@"+solo.digest())
	if got := strings.Fields(crane.must("ls", "--insecure", ref)); !slices.Equal(got, []string{"v1"}) {
		t.Errorf("crane ls after the deletes: %v, want [v1]", got)
	}
	checkManifest(t, env, env.AdminToken, "images/team/app", "v1", idx)
}

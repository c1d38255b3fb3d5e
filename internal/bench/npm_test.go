package bench

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/artifortress/artifortress/internal/config"
)

// TestNPMPublishBody: the body is the JSON npm publish sends, its keys in
// npm's order with _attachments last, and its digests and attachment are
// those of the tarball.
func TestNPMPublishBody(t *testing.T) {
	tgz := npmTarball(3, 1)
	url := "http://127.0.0.1:1/r/x/bench-pkg-003/-/bench-pkg-003-1.1.0.tgz"
	body := npmPublishBody("bench-pkg-003", "1.1.0", url, tgz)

	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("body does not start with an object: %v %v", tok, err)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := strings.Join(keys, ","), "_id,name,description,dist-tags,versions,_attachments"; got != want {
		t.Fatalf("keys %s, want %s", got, want)
	}

	var doc struct {
		ID       string            `json:"_id"`
		Name     string            `json:"name"`
		DistTags map[string]string `json:"dist-tags"`
		Versions map[string]struct {
			Name, Version string
			Dist          struct{ Integrity, Shasum, Tarball string }
		}
		Attachments map[string]struct {
			Data   string
			Length int
		} `json:"_attachments"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.ID != "bench-pkg-003" || doc.Name != "bench-pkg-003" || doc.DistTags["latest"] != "1.1.0" {
		t.Fatalf("document %+v", doc)
	}
	v, ok := doc.Versions["1.1.0"]
	if !ok || len(doc.Versions) != 1 || v.Name != "bench-pkg-003" || v.Version != "1.1.0" || v.Dist.Tarball != url {
		t.Fatalf("versions %+v", doc.Versions)
	}
	s1, s512 := sha1.Sum(tgz), sha512.Sum512(tgz)
	if v.Dist.Shasum != hex.EncodeToString(s1[:]) || v.Dist.Integrity != "sha512-"+base64.StdEncoding.EncodeToString(s512[:]) {
		t.Fatalf("dist %+v", v.Dist)
	}
	a, ok := doc.Attachments["bench-pkg-003-1.1.0.tgz"]
	if !ok || len(doc.Attachments) != 1 || a.Length != len(tgz) {
		t.Fatalf("attachments %+v", doc.Attachments)
	}
	if data, err := base64.StdEncoding.DecodeString(a.Data); err != nil || !bytes.Equal(data, tgz) {
		t.Fatalf("attachment data does not decode to the tarball: %v", err)
	}
}

// TestNPMTarball: tarballs are 4–16 KiB, the same on every call, and
// differ between packages and versions.
func TestNPMTarball(t *testing.T) {
	seen := map[string]bool{}
	for p := range 20 {
		for v := range 3 {
			b := npmTarball(p, v)
			if len(b) < 4<<10 || len(b) > 16<<10 {
				t.Fatalf("tarball %d/%d: %d bytes", p, v, len(b))
			}
			if !bytes.Equal(b, npmTarball(p, v)) {
				t.Fatalf("tarball %d/%d differs between calls", p, v)
			}
			if seen[string(b)] {
				t.Fatalf("tarball %d/%d repeats another", p, v)
			}
			seen[string(b)] = true
		}
	}
}

// TestNPMLoads: every request names a published package (and version),
// tarball requests expect that tarball's length, and the picks spread
// over the packages.
func TestNPMLoads(t *testing.T) {
	const packages, versions = 7, 3
	loads := npmLoads(packages, versions, func(p, v int) int64 { return int64(100*p + v) })
	if len(loads) != 3 || loads[0].accept != "application/json" || !strings.Contains(loads[1].accept, "application/vnd.npm.install-v1+json") {
		t.Fatalf("loads %+v", loads)
	}
	hit := map[string]bool{}
	for i := range 1000 {
		path, want := loads[0].path(i)
		if want != -1 || !strings.HasPrefix(path, "/bench-pkg-00") {
			t.Fatalf("packument %d: %s %d", i, path, want)
		}
		hit[path] = true
		path, want = loads[2].path(i)
		var p, v int
		if n, err := fmt.Sscanf(path, "/bench-pkg-%d/-/bench-pkg-%d-1.%d.0.tgz", &p, &p, &v); err != nil || n != 3 {
			t.Fatalf("tarball path %q: %v", path, err)
		}
		if p >= packages || v >= versions || want != int64(100*p+v) {
			t.Fatalf("tarball %q wants %d bytes", path, want)
		}
	}
	if len(hit) != packages {
		t.Fatalf("1000 picks reached %d of %d packages", len(hit), packages)
	}
}

// TestVerdaccioConfig: the rendered config.yaml parses, keeps storage and
// users in the given directory, has no uplinks, lets anyone read and a
// logged-in user publish, and listens where asked, even for a directory
// whose name YAML would otherwise misread.
func TestVerdaccioConfig(t *testing.T) {
	dir := "/tmp/a dir: with # odd 'chars\""
	var cfg struct {
		Storage string
		Auth    struct {
			Htpasswd struct {
				File     string
				MaxUsers int `yaml:"max_users"`
			}
		}
		Uplinks  map[string]any
		Packages map[string]struct{ Access, Publish string }
		Listen   string
		Web      struct{ Enable bool }
		Log      struct{ Type, Level string }
	}
	if err := yaml.Unmarshal([]byte(verdaccioConfig(dir, "127.0.0.1:4873")), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Storage != filepath.Join(dir, "storage") || cfg.Auth.Htpasswd.File != filepath.Join(dir, "htpasswd") || cfg.Auth.Htpasswd.MaxUsers != 1000 {
		t.Fatalf("storage/auth %+v", cfg)
	}
	if len(cfg.Uplinks) != 0 || len(cfg.Packages) != 1 || cfg.Packages["**"].Access != "$all" || cfg.Packages["**"].Publish != "$authenticated" {
		t.Fatalf("uplinks/packages %+v %+v", cfg.Uplinks, cfg.Packages)
	}
	if cfg.Listen != "127.0.0.1:4873" || cfg.Web.Enable || cfg.Log.Level != "warn" {
		t.Fatalf("listen/web/log %+v", cfg)
	}
}

// TestNPMVerdict: the metadata target is judged on the worst packument
// row only; tarball rows and runs without a peer are not judged.
func TestNPMVerdict(t *testing.T) {
	cell := func(ops int) result { return result{ops: ops, bytes: int64(ops) * 10, wall: time.Second} }
	rows := []npmRow{
		{load: "packument (full)", metadata: true, conc: 1, ours: cell(600), peer: cell(100), hasPeer: true},
		{load: "packument (abbreviated)", metadata: true, conc: 16, ours: cell(900), peer: cell(200), hasPeer: true},
		{load: "tarball", conc: 1, ours: cell(100), peer: cell(100), hasPeer: true},
	}
	if v := npmVerdict(rows); !strings.Contains(v, "MISSED") || !strings.Contains(v, "4.5×") || !strings.Contains(v, "abbreviated") {
		t.Fatalf("verdict %q", v)
	}
	rows[1].ours = cell(1000)
	if v := npmVerdict(rows); !strings.Contains(v, "MET") || !strings.Contains(v, "5.0×") {
		t.Fatalf("verdict %q", v)
	}
	if b := npmBodySizes(rows); b != "Mean response body: packument (full) 10 B (Verdaccio 10 B), packument (abbreviated) 10 B (Verdaccio 10 B), tarball 10 B (Verdaccio 10 B)." {
		t.Fatalf("body sizes %q", b)
	}
	for i := range rows {
		rows[i].hasPeer = false
	}
	if v := npmVerdict(rows); !strings.Contains(v, "not judged") {
		t.Fatalf("verdict %q", v)
	}
	if s := rows[0].String(); !strings.Contains(s, "600") || strings.Count(s, "-") != 4 {
		t.Fatalf("row without a peer: %q", s)
	}
}

// TestNPMBenchNoPeer runs the whole benchmark, small and short, against
// the in-process node alone: publish, warm-up and every cell. No timing
// is judged.
func TestNPMBenchNoPeer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opt := NPMOptions{Packages: 5, Versions: 2, Concurrency: []int{1, 4}, Duration: 100 * time.Millisecond}
	var out bytes.Buffer
	if err := NPM(ctx, config.Defaults(), t.TempDir(), opt, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{"5 packages × 2 versions", "publish to artifortress: 10 versions", "packument (full)", "packument (abbreviated)", "tarball", "Mean response body: packument (full)", "not judged", "CPU pressure at end"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if got := strings.Count(s, "\n"); got < 12 {
		t.Errorf("output has %d lines:\n%s", got, s)
	}
}

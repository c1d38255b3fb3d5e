package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/testenv"
)

// TestOCIImage: the manifest is an OCI image manifest naming the config
// and every layer by their digests and sizes; images are the same on
// every call and differ between seeds, layer by layer.
func TestOCIImage(t *testing.T) {
	img := newOCIImage(7, 3, 1000)
	var doc ociManifestDoc
	if err := json.Unmarshal(img.manifest.body, &doc); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(img.manifest.body)
	if img.manifest.digest != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Fatalf("manifest digest %s", img.manifest.digest)
	}
	if doc.SchemaVersion != 2 || doc.MediaType != ociManifestType || doc.Config.MediaType != ociConfigType {
		t.Fatalf("manifest %s", img.manifest.body)
	}
	descs := append([]ociDescriptor{doc.Config}, doc.Layers...)
	blobs := append([]ociBlob{img.config}, img.layers...)
	if len(doc.Layers) != 3 {
		t.Fatalf("%d layers", len(doc.Layers))
	}
	for i, d := range descs {
		sum := sha256.Sum256(blobs[i].data)
		if d.Digest != blobs[i].digest || d.Digest != "sha256:"+hex.EncodeToString(sum[:]) || d.Size != int64(len(blobs[i].data)) {
			t.Fatalf("descriptor %d %+v does not name its blob", i, d)
		}
	}
	if img.bytes() != int64(len(img.config.data))+3000 {
		t.Fatalf("bytes %d", img.bytes())
	}
	if again := newOCIImage(7, 3, 1000); !bytes.Equal(again.manifest.body, img.manifest.body) {
		t.Fatal("the same seed made another image")
	}
	other := newOCIImage(8, 3, 1000)
	seen := map[string]bool{}
	for _, l := range append(img.layers, other.layers...) {
		if seen[l.digest] {
			t.Fatalf("layer %s repeats", l.digest)
		}
		seen[l.digest] = true
	}
	if other.config.digest == img.config.digest {
		t.Fatal("two seeds made the same config")
	}
}

// TestWithDigest: ?digest= joins the query an upload's Location already
// has (Distribution's _state) and works on path-absolute Locations.
func TestWithDigest(t *testing.T) {
	for loc, want := range map[string]string{
		"/v2/a/b/blobs/uploads/123":                         "/v2/a/b/blobs/uploads/123?digest=sha256%3Aab",
		"http://h:5000/v2/a/b/blobs/uploads/u?_state=x%3D1": "http://h:5000/v2/a/b/blobs/uploads/u?_state=x%3D1&digest=sha256%3Aab",
	} {
		if got, err := withDigest(loc, "sha256:ab"); err != nil || got != want {
			t.Errorf("withDigest(%q) = %q, %v; want %q", loc, got, err, want)
		}
	}
}

// TestDistributionConfig: the peer's config stores under the given
// directory with the in-memory blob descriptor cache, has no auth,
// listens where asked and logs no requests.
func TestDistributionConfig(t *testing.T) {
	b, err := distributionConfig("/tmp/x y", "127.0.0.1:5000")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Log struct {
			Level     string
			AccessLog struct{ Disabled bool } `yaml:"accesslog"`
		}
		Storage struct {
			Filesystem struct{ RootDirectory string } `yaml:"filesystem"`
			Cache      map[string]string
		}
		Auth map[string]any
		HTTP struct{ Addr, Secret string } `yaml:"http"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Storage.Filesystem.RootDirectory != filepath.Join("/tmp/x y", "storage") || cfg.Storage.Cache["blobdescriptor"] != "inmemory" {
		t.Fatalf("storage %+v", cfg.Storage)
	}
	if cfg.Auth != nil || cfg.HTTP.Addr != "127.0.0.1:5000" || cfg.HTTP.Secret == "" || !cfg.Log.AccessLog.Disabled || cfg.Log.Level != "warn" {
		t.Fatalf("config %s", b)
	}
}

// TestOCIVerdict: every figure with a peer is judged, MB/s rows by bytes
// and the others by operations; rows without a peer are not.
func TestOCIVerdict(t *testing.T) {
	cell := func(ops int, bytes int64) result { return result{ops: ops, bytes: bytes, wall: time.Second} }
	rows := []ociRow{
		{op: "layer push (POST, PATCH, PUT)", conc: 1, unit: "MB/s", res: [2]result{cell(10, 200e6), cell(10, 100e6)}},
		{op: "layer push (one POST ?digest=)", conc: 1, unit: "MB/s", res: [2]result{cell(10, 300e6), {}}, skip: [2]string{"", "202"}},
		{op: "manifest GET by tag", conc: 8, unit: "req/s", res: [2]result{cell(900, 1), cell(1000, 1e6)}},
	}
	if r := rows[0].ratio(); r != 2 {
		t.Fatalf("MB/s ratio %v", r)
	}
	if s := rows[1].String(); !strings.Contains(s, "300.0 MB/s") || !strings.HasSuffix(s, "-\t-\t-\t-\t") {
		t.Fatalf("row without a peer: %q", s)
	}
	if v := ociVerdict(rows); !strings.Contains(v, "MISSED on 1 of 2") || !strings.Contains(v, "manifest GET by tag at 8 (0.90×)") {
		t.Fatalf("verdict %q", v)
	}
	rows[2].res[0] = cell(1000, 1)
	if v := ociVerdict(rows); !strings.Contains(v, "MET on all 2") {
		t.Fatalf("verdict %q", v)
	}
	if v := ociVerdict(rows[1:2]); !strings.Contains(v, "not judged") {
		t.Fatalf("verdict %q", v)
	}
	if l := ociAgainstLimit(rows, 400, []string{"artifortress", "distribution"}); l != "Layer pushes against the ingest limit (400.0 MB/s): artifortress 50 – 75 %, distribution 25 – 25 %." {
		t.Fatalf("limit line %q", l)
	}
}

// TestOCIBench runs the whole benchmark, tiny and short, against the
// in-process node alone and beside CNCF Distribution (the registry binary
// scripts/test.sh installs; skipped without it, except in CI), and checks
// that every row is printed. No timing is judged.
func TestOCIBench(t *testing.T) {
	tiny := OCIOptions{
		Layers: 2, LayerSize: 64 << 10, LayerConcurrency: []int{1, 2},
		Manifests: 4, PushConcurrency: []int{1, 3},
		Concurrency: []int{1, 4}, Duration: 50 * time.Millisecond,
	}
	rows := []string{
		"layer push (POST, PATCH, PUT)", "layer push (POST, PUT with body)", "layer push (one POST ?digest=)",
		"image pull (manifest, config, layers)", "small blob push (POST, PATCH, PUT)", "manifest push (PUT by tag)",
		"manifest GET by tag", "manifest GET by digest", "blob HEAD",
	}
	for _, tc := range []struct {
		name string
		peer bool
		want []string
	}{
		{"alone", false, []string{"peer: none", "not judged"}},
		{"with Distribution", true, []string{"peer: CNCF Distribution v3.", "NO authentication", "distribution answers POST ?digest= with a session", "Target (at least as fast as Distribution on every figure): M"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := tiny
			if tc.peer {
				opt.Registry = testenv.Tool(t, DistributionTool)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			var out bytes.Buffer
			if err := OCI(ctx, config.Defaults(), t.TempDir(), opt, &out); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			s := out.String()
			for _, want := range append(tc.want, "an image of 2 × 64 KiB layers", "CPU pressure at end") {
				if !strings.Contains(s, want) {
					t.Errorf("output lacks %q:\n%s", want, s)
				}
			}
			for _, row := range rows {
				// Two concurrencies of every kind of row.
				if got := strings.Count(s, row+"  "); got != 2 {
					t.Errorf("row %q printed %d times, want 2:\n%s", row, got, s)
				}
			}
		})
	}
}

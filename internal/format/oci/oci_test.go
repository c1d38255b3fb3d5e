package oci

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/formattest"
)

var (
	d1 = "sha256:" + strings.Repeat("a", 64)
	d2 = "sha256:" + strings.Repeat("b", 64)
	d5 = "sha512:" + strings.Repeat("c", 128)
)

func TestParseName(t *testing.T) {
	tests := []struct {
		in, ns, name string
		valid        bool
	}{
		{"app", "", "app", true},
		{"team/app", "team", "app", true},
		{"org/team/sub/app", "org/team/sub", "app", true},
		{"a.b_c__d--e-f/x0", "a.b_c__d--e-f", "x0", true},
		{"library/ubuntu", "library", "ubuntu", true},
		{"0/1", "0", "1", true},
		{strings.Repeat("a", 255), "", strings.Repeat("a", 255), true},
		{"", "", "", false},
		{strings.Repeat("a", 256), "", "", false},
		{"Team/app", "", "", false},
		{"team/App", "", "", false},
		{"/app", "", "", false},
		{"app/", "", "", false},
		{"team//app", "", "", false},
		{"-app", "", "", false},
		{"app-", "", "", false},
		{"a..b", "", "", false},
		{"a___b", "", "", false},
		{"a._b", "", "", false},
		{"a:b", "", "", false},
		{"a b", "", "", false},
		{"../app", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ns, name, err := New().ParseName(tt.in)
			if !tt.valid {
				formattest.FieldError(t, err, "name")
				return
			}
			if err != nil || ns != tt.ns || name != tt.name {
				t.Fatalf("ParseName(%q) = %q, %q, %v; want %q, %q", tt.in, ns, name, err, tt.ns, tt.name)
			}
			if full := New().FullName(ns, name); full != tt.in {
				t.Fatalf("FullName = %q, want %q", full, tt.in)
			}
		})
	}
}

func TestValidateVersion(t *testing.T) {
	for _, v := range []string{d1, d5} {
		formattest.FieldError(t, New().ValidateVersion(v), "")
	}
	for _, v := range []string{
		"", "latest", "sha256:" + strings.Repeat("A", 64), "sha256:" + strings.Repeat("a", 63),
		"sha512:" + strings.Repeat("a", 64), "sha384:" + strings.Repeat("a", 96), "md5:" + strings.Repeat("a", 32),
		"sha256" + strings.Repeat("a", 64),
	} {
		formattest.FieldError(t, New().ValidateVersion(v), "version")
	}
}

func TestCompareVersions(t *testing.T) {
	formattest.Order(t, New().CompareVersions, []string{d1, d2, d5})
}

func desc(mt, digest string, size int) string {
	return `{"mediaType":"` + mt + `","digest":"` + digest + `","size":` + itoa(size) + `}`
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

const (
	layerMT  = "application/vnd.oci.image.layer.v1.tar+gzip"
	configMT = "application/vnd.oci.image.config.v1+json"
)

func TestValidateManifest(t *testing.T) {
	image := `{"schemaVersion":2,"mediaType":"` + MediaTypeImageManifest + `","config":` + desc(configMT, d1, 7) +
		`,"layers":[` + desc(layerMT, d2, 100) + `]}`
	tests := []struct {
		name, raw, field string
	}{
		{"oci image", image, ""},
		{"oci image, no mediaType", `{"schemaVersion":2,"config":` + desc(configMT, d1, 7) + `,"layers":[]}`, ""},
		{"docker image", `{"schemaVersion":2,"mediaType":"` + MediaTypeDockerManifest + `","config":` +
			desc("application/vnd.docker.container.image.v1+json", d1, 7) + `,"layers":[` +
			desc("application/vnd.docker.image.rootfs.diff.tar.gzip", d2, 3) + `]}`, ""},
		{"artifact with subject and annotations", `{"schemaVersion":2,"mediaType":"` + MediaTypeImageManifest +
			`","artifactType":"application/vnd.example.sbom+json","config":` +
			`{"mediaType":"application/vnd.oci.empty.v1+json","digest":"` + d1 + `","size":2,"data":"e30="}` +
			`,"layers":[` + desc(layerMT, d5, 0) + `],"subject":` + desc(MediaTypeImageManifest, d2, 500) +
			`,"annotations":{"org.opencontainers.image.created":"2024-01-01T00:00:00Z"}}`, ""},
		{"oci index", `{"schemaVersion":2,"mediaType":"` + MediaTypeImageIndex + `","manifests":[` +
			`{"mediaType":"` + MediaTypeImageManifest + `","digest":"` + d1 + `","size":1,"platform":{"architecture":"amd64","os":"linux","variant":"v3"}}` +
			`]}`, ""},
		{"oci index, no mediaType", `{"schemaVersion":2,"manifests":[]}`, ""},
		{"docker list", `{"schemaVersion":2,"mediaType":"` + MediaTypeDockerManifestList + `","manifests":[` +
			desc(MediaTypeDockerManifest, d1, 1) + `]}`, ""},

		{"not object", `[]`, "manifest"},
		{"schema 1", `{"schemaVersion":1,"name":"x"}`, "manifest.schemaVersion"},
		{"no schema", `{"config":{}}`, "manifest.schemaVersion"},
		{"schema string", `{"schemaVersion":"2"}`, "manifest.schemaVersion"},
		{"unknown media type", `{"schemaVersion":2,"mediaType":"application/json","config":{}}`, "manifest.mediaType"},
		{"nothing", `{"schemaVersion":2}`, "manifest.mediaType"},
		{"ambiguous", `{"schemaVersion":2,"manifests":[],"layers":[]}`, "manifest.mediaType"},
		{"index fields in image", `{"schemaVersion":2,"mediaType":"` + MediaTypeImageManifest + `","manifests":[]}`, "manifest.manifests"},
		{"image fields in index", `{"schemaVersion":2,"mediaType":"` + MediaTypeImageIndex + `","manifests":[],"config":{}}`, "manifest.config"},
		{"layers in docker list", `{"schemaVersion":2,"mediaType":"` + MediaTypeDockerManifestList + `","manifests":[],"layers":[]}`, "manifest.layers"},
		{"missing config", `{"schemaVersion":2,"mediaType":"` + MediaTypeImageManifest + `","layers":[]}`, "manifest.config"},
		{"missing layers", `{"schemaVersion":2,"mediaType":"` + MediaTypeImageManifest + `","config":` + desc(configMT, d1, 7) + `}`, "manifest.layers"},
		{"layers not array", `{"schemaVersion":2,"config":` + desc(configMT, d1, 7) + `,"layers":{}}`, "manifest.layers"},
		{"bad layer digest", `{"schemaVersion":2,"config":` + desc(configMT, d1, 7) + `,"layers":[` +
			desc(layerMT, d1, 1) + `,` + desc(layerMT, d2, 1) + `,` + desc(layerMT, "sha256:XYZ", 1) + `]}`, "manifest.layers[2].digest"},
		{"unknown digest algorithm", `{"schemaVersion":2,"config":` + desc(configMT, "md5:abc", 7) + `,"layers":[]}`, "manifest.config.digest"},
		{"negative size", `{"schemaVersion":2,"config":` + desc(configMT, d1, -1) + `,"layers":[]}`, "manifest.config.size"},
		{"fractional size", `{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"` + d1 + `","size":1.5},"layers":[]}`, "manifest.config.size"},
		{"missing size", `{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"` + d1 + `"},"layers":[]}`, "manifest.config.size"},
		{"missing mediaType", `{"schemaVersion":2,"config":{"digest":"` + d1 + `","size":1},"layers":[]}`, "manifest.config.mediaType"},
		{"bad descriptor mediaType", `{"schemaVersion":2,"config":` + desc("not a type", d1, 1) + `,"layers":[]}`, "manifest.config.mediaType"},
		{"layer not object", `{"schemaVersion":2,"config":` + desc(configMT, d1, 1) + `,"layers":["x"]}`, "manifest.layers[0]"},
		{"bad data", `{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"` + d1 + `","size":2,"data":"!!"},"layers":[]}`, "manifest.config.data"},
		{"data size mismatch", `{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"` + d1 + `","size":3,"data":"e30="},"layers":[]}`, "manifest.config.data"},
		{"bad annotations", `{"schemaVersion":2,"config":` + desc(configMT, d1, 1) + `,"layers":[],"annotations":{"a":1}}`, `manifest.annotations["a"]`},
		{"bad descriptor annotations", `{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"` + d1 + `","size":1,"annotations":[]},"layers":[]}`, "manifest.config.annotations"},
		{"bad artifactType", `{"schemaVersion":2,"artifactType":"x","config":` + desc(configMT, d1, 1) + `,"layers":[]}`, "manifest.artifactType"},
		{"bad subject", `{"schemaVersion":2,"config":` + desc(configMT, d1, 1) + `,"layers":[],"subject":{"mediaType":"a/b"}}`, "manifest.subject.digest"},
		{"bad urls", `{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"` + d1 + `","size":1,"urls":"x"},"layers":[]}`, "manifest.config.urls"},
		{"platform without os", `{"schemaVersion":2,"manifests":[{"mediaType":"a/b","digest":"` + d1 + `","size":1,"platform":{"architecture":"amd64"}}]}`, "manifest.manifests[0].platform.os"},
		{"index entry bad", `{"schemaVersion":2,"manifests":[` + desc("a/b", d1, 1) + `,{}]}`, "manifest.manifests[1].mediaType"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New().ValidateManifest(format.Coordinates{Name: "app", Version: d1}, []byte(tt.raw))
			formattest.FieldError(t, err, tt.field)
		})
	}
}

func TestTooManyLayers(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"schemaVersion":2,"config":` + desc(configMT, d1, 1) + `,"layers":[`)
	for i := 0; i <= MaxDescriptors; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(desc(layerMT, d2, 1))
	}
	b.WriteString("]}")
	formattest.FieldError(t, New().ValidateManifest(format.Coordinates{}, []byte(b.String())), "manifest.layers")
}

func TestValidateImageManifestMediaType(t *testing.T) {
	mt, err := ValidateImageManifest([]byte(`{"schemaVersion":2,"manifests":[]}`))
	if err != nil || mt != MediaTypeImageIndex {
		t.Fatalf("got %q, %v", mt, err)
	}
}

func FuzzManifestOCI(f *testing.F) {
	f.Add(`{"schemaVersion":2,"config":` + desc(configMT, d1, 7) + `,"layers":[` + desc(layerMT, d2, 1) + `]}`)
	f.Add(`{"schemaVersion":2,"manifests":[{"mediaType":"a/b","digest":"` + d1 + `","size":1,"platform":{"architecture":"x","os":"y"}}]}`)
	f.Add(`{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"` + d1 + `","size":2,"data":"e30="},"layers":[],"subject":{}}`)
	f.Add(`[{"a":`)
	f.Fuzz(func(t *testing.T, raw string) {
		err := New().ValidateManifest(format.Coordinates{Name: "app", Version: d1}, []byte(raw))
		if err != nil {
			var fe *format.FieldError
			if !errors.As(err, &fe) || !strings.HasPrefix(fe.Field, "manifest") {
				t.Fatalf("error %v (%T) is not a manifest FieldError", err, err)
			}
		}
	})
}

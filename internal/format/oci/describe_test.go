package oci

import (
	"encoding/base64"
	"testing"
)

func TestDescribe(t *testing.T) {
	raw := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":` + desc(configMT, d1, 7) +
		`,"layers":[` + desc(layerMT, d2, 1) + `,{"mediaType":"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip","digest":"` + d1 + `","size":3}]` +
		`,"subject":` + desc(MediaTypeImageManifest, d2, 9) + `,"annotations":{"a":"b"}}`
	d, err := Describe([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if d.IsIndex || d.Config.Digest != d1 || len(d.Layers) != 2 || d.Subject.Digest != d2 || d.ArtifactType != configMT || d.Annotations["a"] != "b" {
		t.Fatalf("%+v", d)
	}
	if d.Layers[0].NeedsNoBlob() || !d.Layers[1].NeedsNoBlob() {
		t.Fatal("only the non-distributable layer needs no blob")
	}
	data := []byte("{}")
	embedded := Descriptor{MediaType: configMT, Digest: DigestOf("sha256:", data), Size: 2, Data: base64.StdEncoding.EncodeToString(data)}
	if !embedded.NeedsNoBlob() {
		t.Fatal("a descriptor carrying its content needs no blob")
	}
	embedded.Digest = d1
	if embedded.NeedsNoBlob() {
		t.Fatal("data that does not hash to the digest does not stand in for the blob")
	}
	if _, err := Describe([]byte(`{"schemaVersion":2,"manifests":[{}]}`)); err == nil {
		t.Fatal("an invalid index described")
	}
}

// FuzzDescribe: Describe accepts exactly what ValidateImageManifest does,
// and what it returns is consistent; never a panic.
func FuzzDescribe(f *testing.F) {
	f.Add(`{"schemaVersion":2,"config":` + desc(configMT, d1, 7) + `,"layers":[` + desc(layerMT, d2, 1) + `]}`)
	f.Add(`{"schemaVersion":2,"manifests":[{"mediaType":"a/b","digest":"` + d1 + `","size":1}],"subject":` + desc(configMT, d2, 1) + `}`)
	f.Add(`{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"` + d1 + `","size":2,"data":"e30="},"layers":[]}`)
	f.Fuzz(func(t *testing.T, raw string) {
		_, verr := ValidateImageManifest([]byte(raw))
		d, err := Describe([]byte(raw))
		if (err == nil) != (verr == nil) {
			t.Fatalf("Describe: %v, ValidateImageManifest: %v", err, verr)
		}
		if err != nil {
			return
		}
		if d.IsIndex && (d.Config != nil || len(d.Layers) > 0) || !d.IsIndex && len(d.Manifests) > 0 {
			t.Fatalf("mixed kinds: %+v", d)
		}
		for _, l := range append(d.Layers, d.Manifests...) {
			_ = l.NeedsNoBlob()
		}
	})
}

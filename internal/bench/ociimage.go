package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
)

// The media types of the images the benchmark pushes: OCI image manifests
// whose layers are uncompressed (their digests are their diff_ids).
const (
	ociManifestType = "application/vnd.oci.image.manifest.v1+json"
	ociConfigType   = "application/vnd.oci.image.config.v1+json"
	ociLayerType    = "application/vnd.oci.image.layer.v1.tar"
)

// ociBlob is a config or layer with its digest.
type ociBlob struct {
	digest string
	data   []byte
}

func newOCIBlob(data []byte) ociBlob {
	sum := sha256.Sum256(data)
	return ociBlob{digest: "sha256:" + hex.EncodeToString(sum[:]), data: data}
}

// ociManifest is a manifest's exact bytes and their digest.
type ociManifest struct {
	digest string
	body   []byte
}

// ociImage is an image the benchmark pushes: a config, its layers and the
// manifest that names them.
type ociImage struct {
	config   ociBlob
	layers   []ociBlob
	manifest ociManifest
}

// ociDescriptor is a descriptor of a manifest.
type ociDescriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

// ociManifestDoc is an OCI image manifest.
type ociManifestDoc struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     string          `json:"mediaType"`
	Config        ociDescriptor   `json:"config"`
	Layers        []ociDescriptor `json:"layers"`
}

// newOCIImage is an image of layers layers of size pseudo-random bytes
// each (incompressible, different for every seed and layer), generated in
// memory so that pushing it costs the client no more than a copy.
func newOCIImage(seed uint64, layers int, size int64) ociImage {
	img := ociImage{layers: make([]ociBlob, layers)}
	diffIDs := make([]string, layers)
	for i := range img.layers {
		data := make([]byte, size)
		_, _ = io.ReadFull(newGen(seed<<20|uint64(i), size), data)
		img.layers[i] = newOCIBlob(data)
		diffIDs[i] = img.layers[i].digest
	}
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config":       map[string]any{"Labels": map[string]string{"bench.seed": fmt.Sprint(seed)}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	if err != nil {
		panic(err) // only strings
	}
	img.config = newOCIBlob(config)
	doc := ociManifestDoc{
		SchemaVersion: 2, MediaType: ociManifestType,
		Config: ociDescriptor{MediaType: ociConfigType, Digest: img.config.digest, Size: int64(len(config))},
	}
	for _, l := range img.layers {
		doc.Layers = append(doc.Layers, ociDescriptor{MediaType: ociLayerType, Digest: l.digest, Size: int64(len(l.data))})
	}
	body, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	img.manifest = ociManifest{digest: newOCIBlob(body).digest, body: body}
	return img
}

// bytes is the size of the image's config and layers.
func (img ociImage) bytes() int64 {
	n := int64(len(img.config.data))
	for _, l := range img.layers {
		n += int64(len(l.data))
	}
	return n
}

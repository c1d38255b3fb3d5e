package oci

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// Descriptor is an OCI content descriptor, as far as a registry reads it.
type Descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	URLs         []string          `json:"urls,omitempty"`
	Data         string            `json:"data,omitempty"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

// Described is what a registry needs of a manifest: what it is and what it
// refers to.
type Described struct {
	// MediaType is the manifest's media type (see ValidateImageManifest).
	MediaType string
	// ArtifactType is the manifest's artifactType, else its config's
	// media type (the referrers API reports that).
	ArtifactType string
	IsIndex      bool
	Config       *Descriptor
	Layers       []Descriptor
	Manifests    []Descriptor
	Subject      *Descriptor
	Annotations  map[string]string
}

// Describe validates raw (ValidateImageManifest) and returns what it
// refers to.
func Describe(raw json.RawMessage) (Described, error) {
	mediaType, err := ValidateImageManifest(raw)
	if err != nil {
		return Described{}, err
	}
	var doc struct {
		ArtifactType string            `json:"artifactType"`
		Config       *Descriptor       `json:"config"`
		Layers       []Descriptor      `json:"layers"`
		Manifests    []Descriptor      `json:"manifests"`
		Subject      *Descriptor       `json:"subject"`
		Annotations  map[string]string `json:"annotations"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return Described{}, err
	}
	d := Described{
		MediaType: mediaType, ArtifactType: doc.ArtifactType, IsIndex: mediaType == MediaTypeImageIndex || mediaType == MediaTypeDockerManifestList,
		Config: doc.Config, Layers: doc.Layers, Manifests: doc.Manifests, Subject: doc.Subject, Annotations: doc.Annotations,
	}
	if d.ArtifactType == "" && d.Config != nil {
		d.ArtifactType = d.Config.MediaType
	}
	return d, nil
}

// NeedsNoBlob reports a descriptor whose bytes the registry need not
// hold: non-distributable ("foreign") layers, which clients fetch from
// their URLs, and descriptors whose embedded data is the content.
func (d Descriptor) NeedsNoBlob() bool {
	if strings.Contains(d.MediaType, "nondistributable") || strings.Contains(d.MediaType, ".foreign.") {
		return true
	}
	if d.Data == "" {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(d.Data)
	return err == nil && DigestOf(d.Digest, b) == d.Digest
}

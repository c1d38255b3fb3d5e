package oci

import (
	"encoding/base64"
	"encoding/json"
	"regexp"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/manifest"
)

// Manifest media types this format accepts at the top level.
const (
	MediaTypeImageManifest      = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeImageIndex         = "application/vnd.oci.image.index.v1+json"
	MediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// MaxDescriptors bounds the layers of a manifest and the manifests of an
// index.
const MaxDescriptors = manifest.MaxItems

// mediaTypeRE is the RFC 6838 shape the OCI image spec requires of media
// types (type "/" subtype, no parameters).
var mediaTypeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$`)

// ValidateImageManifest checks raw as an OCI image manifest or image index,
// or a Docker schema 2 manifest or manifest list, and returns its media
// type. When "mediaType" is absent (it is optional in OCI), the document's
// fields decide: "manifests" makes an index, "config" or "layers" an image
// manifest. The checks: schemaVersion 2; descriptors with a valid
// mediaType, a supported digest and a non-negative integer size (and, for
// embedded "data", base64 of exactly that size); string annotations; at
// most MaxDescriptors layers or manifests; and no image-manifest fields in
// an index or the reverse.
func ValidateImageManifest(raw json.RawMessage) (mediaType string, err error) {
	m, err := manifest.Parse(raw)
	if err != nil {
		return "", err
	}
	sv, err := m.Int("schemaVersion")
	if err != nil {
		return "", err
	}
	if sv != 2 {
		return "", format.Fieldf(m.Field("schemaVersion"), "is %d; only schema version 2 is supported", sv)
	}
	mediaType, _, err = m.OptionalString("mediaType")
	if err != nil {
		return "", err
	}
	isIndex, err := classify(m, mediaType)
	if err != nil {
		return "", err
	}
	if mediaType == "" {
		mediaType = MediaTypeImageManifest
		if isIndex {
			mediaType = MediaTypeImageIndex
		}
	}
	if isIndex {
		err = validateIndex(m)
	} else {
		err = validateImage(m)
	}
	if err != nil {
		return "", err
	}
	if err := validateCommon(m); err != nil {
		return "", err
	}
	return mediaType, nil
}

// classify decides whether m is an index, from its mediaType when set and
// from its fields otherwise, and rejects documents that mix the two kinds.
func classify(m *manifest.Object, mediaType string) (isIndex bool, err error) {
	hasImageFields := m.Has("config") || m.Has("layers")
	hasIndexFields := m.Has("manifests")
	switch mediaType {
	case MediaTypeImageManifest, MediaTypeDockerManifest:
		if hasIndexFields {
			return false, format.Fieldf(m.Field("manifests"), "is not allowed in an image manifest (mediaType %s); an index uses %s", mediaType, MediaTypeImageIndex)
		}
		return false, nil
	case MediaTypeImageIndex, MediaTypeDockerManifestList:
		for _, f := range []string{"config", "layers"} {
			if m.Has(f) {
				return false, format.Fieldf(m.Field(f), "is not allowed in an image index (mediaType %s)", mediaType)
			}
		}
		return true, nil
	case "":
		switch {
		case hasImageFields && hasIndexFields:
			return false, format.Fieldf(m.Field("mediaType"), "is required when a manifest has both \"manifests\" and \"config\"/\"layers\"")
		case hasIndexFields:
			return true, nil
		case hasImageFields:
			return false, nil
		}
		return false, format.Fieldf(m.Field("mediaType"), "is missing and the document has neither \"config\" nor \"manifests\"; set it to %s or %s", MediaTypeImageManifest, MediaTypeImageIndex)
	}
	return false, format.Fieldf(m.Field("mediaType"), "%q is not supported; use %s, %s, %s or %s",
		abbreviate(mediaType), MediaTypeImageManifest, MediaTypeImageIndex, MediaTypeDockerManifest, MediaTypeDockerManifestList)
}

func validateImage(m *manifest.Object) error {
	config, err := m.Object("config")
	if err != nil {
		return err
	}
	if err := validateDescriptor(config); err != nil {
		return err
	}
	layers, err := m.Array("layers", MaxDescriptors)
	if err != nil {
		return err
	}
	for i := 0; i < layers.Len(); i++ {
		d, err := layers.Object(i)
		if err != nil {
			return err
		}
		if err := validateDescriptor(d); err != nil {
			return err
		}
	}
	return nil
}

func validateIndex(m *manifest.Object) error {
	manifests, err := m.Array("manifests", MaxDescriptors)
	if err != nil {
		return err
	}
	for i := 0; i < manifests.Len(); i++ {
		d, err := manifests.Object(i)
		if err != nil {
			return err
		}
		if err := validateDescriptor(d); err != nil {
			return err
		}
		if err := validatePlatform(d); err != nil {
			return err
		}
	}
	return nil
}

// validateCommon checks the fields image manifests and indexes share.
func validateCommon(m *manifest.Object) error {
	if err := validateArtifactType(m); err != nil {
		return err
	}
	if subject, ok, err := m.OptionalObject("subject"); err != nil {
		return err
	} else if ok {
		if err := validateDescriptor(subject); err != nil {
			return err
		}
	}
	_, _, err := m.OptionalStringMap("annotations", manifest.MaxItems)
	return err
}

// validateDescriptor checks one content descriptor.
func validateDescriptor(d *manifest.Object) error {
	mt, err := d.String("mediaType")
	if err != nil {
		return err
	}
	if !mediaTypeRE.MatchString(mt) {
		return format.Fieldf(d.Field("mediaType"), "%q is not a media type like application/vnd.oci.image.layer.v1.tar+gzip", abbreviate(mt))
	}
	digest, err := d.String("digest")
	if err != nil {
		return err
	}
	if _, _, err := ParseDigest(digest); err != nil {
		return format.Fieldf(d.Field("digest"), "%v", err)
	}
	size, err := d.Int("size")
	if err != nil {
		return err
	}
	if size < 0 {
		return format.Fieldf(d.Field("size"), "is %d; it must not be negative", size)
	}
	if _, _, err := d.OptionalStringArray("urls", manifest.MaxItems); err != nil {
		return err
	}
	if _, _, err := d.OptionalStringMap("annotations", manifest.MaxItems); err != nil {
		return err
	}
	if err := validateArtifactType(d); err != nil {
		return err
	}
	data, ok, err := d.OptionalString("data")
	if err != nil || !ok {
		return err
	}
	decoded, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return format.Fieldf(d.Field("data"), "is not valid base64: %v", err)
	}
	if int64(len(decoded)) != size {
		return format.Fieldf(d.Field("data"), "holds %d bytes but size is %d", len(decoded), size)
	}
	return nil
}

func validateArtifactType(o *manifest.Object) error {
	at, ok, err := o.OptionalString("artifactType")
	if err != nil || !ok {
		return err
	}
	if !mediaTypeRE.MatchString(at) {
		return format.Fieldf(o.Field("artifactType"), "%q is not a media type like application/vnd.example+type", abbreviate(at))
	}
	return nil
}

// validatePlatform checks an index entry's optional platform object.
func validatePlatform(d *manifest.Object) error {
	p, ok, err := d.OptionalObject("platform")
	if err != nil || !ok {
		return err
	}
	for _, f := range []string{"architecture", "os"} {
		s, err := p.String(f)
		if err != nil {
			return err
		}
		if s == "" {
			return format.Fieldf(p.Field(f), "must not be empty")
		}
	}
	for _, f := range []string{"os.version", "variant"} {
		if _, _, err := p.OptionalString(f); err != nil {
			return err
		}
	}
	for _, f := range []string{"os.features", "features"} {
		if _, _, err := p.OptionalStringArray(f, manifest.MaxItems); err != nil {
			return err
		}
	}
	return nil
}

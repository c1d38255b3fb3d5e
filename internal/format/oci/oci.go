package oci

import (
	"encoding/json"
	"strings"

	"github.com/artifortress/artifortress/internal/format"
)

type oci struct{}

// New returns the OCI format.
func New() format.Format { return oci{} }

func (oci) Name() string { return "oci" }

// ParseName splits a repository path at its last "/": "team/sub/app" has
// namespace "team/sub" and name "app"; "app" has no namespace. See
// ValidateRepository for the rules.
func (oci) ParseName(full string) (namespace, name string, err error) {
	if err := ValidateRepository(full); err != nil {
		return "", "", err
	}
	i := strings.LastIndexByte(full, '/')
	if i < 0 {
		return "", full, nil
	}
	return full[:i], full[i+1:], nil
}

// FullName joins namespace and name with "/".
func (oci) FullName(namespace, name string) string { return format.JoinName(namespace, name) }

// ValidateVersion accepts a manifest digest: "sha256:" and 64 lowercase
// hex digits, or "sha512:" and 128.
func (oci) ValidateVersion(version string) error {
	alg, _, err := ParseDigest(version)
	if err != nil {
		return format.Fieldf("version", "%v", err)
	}
	if alg != "sha256" && alg != "sha512" {
		return format.Fieldf("version", "manifest digests must use sha256 or sha512, not %s", alg)
	}
	return nil
}

// CompareVersions compares digests as strings; digests have no order
// beyond that.
func (oci) CompareVersions(a, b string) int { return strings.Compare(a, b) }

// ValidateManifest checks an image manifest or image index; see
// ValidateImageManifest. The coordinates are not consulted: an OCI
// manifest names neither its repository nor its own digest.
func (oci) ValidateManifest(_ format.Coordinates, raw json.RawMessage) error {
	_, err := ValidateImageManifest(raw)
	return err
}

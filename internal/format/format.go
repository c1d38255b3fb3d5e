// Package format is the seam between the format-agnostic catalog and each
// package ecosystem. The catalog knows repositories, packages, versions,
// entries, manifests and tags; a Format tells it how that ecosystem names
// packages, which versions are valid and how they order, and what a valid
// manifest is. Each ecosystem lives in its own package under
// internal/format/ and registers itself in All.
package format

import (
	"encoding/json"
	"fmt"
)

// Coordinates identify a version inside a repository.
type Coordinates struct {
	Namespace string // npm scope without "@", Maven groupId, OCI path prefix, ...; "" when none
	Name      string // normalised per the format
	Version   string
}

// Format is one package ecosystem's rules.
type Format interface {
	// Name is the format's key as repositories name it ("npm", "pypi", ...).
	Name() string
	// ParseName splits a full package name as users write it (npm
	// "@scope/pkg", Maven "group:artifact", OCI "team/app") into its
	// namespace and name, normalised per the format (PEP 503 for PyPI,
	// lowercase for npm, NuGet and Cargo, case-preserving for Maven and OCI).
	// Invalid names are an error whose message a person can act on.
	ParseName(full string) (namespace, name string, err error)
	// FullName joins a namespace and a name back into the full name.
	FullName(namespace, name string) string
	// ValidateVersion checks a version string (semver for npm, PEP 440 for
	// PyPI, ...).
	ValidateVersion(version string) error
	// CompareVersions orders two valid versions: <0, 0 or >0. Formats
	// without an order compare the strings.
	CompareVersions(a, b string) int
	// ValidateManifest checks a version's manifest (package.json, core
	// metadata, POM fields, OCI manifest, ...) against its coordinates.
	// The error names the offending field.
	ValidateManifest(c Coordinates, manifest json.RawMessage) error
}

// FieldError reports an invalid manifest field or name part.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Fieldf builds a FieldError.
func Fieldf(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// JoinName is FullName for formats whose names have no namespace (or, for
// OCI, a "/"-separated one): the name alone, or namespace/name.
func JoinName(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

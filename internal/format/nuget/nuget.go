package nuget

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/manifest"
)

// MaxIDLength is NuGet's limit on package ids.
const MaxIDLength = 100

// idRE is NuGet's PackageIdValidator pattern restricted to ASCII: word
// characters in runs separated by single "." or "-".
var idRE = regexp.MustCompile(`^[A-Za-z0-9_]+([.-][A-Za-z0-9_]+)*$`)

type nuget struct{}

// New returns the NuGet format.
func New() format.Format { return nuget{} }

func (nuget) Name() string { return "nuget" }

// ParseName validates a package id and returns it lowercased (ids are
// case-insensitive; the flat container serves them lowercase). There is
// no namespace.
func (nuget) ParseName(full string) (namespace, name string, err error) {
	switch {
	case full == "":
		return "", "", format.Fieldf("name", "must not be empty")
	case len(full) > MaxIDLength:
		return "", "", format.Fieldf("name", "is %d characters long; NuGet ids have at most %d", len(full), MaxIDLength)
	case !idRE.MatchString(full):
		return "", "", format.Fieldf("name", "%q is not a NuGet id: use ASCII letters, digits and \"_\", separated by single \".\" or \"-\"", full)
	}
	return "", strings.ToLower(full), nil
}

// FullName returns name; NuGet has no namespaces.
func (nuget) FullName(namespace, name string) string { return format.JoinName(namespace, name) }

// ValidateVersion accepts NuGet versions; see ParseVersion.
func (nuget) ValidateVersion(version string) error {
	if _, err := ParseVersion(version); err != nil {
		return format.Fieldf("version", "%v", err)
	}
	return nil
}

// CompareVersions orders as NuGet does; see CompareVersion.
func (nuget) CompareVersions(a, b string) int { return CompareStrings(a, b) }

// NormalizeVersion returns a version's canonical spelling (see
// Version.Canonical): "1.0", "1.0.0.0" and "1.0.0+build" are one version.
// An invalid version is returned unchanged.
func (nuget) NormalizeVersion(version string) string {
	v, err := ParseVersion(version)
	if err != nil {
		return version
	}
	return v.Canonical()
}

// ValidateManifest checks nuspec metadata as JSON: "id" equal to the
// package ignoring case, "version" with the same normalised form as the
// version, and "authors" and "description" strings when present.
func (nuget) ValidateManifest(c format.Coordinates, raw json.RawMessage) error {
	m, err := manifest.Parse(raw)
	if err != nil {
		return err
	}
	id, err := m.String("id")
	if err != nil {
		return err
	}
	if !strings.EqualFold(id, c.Name) {
		return format.Fieldf(m.Field("id"), "is %q but the package is %q", id, c.Name)
	}
	version, err := m.String("version")
	if err != nil {
		return err
	}
	mv, err := NormalizeVersion(version)
	if err != nil {
		return format.Fieldf(m.Field("version"), "%v", err)
	}
	cv, err := NormalizeVersion(c.Version)
	if err != nil {
		return format.Fieldf("version", "%v", err)
	}
	if !strings.EqualFold(mv, cv) {
		return format.Fieldf(m.Field("version"), "is %q (normalised %q) but the version is %q (normalised %q)", version, mv, c.Version, cv)
	}
	for _, f := range []string{"authors", "description"} {
		if _, _, err := m.OptionalString(f); err != nil {
			return err
		}
	}
	return nil
}

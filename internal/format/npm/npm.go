package npm

import (
	"encoding/json"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/manifest"
	"github.com/artifortress/artifortress/internal/format/semver"
)

type npm struct{}

// New returns the npm format.
func New() format.Format { return npm{} }

func (npm) Name() string { return "npm" }

func (npm) ParseName(full string) (namespace, name string, err error) { return ParseName(full) }

func (npm) FullName(namespace, name string) string { return FullName(namespace, name) }

// ValidateVersion accepts strict SemVer 2.0.0: no leading "v", no ranges.
func (npm) ValidateVersion(version string) error {
	if _, err := semver.Parse(version); err != nil {
		return format.Fieldf("version", "%v; npm versions are SemVer like 1.4.2 or 2.0.0-beta.1", err)
	}
	return nil
}

// CompareVersions orders by SemVer precedence.
func (npm) CompareVersions(a, b string) int { return semver.CompareStrings(a, b) }

// dependencyFields are the package.json maps of package name to range.
var dependencyFields = []string{"dependencies", "devDependencies", "peerDependencies", "optionalDependencies"}

// ValidateManifest checks a package.json: "name" equal to the full name,
// "version" equal to the version, the dependency maps (if present) objects
// of strings, and "license" (if present) a string. Other fields, "dist"
// included, are not checked.
func (npm) ValidateManifest(c format.Coordinates, raw json.RawMessage) error {
	m, err := manifest.Parse(raw)
	if err != nil {
		return err
	}
	name, err := m.String("name")
	if err != nil {
		return err
	}
	if full := FullName(c.Namespace, c.Name); name != full {
		return format.Fieldf(m.Field("name"), "is %q but the package is %q", name, full)
	}
	version, err := m.String("version")
	if err != nil {
		return err
	}
	if version != c.Version {
		return format.Fieldf(m.Field("version"), "is %q but the version is %q", version, c.Version)
	}
	for _, f := range dependencyFields {
		if _, _, err := m.OptionalStringMap(f, manifest.MaxItems); err != nil {
			return err
		}
	}
	_, _, err = m.OptionalString("license")
	return err
}

package debian

import (
	"encoding/json"
	"regexp"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/manifest"
)

// MaxNameLength bounds package names.
const MaxNameLength = 128

var (
	// nameRE is policy §5.6.1: lowercase letters, digits, + - . ; at
	// least two characters, starting with a letter or digit.
	nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	// archRE matches architectures like amd64, arm64, all and
	// musl-linux-arm64.
	archRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
)

type debian struct{}

// New returns the Debian format.
func New() format.Format { return debian{} }

func (debian) Name() string { return "debian" }

// ParseName validates a package name per Debian policy §5.6.1; there is
// no namespace and no folding (uppercase is invalid).
func (debian) ParseName(full string) (namespace, name string, err error) {
	switch {
	case full == "":
		return "", "", format.Fieldf("name", "must not be empty")
	case len(full) > MaxNameLength:
		return "", "", format.Fieldf("name", "is %d characters long; at most %d are allowed", len(full), MaxNameLength)
	case !nameRE.MatchString(full):
		return "", "", format.Fieldf("name", "%q is not a Debian package name: at least two characters of lowercase letters, digits, \"+\", \"-\" and \".\", starting with a letter or digit", full)
	}
	return "", full, nil
}

// FullName returns name; Debian packages have no namespace.
func (debian) FullName(namespace, name string) string { return format.JoinName(namespace, name) }

// ValidateVersion accepts Debian versions; see ParseVersion.
func (debian) ValidateVersion(version string) error {
	if _, err := ParseVersion(version); err != nil {
		return format.Fieldf("version", "%v", err)
	}
	return nil
}

// CompareVersions orders as dpkg does; see CompareVersion.
func (debian) CompareVersions(a, b string) int { return Compare(a, b) }

// ValidateManifest checks control fields as JSON: "Package" and "Version"
// equal to the coordinates (exactly: "1.0" and "0:1.0" are equal to dpkg
// but are different strings in file names and indexes), "Architecture" an
// architecture name, and "Maintainer", "Depends" and "Description"
// strings when present.
func (debian) ValidateManifest(c format.Coordinates, raw json.RawMessage) error {
	m, err := manifest.Parse(raw)
	if err != nil {
		return err
	}
	pkg, err := m.String("Package")
	if err != nil {
		return err
	}
	if pkg != c.Name {
		return format.Fieldf(m.Field("Package"), "is %q but the package is %q", pkg, c.Name)
	}
	version, err := m.String("Version")
	if err != nil {
		return err
	}
	if version != c.Version {
		return format.Fieldf(m.Field("Version"), "is %q but the version is %q", version, c.Version)
	}
	arch, err := m.String("Architecture")
	if err != nil {
		return err
	}
	if !archRE.MatchString(arch) {
		return format.Fieldf(m.Field("Architecture"), "%q is not an architecture like amd64, arm64 or all", arch)
	}
	for _, f := range []string{"Maintainer", "Depends", "Description"} {
		if _, _, err := m.OptionalString(f); err != nil {
			return err
		}
	}
	return nil
}

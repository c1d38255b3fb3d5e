package generic

import (
	"encoding/json"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/manifest"
)

// MaxLength bounds names and versions.
const MaxLength = 128

type generic struct{}

// New returns the generic format.
func New() format.Format { return generic{} }

func (generic) Name() string { return "generic" }

// ParseName accepts 1 to 128 characters of [A-Za-z0-9._+-], except "." and
// "..". Generic packages have no namespace, and names are kept as given.
func (generic) ParseName(full string) (namespace, name string, err error) {
	if err := check("name", full, "._+-"); err != nil {
		return "", "", err
	}
	return "", full, nil
}

// FullName returns name; generic packages have no namespace.
func (generic) FullName(namespace, name string) string { return format.JoinName(namespace, name) }

// ValidateVersion accepts 1 to 128 characters of [A-Za-z0-9._+~-], except
// "." and "..".
func (generic) ValidateVersion(version string) error { return check("version", version, "._+~-") }

// check validates a name or version: its length, its characters (ASCII
// letters and digits plus extra) and the path-like "." and "..".
func check(field, s, extra string) error {
	switch {
	case s == "":
		return format.Fieldf(field, "must not be empty")
	case len(s) > MaxLength:
		return format.Fieldf(field, "is %d characters long; at most %d are allowed", len(s), MaxLength)
	case s == "." || s == "..":
		return format.Fieldf(field, "must not be %q", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && !containsByte(extra, c) {
			return format.Fieldf(field, "%q contains %q; use only ASCII letters, digits and %q", s, c, extra)
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// CompareVersions orders versions naturally; see Compare.
func (generic) CompareVersions(a, b string) int { return Compare(a, b) }

// ValidateManifest requires a JSON object whose "name" and "version"
// strings equal the coordinates; other fields are free-form.
func (generic) ValidateManifest(c format.Coordinates, raw json.RawMessage) error {
	m, err := manifest.Parse(raw)
	if err != nil {
		return err
	}
	name, err := m.String("name")
	if err != nil {
		return err
	}
	if name != c.Name {
		return format.Fieldf(m.Field("name"), "is %q but the package is %q", name, c.Name)
	}
	version, err := m.String("version")
	if err != nil {
		return err
	}
	if version != c.Version {
		return format.Fieldf(m.Field("version"), "is %q but the version is %q", version, c.Version)
	}
	return nil
}

// AppendsFiles reports that a published generic version gains files at new
// paths (one PUT per file); see format.Appender.
func (generic) AppendsFiles() bool { return true }

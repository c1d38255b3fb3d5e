package helm

import (
	"encoding/json"
	"regexp"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/manifest"
	"github.com/artifortress/artifortress/internal/format/semver"
)

// MaxNameLength bounds chart names, as for a DNS label.
const MaxNameLength = 63

// nameRE is a chart name: lowercase letters, digits and inner "-".
var nameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

type helm struct{}

// New returns the Helm format.
func New() format.Format { return helm{} }

func (helm) Name() string { return "helm" }

// ValidateName checks a chart name.
func ValidateName(name string) error {
	switch {
	case name == "":
		return format.Fieldf("name", "must not be empty")
	case len(name) > MaxNameLength:
		return format.Fieldf("name", "is %d characters long; chart names have at most %d", len(name), MaxNameLength)
	case !nameRE.MatchString(name):
		return format.Fieldf("name", "%q must be lowercase letters, digits and \"-\", starting and ending with a letter or digit", name)
	}
	return nil
}

// ParseName validates a chart name; charts have no namespace and names
// are not folded.
func (helm) ParseName(full string) (namespace, name string, err error) {
	if err := ValidateName(full); err != nil {
		return "", "", err
	}
	return "", full, nil
}

// FullName returns name; charts have no namespace.
func (helm) FullName(namespace, name string) string { return format.JoinName(namespace, name) }

// ValidateVersion accepts strict SemVer 2.0.0.
func (helm) ValidateVersion(version string) error {
	if _, err := semver.Parse(version); err != nil {
		return format.Fieldf("version", "%v; chart versions are SemVer like 1.4.2", err)
	}
	return nil
}

// CompareVersions orders by SemVer precedence.
func (helm) CompareVersions(a, b string) int { return semver.CompareStrings(a, b) }

var chartTypes = map[string]bool{"application": true, "library": true}

// ValidateManifest checks Chart.yaml as JSON: "apiVersion" v1 or v2,
// "name" and "version" equal to the coordinates, "appVersion" a string
// when present, "type" application or library when present, and
// "dependencies" an array of objects with a valid chart "name", a
// non-empty "version" constraint and a "repository" string (empty for a
// chart vendored under charts/).
func (helm) ValidateManifest(c format.Coordinates, raw json.RawMessage) error {
	m, err := manifest.Parse(raw)
	if err != nil {
		return err
	}
	api, err := m.String("apiVersion")
	if err != nil {
		return err
	}
	if api != "v1" && api != "v2" {
		return format.Fieldf(m.Field("apiVersion"), "is %q; want v2 (Helm 3) or v1", api)
	}
	name, err := m.String("name")
	if err != nil {
		return err
	}
	if name != c.Name {
		return format.Fieldf(m.Field("name"), "is %q but the chart is %q", name, c.Name)
	}
	version, err := m.String("version")
	if err != nil {
		return err
	}
	if version != c.Version {
		return format.Fieldf(m.Field("version"), "is %q but the version is %q", version, c.Version)
	}
	if _, _, err := m.OptionalString("appVersion"); err != nil {
		return err
	}
	if typ, ok, err := m.OptionalString("type"); err != nil {
		return err
	} else if ok && typ != "" && !chartTypes[typ] {
		return format.Fieldf(m.Field("type"), "is %q; want application or library", typ)
	}
	deps, ok, err := m.OptionalArray("dependencies", manifest.MaxItems)
	if err != nil || !ok {
		return err
	}
	for i := 0; i < deps.Len(); i++ {
		d, err := deps.Object(i)
		if err != nil {
			return err
		}
		dn, err := d.String("name")
		if err != nil {
			return err
		}
		if ValidateName(dn) != nil {
			return format.Fieldf(d.Field("name"), "%q is not a chart name", dn)
		}
		dv, err := d.String("version")
		if err != nil {
			return err
		}
		if dv == "" {
			return format.Fieldf(d.Field("version"), "must be a version or constraint like ^1.2.0")
		}
		if _, _, err := d.OptionalString("repository"); err != nil {
			return err
		}
	}
	return nil
}

package pypi

import (
	"encoding/json"
	"errors"
	"regexp"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/manifest"
)

type pypi struct{}

// New returns the PyPI format.
func New() format.Format { return pypi{} }

func (pypi) Name() string { return "pypi" }

func (pypi) ParseName(full string) (namespace, name string, err error) { return ParseName(full) }

// FullName returns name; PyPI has no namespaces.
func (pypi) FullName(namespace, name string) string { return format.JoinName(namespace, name) }

// ValidateVersion accepts any PEP 440 version, in any spelling PEP 440
// normalises ("1.0RC1", "1.0-1").
func (pypi) ValidateVersion(version string) error {
	if _, err := Parse(version); err != nil {
		return format.Fieldf("version", "%v", err)
	}
	return nil
}

// CompareVersions orders by PEP 440; see Compare.
func (pypi) CompareVersions(a, b string) int { return CompareStrings(a, b) }

// NormalizeVersion returns a version's canonical spelling (see
// Version.Canonical): "1.0", "1.0.0" and "v1.0" are one version. An
// invalid version is returned unchanged.
func (pypi) NormalizeVersion(version string) string {
	v, err := Parse(version)
	if err != nil {
		return version
	}
	return v.Canonical()
}

// metadataVersionRE matches core metadata versions ("1.0" ... "2.4").
var metadataVersionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

// ValidateManifest checks core metadata as JSON: "metadata_version" like
// "2.1"; "name" whose PEP 503 form is the package's name; "version" equal
// to the version under PEP 440; and, if present, "requires_python",
// "summary" and "license" strings and "requires_dist" and "classifiers"
// arrays of strings.
func (pypi) ValidateManifest(c format.Coordinates, raw json.RawMessage) error {
	m, err := manifest.Parse(raw)
	if err != nil {
		return err
	}
	mv, err := m.String("metadata_version")
	if err != nil {
		return err
	}
	if !metadataVersionRE.MatchString(mv) {
		return format.Fieldf(m.Field("metadata_version"), "%q is not a metadata version like \"2.1\"", mv)
	}
	name, err := m.String("name")
	if err != nil {
		return err
	}
	_, norm, err := ParseName(name)
	if err != nil {
		return format.Fieldf(m.Field("name"), "%s", message(err))
	}
	if norm != c.Name {
		return format.Fieldf(m.Field("name"), "%q normalises to %q but the project is %q", name, norm, c.Name)
	}
	version, err := m.String("version")
	if err != nil {
		return err
	}
	mvv, err := Parse(version)
	if err != nil {
		return format.Fieldf(m.Field("version"), "%v", err)
	}
	cv, err := Parse(c.Version)
	if err != nil {
		return format.Fieldf("version", "%v", err)
	}
	if Compare(mvv, cv) != 0 {
		return format.Fieldf(m.Field("version"), "is %q (%s) but the version is %q (%s)", version, mvv, c.Version, cv)
	}
	for _, f := range []string{"requires_python", "summary", "license"} {
		if _, _, err := m.OptionalString(f); err != nil {
			return err
		}
	}
	for _, f := range []string{"requires_dist", "classifiers"} {
		if _, _, err := m.OptionalStringArray(f, manifest.MaxItems); err != nil {
			return err
		}
	}
	return nil
}

// message is the text of a FieldError without its field.
func message(err error) string {
	var fe *format.FieldError
	if errors.As(err, &fe) {
		return fe.Message
	}
	return err.Error()
}

// AppendsFiles reports that a published release gains files (twine uploads
// a wheel and an sdist in separate requests; a wheel for a new platform may
// come later); see format.Appender.
func (pypi) AppendsFiles() bool { return true }

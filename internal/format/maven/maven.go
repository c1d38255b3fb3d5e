package maven

import (
	"encoding/json"
	"regexp"
	"strings"
	"unicode"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/manifest"
)

// MaxVersionLength bounds version strings.
const MaxVersionLength = 128

type maven struct{}

// New returns the Maven format.
func New() format.Format { return maven{} }

func (maven) Name() string { return "maven" }

// idRE is the character set of groupIds and artifactIds.
var idRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// ParseName splits "groupId:artifactId" into namespace groupId and name
// artifactId, keeping case. Both use [A-Za-z0-9_.-]; since a groupId
// becomes a directory path with "." as separator and an artifactId a
// directory, neither may be "." or "..", and a groupId may not start or
// end with "." or contain "..".
func ParseName(full string) (groupID, artifactID string, err error) {
	if full == "" {
		return "", "", format.Fieldf("name", "must not be empty; use groupId:artifactId")
	}
	groupID, artifactID, ok := strings.Cut(full, ":")
	if !ok {
		return "", "", format.Fieldf("name", "%q must be groupId:artifactId (for example org.example:app)", full)
	}
	if err := checkID("groupId", groupID); err != nil {
		return "", "", err
	}
	if strings.HasPrefix(groupID, ".") || strings.HasSuffix(groupID, ".") || strings.Contains(groupID, "..") {
		return "", "", format.Fieldf("name", "groupId %q must not start or end with \".\" or contain \"..\"", groupID)
	}
	if err := checkID("artifactId", artifactID); err != nil {
		return "", "", err
	}
	if artifactID == "." || artifactID == ".." {
		return "", "", format.Fieldf("name", "artifactId must not be %q", artifactID)
	}
	return groupID, artifactID, nil
}

func checkID(what, s string) error {
	if s == "" {
		return format.Fieldf("name", "%s must not be empty", what)
	}
	if !idRE.MatchString(s) {
		return format.Fieldf("name", "%s %q may contain only ASCII letters, digits, \"_\", \".\" and \"-\"", what, s)
	}
	return nil
}

// FullName joins groupId and artifactId with ":".
func FullName(groupID, artifactID string) string { return groupID + ":" + artifactID }

func (maven) ParseName(full string) (namespace, name string, err error) { return ParseName(full) }

func (maven) FullName(namespace, name string) string { return FullName(namespace, name) }

// ValidateVersion accepts 1 to 128 characters with no "/", "\\",
// whitespace or control characters, other than "." and ".." (a version is
// a directory in the repository layout).
func (maven) ValidateVersion(version string) error { return ValidateVersion(version) }

// ValidateVersion is the Format method, exported for the protocol adapter.
func ValidateVersion(version string) error {
	switch {
	case version == "":
		return format.Fieldf("version", "must not be empty")
	case len(version) > MaxVersionLength:
		return format.Fieldf("version", "is %d characters long; at most %d are allowed", len(version), MaxVersionLength)
	case version == "." || version == "..":
		return format.Fieldf("version", "must not be %q", version)
	}
	for _, r := range version {
		if r == '/' || r == '\\' || unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar {
			return format.Fieldf("version", "%q must not contain %q", version, r)
		}
	}
	return nil
}

// CompareVersions orders versions as Maven does; see Compare.
func (maven) CompareVersions(a, b string) int { return Compare(a, b) }

// packagingRE accepts the known packagings (jar, war, pom, ear,
// maven-plugin, aar, bundle, ejb, rar, zip) and any other lowercase one
// plugins define.
var packagingRE = regexp.MustCompile(`^[a-z0-9-]+$`)

// ValidateManifest checks {"groupId", "artifactId", "version",
// "packaging"}: strings equal to the coordinates and a packaging of
// lowercase letters, digits and "-".
func (maven) ValidateManifest(c format.Coordinates, raw json.RawMessage) error {
	m, err := manifest.Parse(raw)
	if err != nil {
		return err
	}
	for _, f := range []struct{ key, want string }{
		{"groupId", c.Namespace},
		{"artifactId", c.Name},
		{"version", c.Version},
	} {
		got, err := m.String(f.key)
		if err != nil {
			return err
		}
		if got != f.want {
			return format.Fieldf(m.Field(f.key), "is %q but the coordinates say %q", got, f.want)
		}
	}
	packaging, err := m.String("packaging")
	if err != nil {
		return err
	}
	if !packagingRE.MatchString(packaging) {
		return format.Fieldf(m.Field("packaging"), "%q is not a packaging like jar, pom or maven-plugin", packaging)
	}
	return nil
}

package rubygems

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/manifest"
)

// MaxNameLength bounds gem names.
const MaxNameLength = 128

var (
	nameRE     = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	platformRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	depTypes   = map[string]bool{"runtime": true, "development": true}
)

type rubygems struct{}

// New returns the RubyGems format.
func New() format.Format { return rubygems{} }

func (rubygems) Name() string { return "rubygems" }

// ValidateName checks a gem name as Gem::SpecificationPolicy does:
// letters, digits, ".", "-" and "_", at least one letter, and not
// starting with ".", "-" or "_".
func ValidateName(name string) error {
	switch {
	case name == "":
		return format.Fieldf("name", "must not be empty")
	case len(name) > MaxNameLength:
		return format.Fieldf("name", "is %d characters long; at most %d are allowed", len(name), MaxNameLength)
	case !nameRE.MatchString(name):
		return format.Fieldf("name", "%q can only include letters, digits, \".\", \"-\" and \"_\"", name)
	case strings.IndexAny(name[:1], ".-_") == 0:
		return format.Fieldf("name", "%q must not begin with \".\", \"-\" or \"_\"", name)
	case !strings.ContainsFunc(name, isLetter):
		return format.Fieldf("name", "%q must include at least one letter", name)
	}
	return nil
}

func isLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// ParseName validates a gem name and keeps its case; gems have no
// namespace.
func (rubygems) ParseName(full string) (namespace, name string, err error) {
	if err := ValidateName(full); err != nil {
		return "", "", err
	}
	return "", full, nil
}

// FullName returns name; gems have no namespace.
func (rubygems) FullName(namespace, name string) string { return format.JoinName(namespace, name) }

// ValidateVersion accepts Gem::Version strings like "1.2.3", "2.0.0.rc1"
// or "1.0-beta" (without surrounding whitespace).
func (rubygems) ValidateVersion(version string) error {
	if err := ValidVersion(version); err != nil {
		return format.Fieldf("version", "%v", err)
	}
	return nil
}

// CompareVersions orders as Gem::Version does; see Compare.
func (rubygems) CompareVersions(a, b string) int { return Compare(a, b) }

// ValidateManifest checks the gemspec fields as JSON: "name" and "version"
// equal to the coordinates; "platform" (default "ruby") a platform string
// like x86_64-linux; "dependencies" an array of objects with a gem "name",
// "requirements" as a string or an array of strings (">= 1.0") and a
// "type" of runtime or development.
func (rubygems) ValidateManifest(c format.Coordinates, raw json.RawMessage) error {
	m, err := manifest.Parse(raw)
	if err != nil {
		return err
	}
	name, err := m.String("name")
	if err != nil {
		return err
	}
	if name != c.Name {
		return format.Fieldf(m.Field("name"), "is %q but the gem is %q", name, c.Name)
	}
	version, err := m.String("version")
	if err != nil {
		return err
	}
	if version != c.Version {
		return format.Fieldf(m.Field("version"), "is %q but the version is %q", version, c.Version)
	}
	if p, ok, err := m.OptionalString("platform"); err != nil {
		return err
	} else if ok && !platformRE.MatchString(p) {
		return format.Fieldf(m.Field("platform"), "%q is not a platform like ruby, java or x86_64-linux", p)
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
			return format.Fieldf(d.Field("name"), "%q is not a gem name", dn)
		}
		if err := validateRequirements(d); err != nil {
			return err
		}
		if typ, ok, err := d.OptionalString("type"); err != nil {
			return err
		} else if ok && !depTypes[typ] {
			return format.Fieldf(d.Field("type"), "is %q; want runtime or development", typ)
		}
	}
	return nil
}

// validateRequirements accepts "requirements" as one string or an array
// of strings.
func validateRequirements(d *manifest.Object) error {
	if _, _, err := d.OptionalString("requirements"); err == nil {
		return nil
	}
	if _, _, err := d.OptionalStringArray("requirements", manifest.MaxItems); err != nil {
		return format.Fieldf(d.Field("requirements"), "must be a requirement string like \">= 1.0\" or an array of them")
	}
	return nil
}

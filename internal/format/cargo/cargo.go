package cargo

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/manifest"
	"github.com/artifortress/artifortress/internal/format/semver"
)

// MaxNameLength is crates.io's limit on crate names.
const MaxNameLength = 64

type cargo struct{}

// New returns the Cargo format.
func New() format.Format { return cargo{} }

func (cargo) Name() string { return "cargo" }

// nameRE is a crate name: an ASCII letter, then letters, digits, "_" and
// "-".
var nameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// ValidateName checks a crate name as crates.io does for new crates.
func ValidateName(name string) error {
	switch {
	case name == "":
		return format.Fieldf("name", "must not be empty")
	case len(name) > MaxNameLength:
		return format.Fieldf("name", "is %d characters long; crate names have at most %d", len(name), MaxNameLength)
	case !nameRE.MatchString(name):
		return format.Fieldf("name", "%q must start with an ASCII letter and contain only letters, digits, \"_\" and \"-\"", name)
	}
	return nil
}

// ParseName validates a crate name and returns it lowercased, the form the
// registry index uses; there is no namespace. Cargo treats "-" and "_" as
// the same when resolving, but they are different crates in the index, so
// they are kept.
func (cargo) ParseName(full string) (namespace, name string, err error) {
	if err := ValidateName(full); err != nil {
		return "", "", err
	}
	return "", strings.ToLower(full), nil
}

// FullName returns name; crates have no namespace.
func (cargo) FullName(namespace, name string) string { return format.JoinName(namespace, name) }

// ValidateVersion accepts strict SemVer 2.0.0.
func (cargo) ValidateVersion(version string) error {
	if _, err := semver.Parse(version); err != nil {
		return format.Fieldf("version", "%v; crate versions are SemVer like 1.4.2", err)
	}
	return nil
}

// CompareVersions orders by SemVer precedence.
func (cargo) CompareVersions(a, b string) int { return semver.CompareStrings(a, b) }

var (
	cksumRE   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	depKinds  = map[string]bool{"normal": true, "dev": true, "build": true}
	featureRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_+.:/?-]*$`) // crate features, "dep:x" and "x/y"
)

// ValidateManifest checks a registry index entry: "name" (lowercased)
// equal to the crate, "vers" equal to the version, "deps" an array of
// objects with at least "name" and "req" strings (and, when present, a
// "kind" of normal, dev or build, an "optional" bool and "features"
// strings), "features" (and "features2", when present) an object of
// string arrays, and "cksum" (when present) 64 lowercase hex digits.
func (cargo) ValidateManifest(c format.Coordinates, raw json.RawMessage) error {
	m, err := manifest.Parse(raw)
	if err != nil {
		return err
	}
	name, err := m.String("name")
	if err != nil {
		return err
	}
	if strings.ToLower(name) != c.Name {
		return format.Fieldf(m.Field("name"), "is %q but the crate is %q", name, c.Name)
	}
	vers, err := m.String("vers")
	if err != nil {
		return err
	}
	if vers != c.Version {
		return format.Fieldf(m.Field("vers"), "is %q but the version is %q", vers, c.Version)
	}
	if err := validateDeps(m); err != nil {
		return err
	}
	if !m.Has("features") {
		return format.Fieldf(m.Field("features"), "is required (use {} for none)")
	}
	if err := validateFeatures(m, "features"); err != nil {
		return err
	}
	if err := validateFeatures(m, "features2"); err != nil {
		return err
	}
	if ck, ok, err := m.OptionalString("cksum"); err != nil {
		return err
	} else if ok && !cksumRE.MatchString(ck) {
		return format.Fieldf(m.Field("cksum"), "must be the crate file's SHA-256 as 64 lowercase hex digits")
	}
	if _, _, err := m.OptionalBool("yanked"); err != nil {
		return err
	}
	_, _, err = m.OptionalString("links")
	return err
}

func validateDeps(m *manifest.Object) error {
	deps, err := m.Array("deps", manifest.MaxItems)
	if err != nil {
		return err
	}
	for i := 0; i < deps.Len(); i++ {
		d, err := deps.Object(i)
		if err != nil {
			return err
		}
		name, err := d.String("name")
		if err != nil {
			return err
		}
		if ValidateName(name) != nil {
			return format.Fieldf(d.Field("name"), "%q is not a crate name", name)
		}
		req, err := d.String("req")
		if err != nil {
			return err
		}
		if strings.TrimSpace(req) == "" {
			return format.Fieldf(d.Field("req"), "must be a version requirement like ^1.2")
		}
		if kind, ok, err := d.OptionalString("kind"); err != nil {
			return err
		} else if ok && !depKinds[kind] {
			return format.Fieldf(d.Field("kind"), "is %q; want normal, dev or build", kind)
		}
		if _, _, err := d.OptionalBool("optional"); err != nil {
			return err
		}
		if _, _, err := d.OptionalBool("default_features"); err != nil {
			return err
		}
		if _, _, err := d.OptionalStringArray("features", manifest.MaxItems); err != nil {
			return err
		}
		for _, f := range []string{"target", "registry", "package"} {
			if _, _, err := d.OptionalString(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// validateFeatures checks a features map: feature name to the features
// and dependencies it enables.
func validateFeatures(m *manifest.Object, key string) error {
	f, ok, err := m.OptionalObject(key)
	if err != nil || !ok {
		return err
	}
	if f.Len() > manifest.MaxItems {
		return format.Fieldf(f.Path(), "has %d features; at most %d are accepted", f.Len(), manifest.MaxItems)
	}
	return f.Keys(func(name string, _ json.RawMessage) error {
		if !featureRE.MatchString(name) {
			return format.Fieldf(f.Entry(name), "%q is not a feature name", name)
		}
		_, _, err := f.OptionalStringArray(name, manifest.MaxItems)
		if err != nil {
			return format.Fieldf(f.Entry(name), "must be an array of feature names")
		}
		return nil
	})
}

package rpm

import (
	"encoding/json"
	"regexp"
	"strconv"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/manifest"
)

// MaxNameLength bounds package names.
const MaxNameLength = 256

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9._+-]+$`)
	archRE = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
)

type rpm struct{}

// New returns the RPM format.
func New() format.Format { return rpm{} }

func (rpm) Name() string { return "rpm" }

// ParseName validates a package name ([A-Za-z0-9._+-], case kept); RPM
// has no namespaces.
func (rpm) ParseName(full string) (namespace, name string, err error) {
	switch {
	case full == "":
		return "", "", format.Fieldf("name", "must not be empty")
	case len(full) > MaxNameLength:
		return "", "", format.Fieldf("name", "is %d characters long; at most %d are allowed", len(full), MaxNameLength)
	case !nameRE.MatchString(full):
		return "", "", format.Fieldf("name", "%q may contain only ASCII letters, digits, \".\", \"_\", \"+\" and \"-\"", full)
	case full == "." || full == "..":
		return "", "", format.Fieldf("name", "must not be %q", full)
	}
	return "", full, nil
}

// FullName returns name; RPM has no namespaces.
func (rpm) FullName(namespace, name string) string { return format.JoinName(namespace, name) }

// ValidateVersion accepts "[epoch:]version[-release]"; see ParseEVR.
func (rpm) ValidateVersion(version string) error {
	if _, err := ParseEVR(version); err != nil {
		return format.Fieldf("version", "%v", err)
	}
	return nil
}

// CompareVersions orders as rpm does; see CompareEVR.
func (rpm) CompareVersions(a, b string) int { return Compare(a, b) }

// ValidateManifest checks {"name", "version", "release", "arch",
// "epoch"?}: name equal to the package; epoch (a number or a string of
// digits, default 0), version and release equal to the parts of the
// coordinates' version, which must therefore carry a release; and arch
// like x86_64, noarch or src.
func (rpm) ValidateManifest(c format.Coordinates, raw json.RawMessage) error {
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
	want, err := ParseEVR(c.Version)
	if err != nil {
		return format.Fieldf("version", "%v", err)
	}
	epoch, err := readEpoch(m)
	if err != nil {
		return err
	}
	if epoch != want.Epoch {
		return format.Fieldf(m.Field("epoch"), "is %d but the version %q has epoch %d", epoch, c.Version, want.Epoch)
	}
	version, err := m.String("version")
	if err != nil {
		return err
	}
	if version != want.Version {
		return format.Fieldf(m.Field("version"), "is %q but the version %q has %q", version, c.Version, want.Version)
	}
	release, err := m.String("release")
	if err != nil {
		return err
	}
	if want.Release == "" {
		return format.Fieldf(m.Field("release"), "is %q but the version %q has no release; publish it as %s-%s", release, c.Version, c.Version, release)
	}
	if release != want.Release {
		return format.Fieldf(m.Field("release"), "is %q but the version %q has %q", release, c.Version, want.Release)
	}
	arch, err := m.String("arch")
	if err != nil {
		return err
	}
	if !archRE.MatchString(arch) {
		return format.Fieldf(m.Field("arch"), "%q is not an architecture like x86_64, aarch64, noarch or src", arch)
	}
	return nil
}

// readEpoch reads "epoch" as a JSON number or a string of digits.
func readEpoch(m *manifest.Object) (uint32, error) {
	if !m.Has("epoch") {
		return 0, nil
	}
	s, ok, err := m.OptionalString("epoch")
	if !ok || err != nil {
		n, ok, err2 := m.OptionalInt("epoch")
		if err2 != nil || !ok {
			return 0, format.Fieldf(m.Field("epoch"), "must be a non-negative integer")
		}
		s = strconv.FormatInt(n, 10)
	}
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return 0, format.Fieldf(m.Field("epoch"), "%q must be a non-negative integer below 2^31", s)
	}
	return uint32(n), nil
}

package gomod

import (
	"encoding/json"
	"fmt"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/manifest"
)

type gomod struct{}

// New returns the Go module format, whose Name is "go".
func New() format.Format { return gomod{} }

func (gomod) Name() string { return "go" }

// ParseName checks a module path with module.CheckPath (a dotted first
// element, no uppercase-only tricks, a valid /vN suffix, ...) and returns
// it as the name. Module paths are case-sensitive and kept as given.
func (gomod) ParseName(full string) (namespace, name string, err error) {
	if full == "" {
		return "", "", format.Fieldf("name", "must not be empty")
	}
	if err := module.CheckPath(full); err != nil {
		return "", "", format.Fieldf("name", "%v", err)
	}
	return "", full, nil
}

// FullName returns name; module paths have no separate namespace.
func (gomod) FullName(namespace, name string) string { return format.JoinName(namespace, name) }

// ValidateVersion accepts canonical semantic versions as the go command
// writes them: "v1.2.3", "v1.2.3-pre", pseudo-versions, and the same with
// "+incompatible". "v1.2" and "v1.2.3+build" are not canonical. Whether a
// version fits a path (/v2 needs v2.x.y; v2+ without /v2 needs
// +incompatible) is checked by ValidateManifest, which knows the path.
func (gomod) ValidateVersion(version string) error { return ValidateVersion(version) }

// ValidateVersion is the Format method, exported for the GOPROXY adapter.
func ValidateVersion(version string) error {
	if msg := checkVersion(version); msg != "" {
		return format.Fieldf("version", "%s", msg)
	}
	return nil
}

// checkVersion returns why version is not acceptable, or "".
func checkVersion(version string) string {
	if version == "" {
		return "must not be empty"
	}
	if !semver.IsValid(version) {
		return fmt.Sprintf("%q is not a semantic version like v1.2.3", version)
	}
	base := strings.TrimSuffix(version, "+incompatible")
	if semver.Canonical(base) != base {
		return fmt.Sprintf("%q is not canonical; use %q", version, canonical(version))
	}
	if major := semver.Major(version); base != version && (major == "v0" || major == "v1") {
		return fmt.Sprintf("%q: +incompatible is only for major versions 2 and above", version)
	}
	return ""
}

// canonical suggests the canonical form of a valid version.
func canonical(v string) string {
	c := semver.Canonical(v)
	if strings.HasSuffix(v, "+incompatible") {
		c += "+incompatible"
	}
	return c
}

// CompareVersions orders versions with semver.Compare.
func (gomod) CompareVersions(a, b string) int { return semver.Compare(a, b) }

// ValidateManifest checks {"module", "version", "goVersion"?,
// "require"?: [{"path", "version"}]}: module and version equal the
// coordinates and fit each other (module.Check), goVersion is a go
// directive version like "1.22" or "1.22.1", and each requirement is a
// valid module path and version for that path.
func (gomod) ValidateManifest(c format.Coordinates, raw json.RawMessage) error {
	m, err := manifest.Parse(raw)
	if err != nil {
		return err
	}
	path, err := m.String("module")
	if err != nil {
		return err
	}
	want := c.Name
	if c.Namespace != "" {
		want = c.Namespace + "/" + c.Name
	}
	if path != want {
		return format.Fieldf(m.Field("module"), "is %q but the module is %q", path, want)
	}
	version, err := m.String("version")
	if err != nil {
		return err
	}
	if version != c.Version {
		return format.Fieldf(m.Field("version"), "is %q but the version is %q", version, c.Version)
	}
	if msg := checkVersion(version); msg != "" {
		return format.Fieldf(m.Field("version"), "%s", msg)
	}
	if err := module.Check(path, version); err != nil {
		return format.Fieldf(m.Field("version"), "%v", err)
	}
	if gv, ok, err := m.OptionalString("goVersion"); err != nil {
		return err
	} else if ok && !modfile.GoVersionRE.MatchString(gv) {
		return format.Fieldf(m.Field("goVersion"), "%q is not a go directive version like 1.22 or 1.22.1", gv)
	}
	reqs, ok, err := m.OptionalArray("require", manifest.MaxItems)
	if err != nil || !ok {
		return err
	}
	for i := 0; i < reqs.Len(); i++ {
		r, err := reqs.Object(i)
		if err != nil {
			return err
		}
		rp, err := r.String("path")
		if err != nil {
			return err
		}
		rv, err := r.String("version")
		if err != nil {
			return err
		}
		if err := module.Check(rp, rv); err != nil {
			field := r.Field("version")
			if module.CheckPath(rp) != nil {
				field = r.Field("path")
			}
			return format.Fieldf(field, "%v", err)
		}
	}
	return nil
}

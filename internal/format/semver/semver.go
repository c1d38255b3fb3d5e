package semver

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxLength bounds the length of a version string. SemVer itself sets no
// limit; 256 is npm's, and no real version comes close to it.
const MaxLength = 256

// Version is a parsed SemVer 2.0.0 version.
type Version struct {
	Major, Minor, Patch uint64
	// Prerelease holds the dot-separated pre-release identifiers, nil when
	// the version has none.
	Prerelease []string
	// Build holds the dot-separated build metadata identifiers, nil when
	// the version has none. Build metadata takes no part in precedence.
	Build []string
}

// Parse parses s as a strict SemVer 2.0.0 version. The error says which
// part of s is wrong.
func Parse(s string) (Version, error) {
	var v Version
	if s == "" {
		return v, errors.New("must not be empty")
	}
	if len(s) > MaxLength {
		return v, fmt.Errorf("must be at most %d characters", MaxLength)
	}
	core, build, hasBuild := strings.Cut(s, "+")
	core, pre, hasPre := strings.Cut(core, "-")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return v, fmt.Errorf("%q is not MAJOR.MINOR.PATCH (for example 1.4.2)", s)
	}
	names := [3]string{"major", "minor", "patch"}
	var nums [3]uint64
	for i, p := range parts {
		n, err := parseNumeric(p)
		if err != nil {
			return v, fmt.Errorf("%s version %q %v", names[i], p, err)
		}
		nums[i] = n
	}
	v.Major, v.Minor, v.Patch = nums[0], nums[1], nums[2]
	if hasPre {
		ids, err := splitIdentifiers(pre, true)
		if err != nil {
			return Version{}, fmt.Errorf("pre-release %q: %v", pre, err)
		}
		v.Prerelease = ids
	}
	if hasBuild {
		ids, err := splitIdentifiers(build, false)
		if err != nil {
			return Version{}, fmt.Errorf("build metadata %q: %v", build, err)
		}
		v.Build = ids
	}
	return v, nil
}

// Valid reports whether s is a strict SemVer 2.0.0 version.
func Valid(s string) bool {
	_, err := Parse(s)
	return err == nil
}

// parseNumeric parses a MAJOR, MINOR or PATCH number.
func parseNumeric(p string) (uint64, error) {
	if p == "" {
		return 0, errors.New("is empty")
	}
	if !allDigits(p) {
		return 0, errors.New("must contain only digits")
	}
	if len(p) > 1 && p[0] == '0' {
		return 0, errors.New("must not have leading zeros")
	}
	n, err := strconv.ParseUint(p, 10, 64)
	if err != nil {
		return 0, errors.New("is too large")
	}
	return n, nil
}

// splitIdentifiers splits and checks dot-separated identifiers. Numeric
// pre-release identifiers must not have leading zeros; build identifiers
// may.
func splitIdentifiers(s string, prerelease bool) ([]string, error) {
	ids := strings.Split(s, ".")
	for _, id := range ids {
		if id == "" {
			return nil, errors.New("has an empty identifier")
		}
		for i := 0; i < len(id); i++ {
			if !isIdentChar(id[i]) {
				return nil, fmt.Errorf("identifier %q may contain only ASCII letters, digits and hyphens", id)
			}
		}
		if prerelease && len(id) > 1 && id[0] == '0' && allDigits(id) {
			return nil, fmt.Errorf("numeric identifier %q must not have leading zeros", id)
		}
	}
	return ids, nil
}

func isIdentChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-'
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// String formats v in its canonical SemVer form.
func (v Version) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d.%d.%d", v.Major, v.Minor, v.Patch)
	if len(v.Prerelease) > 0 {
		b.WriteByte('-')
		b.WriteString(strings.Join(v.Prerelease, "."))
	}
	if len(v.Build) > 0 {
		b.WriteByte('+')
		b.WriteString(strings.Join(v.Build, "."))
	}
	return b.String()
}

// IsPrerelease reports whether v has pre-release identifiers.
func (v Version) IsPrerelease() bool { return len(v.Prerelease) > 0 }

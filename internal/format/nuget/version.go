package nuget

import (
	"cmp"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MaxVersionLength bounds version strings.
const MaxVersionLength = 256

// Version is a parsed NuGet version.
type Version struct {
	// Parts are Major, Minor, Patch and Revision; missing parts are 0.
	Parts [4]int32
	// Release holds the dot-separated pre-release labels as written; nil
	// for a stable version.
	Release []string
	// Metadata is the build metadata after "+", without it; it takes no
	// part in ordering or the normalised form.
	Metadata string
}

// ParseVersion parses a NuGet version: 1 to 4 dot-separated numbers (each
// fitting a signed 32-bit integer, leading zeros allowed), then optionally
// "-" and dot-separated labels of [0-9A-Za-z-], then optionally "+" and
// dot-separated metadata identifiers of the same characters.
func ParseVersion(s string) (Version, error) {
	var v Version
	if s == "" {
		return v, fmt.Errorf("must not be empty")
	}
	if len(s) > MaxVersionLength {
		return v, fmt.Errorf("is %d characters long; at most %d are allowed", len(s), MaxVersionLength)
	}
	rest, meta, hasMeta := strings.Cut(s, "+")
	if hasMeta {
		if err := checkLabels(meta); err != nil {
			return v, fmt.Errorf("build metadata %q %v", meta, err)
		}
		v.Metadata = meta
	}
	nums, rel, hasRel := strings.Cut(rest, "-")
	if hasRel {
		if err := checkLabels(rel); err != nil {
			return v, fmt.Errorf("pre-release label %q %v", rel, err)
		}
		v.Release = strings.Split(rel, ".")
	}
	parts := strings.Split(nums, ".")
	if len(parts) > 4 {
		return v, fmt.Errorf("%q has %d numeric parts; NuGet versions have 1 to 4 (for example 1.2.3)", s, len(parts))
	}
	for i, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return v, fmt.Errorf("%q is not a NuGet version (for example 1.2.3 or 1.2.3-beta.1)", s)
		}
		n, err := strconv.ParseInt(p, 10, 32)
		if err != nil {
			return v, fmt.Errorf("version part %q is larger than %d", p, math.MaxInt32)
		}
		v.Parts[i] = int32(n)
	}
	return v, nil
}

// checkLabels checks dot-separated identifiers of [0-9A-Za-z-].
func checkLabels(s string) error {
	for _, l := range strings.Split(s, ".") {
		if l == "" {
			return fmt.Errorf("has an empty part")
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
				return fmt.Errorf("may contain only ASCII letters, digits, \"-\" and \".\"")
			}
		}
	}
	return nil
}

// String returns the normalised version: three parts (four when the
// revision is not zero) without leading zeros, the labels as written, no
// metadata. "1.0" is "1.0.0", "1.01.1.0" is "1.1.1", "1.0.0.4-Beta+abc" is
// "1.0.0.4-Beta".
func (v Version) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d.%d.%d", v.Parts[0], v.Parts[1], v.Parts[2])
	if v.Parts[3] != 0 {
		fmt.Fprintf(&b, ".%d", v.Parts[3])
	}
	if len(v.Release) > 0 {
		b.WriteByte('-')
		b.WriteString(strings.Join(v.Release, "."))
	}
	return b.String()
}

// NormalizeVersion returns the normalised form of a version string.
func NormalizeVersion(s string) (string, error) {
	v, err := ParseVersion(s)
	if err != nil {
		return "", err
	}
	return v.String(), nil
}

// CompareVersion orders two versions as NuGet's VersionComparer does: the
// four parts numerically; a pre-release before the stable version; labels
// one by one, numeric labels (those that fit an int32) numerically and
// before alphanumeric ones, alphanumeric ones ordinally ignoring case; and
// fewer labels first. Metadata is ignored.
func CompareVersion(a, b Version) int {
	for i := range a.Parts {
		if c := cmp.Compare(a.Parts[i], b.Parts[i]); c != 0 {
			return c
		}
	}
	switch {
	case len(a.Release) == 0 && len(b.Release) == 0:
		return 0
	case len(a.Release) == 0:
		return 1
	case len(b.Release) == 0:
		return -1
	}
	for i := 0; i < len(a.Release) && i < len(b.Release); i++ {
		if c := compareLabel(a.Release[i], b.Release[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a.Release), len(b.Release))
}

func compareLabel(a, b string) int {
	an, aNum := numericLabel(a)
	bn, bNum := numericLabel(b)
	switch {
	case aNum && bNum:
		return cmp.Compare(an, bn)
	case aNum:
		return -1
	case bNum:
		return 1
	}
	return strings.Compare(strings.ToUpper(a), strings.ToUpper(b))
}

// numericLabel reports whether a pre-release label is numeric (digits
// fitting an int32), and its value.
func numericLabel(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 32)
	return n, err == nil && isDigits(s)
}

func isDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

// Canonical returns v's normalised form (see String) with its pre-release
// labels lowercased and numeric ones without leading zeros ("1.0-Beta.01"
// is "1.0.0-beta.1"): equal for exactly the versions CompareVersion finds
// equal. NuGet.org keeps a package's versions unique the same way (the
// normalised version, ignoring case).
func (v Version) Canonical() string {
	labels := make([]string, len(v.Release))
	for i, l := range v.Release {
		if n, ok := numericLabel(l); ok {
			labels[i] = strconv.FormatInt(n, 10)
		} else {
			labels[i] = strings.ToLower(l)
		}
	}
	v.Release = labels
	return v.String()
}

// CompareStrings parses and compares two versions. A string that does not
// parse sorts before every valid version; two such strings compare as
// strings.
func CompareStrings(a, b string) int {
	va, erra := ParseVersion(a)
	vb, errb := ParseVersion(b)
	switch {
	case erra != nil && errb != nil:
		return strings.Compare(a, b)
	case erra != nil:
		return -1
	case errb != nil:
		return 1
	}
	return CompareVersion(va, vb)
}

package semver

import "cmp"

// Compare orders a and b by SemVer precedence (semver.org §11): MAJOR,
// MINOR and PATCH numerically; a version with pre-release identifiers
// before the same version without; pre-release identifiers one by one,
// numeric ones numerically and before alphanumeric ones, alphanumeric ones
// in ASCII order, and a shorter list before a longer one it prefixes. Build
// metadata is ignored, so 1.0.0+a and 1.0.0+b compare equal.
func Compare(a, b Version) int {
	if c := cmp.Compare(a.Major, b.Major); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Minor, b.Minor); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Patch, b.Patch); c != 0 {
		return c
	}
	switch {
	case len(a.Prerelease) == 0 && len(b.Prerelease) == 0:
		return 0
	case len(a.Prerelease) == 0:
		return 1
	case len(b.Prerelease) == 0:
		return -1
	}
	for i := 0; i < len(a.Prerelease) && i < len(b.Prerelease); i++ {
		if c := compareIdentifier(a.Prerelease[i], b.Prerelease[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a.Prerelease), len(b.Prerelease))
}

// compareIdentifier orders two pre-release identifiers. Numeric identifiers
// have no leading zeros, so a longer one is larger whatever its size.
func compareIdentifier(a, b string) int {
	an, bn := allDigits(a), allDigits(b)
	switch {
	case an && bn:
		if c := cmp.Compare(len(a), len(b)); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	case an:
		return -1
	case bn:
		return 1
	default:
		return cmp.Compare(a, b)
	}
}

// CompareStrings parses and compares a and b by precedence. A string that
// does not parse sorts before every valid version, and two such strings
// compare as strings, so the order stays total for any input.
func CompareStrings(a, b string) int {
	va, erra := Parse(a)
	vb, errb := Parse(b)
	switch {
	case erra != nil && errb != nil:
		return cmp.Compare(a, b)
	case erra != nil:
		return -1
	case errb != nil:
		return 1
	}
	return Compare(va, vb)
}

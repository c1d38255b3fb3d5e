package debian

import (
	"cmp"
	"strings"
)

// order is dpkg's character weight: "~" sorts before everything, even the
// end of the string (weight 0); letters sort before everything else;
// digits are never compared here.
func order(c int) int {
	switch {
	case c < 0: // end of string
		return 0
	case isDigit(byte(c)):
		return 0
	case isAlpha(byte(c)):
		return c
	case c == '~':
		return -1
	}
	return c + 256
}

// at returns s[i] as an int, or -1 past the end.
func at(s string, i int) int {
	if i < len(s) {
		return int(s[i])
	}
	return -1
}

func digitAt(s string, i int) bool { return i < len(s) && isDigit(s[i]) }

// verrevcmp compares two upstream versions or two revisions as dpkg's
// lib/dpkg/version.c does: alternately a run of non-digits, compared
// character by character with order, and a run of digits, compared
// numerically.
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		firstDiff := 0
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := order(at(a, i)), order(at(b, j))
			if ac != bc {
				return cmp.Compare(ac, bc)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		for digitAt(a, i) && digitAt(b, j) {
			if firstDiff == 0 {
				firstDiff = cmp.Compare(a[i], b[j])
			}
			i++
			j++
		}
		if digitAt(a, i) {
			return 1
		}
		if digitAt(b, j) {
			return -1
		}
		if firstDiff != 0 {
			return firstDiff
		}
	}
	return 0
}

// CompareVersion orders two versions as dpkg --compare-versions does: by
// epoch, then upstream version, then revision (a missing revision is
// equal to "0").
func CompareVersion(a, b Version) int {
	if c := cmp.Compare(a.Epoch, b.Epoch); c != 0 {
		return c
	}
	if c := verrevcmp(a.Upstream, b.Upstream); c != 0 {
		return c
	}
	return verrevcmp(a.Revision, b.Revision)
}

// Compare parses and compares two version strings. A string that does not
// parse sorts before every valid version; two such strings compare as
// strings.
func Compare(a, b string) int {
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

package pypi

import (
	"cmp"
	"strings"
)

// Compare orders two versions as PEP 440 does: by epoch; then release,
// ignoring trailing zeros (1.0 == 1.0.0); then, for the same release,
// dev releases of the release itself first, pre-releases (a < b < rc,
// each with its dev releases before it), the final release, and post
// releases (each with its dev releases before it); finally a version
// without a local label before the same version with one, and local
// labels segment by segment (numeric segments numerically and above
// alphanumeric ones, which compare as strings; a shorter label first).
func Compare(a, b Version) int {
	if c := compareNum(a.Epoch, b.Epoch); c != 0 {
		return c
	}
	if c := compareRelease(a.Release, b.Release); c != 0 {
		return c
	}
	if c := compareRank(preRank(a), preRank(b)); c != 0 {
		return c
	}
	if c := compareRank(postRank(a), postRank(b)); c != 0 {
		return c
	}
	if c := compareRank(devRank(a), devRank(b)); c != 0 {
		return c
	}
	return compareLocal(a.Local, b.Local)
}

// rank is one comparison key: a class (-1 below everything, 0 ordinary,
// 1 above everything), then a label and a number for ordinary keys.
type rank struct {
	class int
	label string
	n     string
}

// preRank: a dev release of the final version (1.0.dev1, no pre or post)
// sorts before every pre-release; a version with no pre-release after all
// of them.
func preRank(v Version) rank {
	switch {
	case v.Pre == "" && v.Post == "" && v.Dev != "":
		return rank{class: -1}
	case v.Pre == "":
		return rank{class: 1}
	}
	return rank{label: preOrder[v.Pre], n: v.PreN}
}

// preOrder maps pre-release labels to strings that sort a < b < rc.
var preOrder = map[string]string{"a": "0", "b": "1", "rc": "2"}

// postRank: no post release sorts first.
func postRank(v Version) rank {
	if v.Post == "" {
		return rank{class: -1}
	}
	return rank{n: v.Post}
}

// devRank: no dev release sorts last.
func devRank(v Version) rank {
	if v.Dev == "" {
		return rank{class: 1}
	}
	return rank{n: v.Dev}
}

func compareRank(a, b rank) int {
	if c := cmp.Compare(a.class, b.class); c != 0 || a.class != 0 {
		return c
	}
	if c := cmp.Compare(a.label, b.label); c != 0 {
		return c
	}
	return compareNum(a.n, b.n)
}

// compareRelease compares release segments with trailing zeros ignored.
func compareRelease(a, b []string) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		x, y := "0", "0"
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if c := compareNum(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// compareLocal compares local labels: none first; then segment by
// segment, numeric segments numerically and after alphanumeric ones; then
// the shorter first.
func compareLocal(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		an, bn := isNumber(a[i]), isNumber(b[i])
		var c int
		switch {
		case an && bn:
			c = compareNum(a[i], b[i])
		case an:
			c = 1
		case bn:
			c = -1
		default:
			c = strings.Compare(a[i], b[i])
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// compareNum compares decimal strings without leading zeros.
func compareNum(a, b string) int {
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func isNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// CompareStrings parses and compares two version strings. A string that
// does not parse sorts before every valid version; two such strings
// compare as strings.
func CompareStrings(a, b string) int {
	va, erra := Parse(a)
	vb, errb := Parse(b)
	switch {
	case erra != nil && errb != nil:
		return strings.Compare(a, b)
	case erra != nil:
		return -1
	case errb != nil:
		return 1
	}
	return Compare(va, vb)
}

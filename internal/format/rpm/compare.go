package rpm

import (
	"cmp"
	"strings"
)

// Vercmp compares two version (or release) strings as rpm's rpmvercmp
// does. Both are split into alternating runs of digits and of letters;
// other characters only separate runs. Runs compare pairwise: numbers
// numerically, letters bytewise, and a number is newer than letters. "~"
// sorts before anything, even the end of the string (1.0~rc1 < 1.0); "^"
// sorts after the end of the string but before anything else
// (1.0 < 1.0^git1 < 1.0.1). When all runs match, the string with
// something left over is newer.
func Vercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		// Tilde: before everything else.
		if at(a, i) == '~' || at(b, j) == '~' {
			if at(a, i) != '~' {
				return 1
			}
			if at(b, j) != '~' {
				return -1
			}
			i++
			j++
			continue
		}
		// Caret: like tilde, but the end of a string sorts before it.
		if at(a, i) == '^' || at(b, j) == '^' {
			if i == len(a) {
				return -1
			}
			if j == len(b) {
				return 1
			}
			if a[i] != '^' {
				return 1
			}
			if b[j] != '^' {
				return -1
			}
			i++
			j++
			continue
		}
		if i == len(a) || j == len(b) {
			break
		}
		// The next run of a decides its kind; b's run of the same kind
		// may be empty.
		si, sj := i, j
		num := isDigit(a[i])
		class := isAlpha
		if num {
			class = isDigit
		}
		for i < len(a) && class(a[i]) {
			i++
		}
		for j < len(b) && class(b[j]) {
			j++
		}
		if sj == j {
			// Different kinds: a number is newer than letters.
			if num {
				return 1
			}
			return -1
		}
		ra, rb := a[si:i], b[sj:j]
		if num {
			ra, rb = strings.TrimLeft(ra, "0"), strings.TrimLeft(rb, "0")
			if c := cmp.Compare(len(ra), len(rb)); c != 0 {
				return c
			}
		}
		if c := strings.Compare(ra, rb); c != 0 {
			return c
		}
	}
	switch {
	case i >= len(a) && j >= len(b):
		return 0
	case i < len(a):
		return 1
	}
	return -1
}

// at returns s[i], or 0 past the end.
func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// CompareEVR orders two EVRs as rpm does: epoch numerically, then
// version, then release with Vercmp (a missing release sorts first).
func CompareEVR(a, b EVR) int {
	if c := cmp.Compare(a.Epoch, b.Epoch); c != 0 {
		return c
	}
	if c := Vercmp(a.Version, b.Version); c != 0 {
		return c
	}
	return Vercmp(a.Release, b.Release)
}

// Compare parses and compares two EVR strings. A string that does not
// parse sorts before every valid EVR; two such strings compare as strings.
func Compare(a, b string) int {
	ea, erra := ParseEVR(a)
	eb, errb := ParseEVR(b)
	switch {
	case erra != nil && errb != nil:
		return strings.Compare(a, b)
	case erra != nil:
		return -1
	case errb != nil:
		return 1
	}
	return CompareEVR(ea, eb)
}

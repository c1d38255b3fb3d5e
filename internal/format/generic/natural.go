package generic

import "strings"

// Compare orders two strings naturally: it splits them into runs of digits
// and runs of other bytes and compares run by run, digit runs as numbers
// of any size ("1.10" after "1.9") and other runs bytewise. A digit run
// sorts before a non-digit run at the same place ("1.0" before "1.a").
// When the runs are all equal (as in "1.01" and "1.1") the strings are
// compared bytewise, so Compare returns 0 only for equal strings.
func Compare(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ra, na := run(a, i)
		rb, nb := run(b, j)
		da, db := isDigit(a[i]), isDigit(b[j])
		var c int
		switch {
		case da && db:
			c = compareNumbers(ra, rb)
		case da != db:
			if da {
				return -1
			}
			return 1
		default:
			c = strings.Compare(ra, rb)
		}
		if c != 0 {
			return c
		}
		i, j = na, nb
	}
	switch {
	case i < len(a):
		return 1
	case j < len(b):
		return -1
	}
	return strings.Compare(a, b)
}

// run returns the maximal run of digits or non-digits at s[i:] and the
// index after it.
func run(s string, i int) (string, int) {
	digit := isDigit(s[i])
	j := i + 1
	for j < len(s) && isDigit(s[j]) == digit {
		j++
	}
	return s[i:j], j
}

// compareNumbers compares two digit strings by value.
func compareNumbers(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

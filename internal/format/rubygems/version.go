package rubygems

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"
)

// MaxVersionLength bounds version strings.
const MaxVersionLength = 128

// versionRE is Gem::Version::VERSION_PATTERN, anchored, without the
// surrounding whitespace RubyGems strips.
var versionRE = regexp.MustCompile(`^[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// segmentRE is how Gem::Version splits a version into segments.
var segmentRE = regexp.MustCompile(`[0-9]+|[a-zA-Z]+`)

// ValidVersion reports why s is not a gem version, or nil.
func ValidVersion(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("must not be empty")
	case len(s) > MaxVersionLength:
		return fmt.Errorf("is %d characters long; at most %d are allowed", len(s), MaxVersionLength)
	case !versionRE.MatchString(s):
		return fmt.Errorf("%q is not a gem version (for example 1.2.3 or 2.0.0.rc1)", s)
	}
	return nil
}

// IsPrerelease reports whether a valid version is a pre-release: whether
// it contains a letter (a "-" counts, as RubyGems reads it as ".pre.").
func IsPrerelease(s string) bool {
	return strings.ContainsAny(s, "-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
}

// segment is one numeric or string segment.
type segment struct {
	str string // digits without leading zeros for numbers
	num bool
}

// canonicalSegments mirrors Gem::Version#canonical_segments: the numeric
// segments before the first string segment, then the rest, each part
// with its trailing zeros dropped.
func canonicalSegments(s string) []segment {
	var segs []segment
	for _, m := range segmentRE.FindAllString(strings.ReplaceAll(s, "-", ".pre."), -1) {
		if m[0] >= '0' && m[0] <= '9' {
			m = strings.TrimLeft(m, "0")
			if m == "" {
				m = "0"
			}
			segs = append(segs, segment{str: m, num: true})
		} else {
			segs = append(segs, segment{str: m})
		}
	}
	first := len(segs)
	for i, sg := range segs {
		if !sg.num {
			first = i
			break
		}
	}
	return append(dropTrailingZeros(segs[:first:first]), dropTrailingZeros(segs[first:])...)
}

func dropTrailingZeros(segs []segment) []segment {
	for len(segs) > 0 && segs[len(segs)-1].num && segs[len(segs)-1].str == "0" {
		segs = segs[:len(segs)-1]
	}
	return segs
}

// Compare orders two versions as Gem::Version#<=> does: canonical segment
// by segment, a missing segment counting as 0; numbers numerically; a
// string segment before a number ("1.0.a" < "1.0"); strings bytewise.
// Invalid versions sort before valid ones and compare as strings.
func Compare(a, b string) int {
	ea, eb := ValidVersion(a), ValidVersion(b)
	switch {
	case ea != nil && eb != nil:
		return strings.Compare(a, b)
	case ea != nil:
		return -1
	case eb != nil:
		return 1
	}
	if a == b {
		return 0
	}
	sa, sb := canonicalSegments(a), canonicalSegments(b)
	zero := segment{str: "0", num: true}
	for i := 0; i < len(sa) || i < len(sb); i++ {
		l, r := zero, zero
		if i < len(sa) {
			l = sa[i]
		}
		if i < len(sb) {
			r = sb[i]
		}
		switch {
		case l == r:
			continue
		case !l.num && r.num:
			return -1
		case l.num && !r.num:
			return 1
		case l.num:
			if c := cmp.Compare(len(l.str), len(r.str)); c != 0 {
				return c
			}
		}
		return strings.Compare(l.str, r.str)
	}
	return 0
}

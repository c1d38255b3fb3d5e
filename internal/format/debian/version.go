package debian

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MaxVersionLength bounds version strings.
const MaxVersionLength = 256

// Version is a parsed Debian version.
type Version struct {
	Epoch    uint32 // 0 when absent
	Upstream string
	Revision string // "" when absent
}

// ParseVersion parses [epoch:]upstream_version[-debian_revision] per
// Debian policy §5.6.12: the epoch is a decimal number (at most
// 2147483647, as dpkg requires); the upstream version starts with a digit
// and uses only ASCII letters, digits and . + ~ (and "-" when there is a
// revision, which starts after the last "-"); the revision uses ASCII
// letters, digits and . + ~.
func ParseVersion(s string) (Version, error) {
	var v Version
	if s == "" {
		return v, fmt.Errorf("must not be empty")
	}
	if len(s) > MaxVersionLength {
		return v, fmt.Errorf("is %d characters long; at most %d are allowed", len(s), MaxVersionLength)
	}
	rest := s
	if epoch, after, ok := strings.Cut(s, ":"); ok {
		if epoch == "" || strings.Trim(epoch, "0123456789") != "" {
			return v, fmt.Errorf("epoch %q in %q must be a number", epoch, s)
		}
		n, err := strconv.ParseUint(epoch, 10, 32)
		if err != nil || n > math.MaxInt32 {
			return v, fmt.Errorf("epoch %q is too large", epoch)
		}
		v.Epoch = uint32(n)
		rest = after
	}
	upstream := rest
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		upstream, v.Revision = rest[:i], rest[i+1:]
		if v.Revision == "" {
			return v, fmt.Errorf("revision after the last \"-\" in %q is empty", s)
		}
		if c, ok := badChar(v.Revision, ".+~"); ok {
			return v, fmt.Errorf("revision %q contains %q; use only letters, digits and . + ~", v.Revision, c)
		}
	}
	if upstream == "" {
		return v, fmt.Errorf("upstream version in %q is empty", s)
	}
	if upstream[0] < '0' || upstream[0] > '9' {
		return v, fmt.Errorf("upstream version %q must start with a digit", upstream)
	}
	if c, ok := badChar(upstream, ".+~-"); ok {
		return v, fmt.Errorf("upstream version %q contains %q; use only letters, digits and . + ~ -", upstream, c)
	}
	v.Upstream = upstream
	return v, nil
}

// badChar returns the first byte of s that is neither an ASCII letter or
// digit nor in extra.
func badChar(s, extra string) (byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && strings.IndexByte(extra, c) < 0 {
			return c, true
		}
	}
	return 0, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// String formats v back; the epoch is omitted when 0.
func (v Version) String() string {
	s := v.Upstream
	if v.Epoch != 0 {
		s = strconv.FormatUint(uint64(v.Epoch), 10) + ":" + s
	}
	if v.Revision != "" {
		s += "-" + v.Revision
	}
	return s
}

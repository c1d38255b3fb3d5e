package rpm

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MaxVersionLength bounds EVR strings.
const MaxVersionLength = 256

// EVR is a parsed "[epoch:]version[-release]".
type EVR struct {
	Epoch   uint32 // 0 when absent
	Version string
	Release string // "" when absent
}

// ParseEVR parses "[epoch:]version[-release]". The epoch is a decimal
// number; version and release are non-empty and use ASCII letters, digits
// and . _ + ~ ^ (rpm forbids "-" in both, so at most one "-" separates
// them).
func ParseEVR(s string) (EVR, error) {
	var e EVR
	if s == "" {
		return e, fmt.Errorf("must not be empty")
	}
	if len(s) > MaxVersionLength {
		return e, fmt.Errorf("is %d characters long; at most %d are allowed", len(s), MaxVersionLength)
	}
	rest := s
	if epoch, after, ok := strings.Cut(s, ":"); ok {
		if epoch == "" || strings.Trim(epoch, "0123456789") != "" {
			return e, fmt.Errorf("epoch %q in %q must be a number", epoch, s)
		}
		n, err := strconv.ParseUint(epoch, 10, 32)
		if err != nil || n > math.MaxInt32 {
			return e, fmt.Errorf("epoch %q is too large", epoch)
		}
		e.Epoch = uint32(n)
		rest = after
	}
	version, release, hasRelease := strings.Cut(rest, "-")
	if err := checkPart("version", version, s); err != nil {
		return e, err
	}
	if hasRelease {
		if err := checkPart("release", release, s); err != nil {
			return e, err
		}
	}
	e.Version, e.Release = version, release
	return e, nil
}

func checkPart(what, p, s string) error {
	if p == "" {
		return fmt.Errorf("%s in %q is empty", what, s)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !isAlnum(c) && strings.IndexByte("._+~^", c) < 0 {
			return fmt.Errorf("%s %q contains %q; use only letters, digits and . _ + ~ ^ (and one \"-\" between version and release)", what, p, c)
		}
	}
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// String formats e as "[epoch:]version[-release]", omitting a zero epoch.
func (e EVR) String() string {
	s := e.Version
	if e.Epoch != 0 {
		s = strconv.FormatUint(uint64(e.Epoch), 10) + ":" + s
	}
	if e.Release != "" {
		s += "-" + e.Release
	}
	return s
}

package catalog

import (
	"fmt"
	"strings"
	"unicode"
)

// MaxPathLength bounds an entry path.
const MaxPathLength = 1024

// validPath checks an entry path: relative, "/"-separated segments, none
// empty, "." or "..", no backslash, no control or NUL characters. Paths are
// looked up literally, never touch a filesystem, and still cannot traverse.
func validPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("empty path")
	case len(p) > MaxPathLength:
		return fmt.Errorf("longer than %d bytes", MaxPathLength)
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("must be relative (no leading /)")
	case strings.ContainsRune(p, '\\'):
		return fmt.Errorf("backslashes are not allowed")
	}
	for _, r := range p {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fmt.Errorf("control or invalid characters are not allowed")
		}
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("empty, . or .. segments are not allowed")
		}
	}
	return nil
}

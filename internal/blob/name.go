package blob

import (
	"fmt"
	"strings"
)

// ValidName reports whether name is a safe staged-object name: 1-512 bytes of
// "/"-separated segments, each of [A-Za-z0-9._-], none empty, "." or "..".
// Names are also file paths and object keys, so traversal is impossible.
func ValidName(name string) error {
	if name == "" || len(name) > 512 {
		return fmt.Errorf("staged name: want 1-512 bytes")
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("staged name %q: empty, . or .. segment", name)
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return fmt.Errorf("staged name %q: character %q not allowed", name, c)
			}
		}
	}
	return nil
}

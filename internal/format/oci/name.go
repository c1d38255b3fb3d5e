package oci

import (
	"strings"

	"github.com/artifortress/artifortress/internal/format"
)

// MaxRepositoryLength bounds a repository path, as CNCF Distribution does.
const MaxRepositoryLength = 255

// ValidateRepository checks a repository path against the OCI
// distribution spec: one or more "/"-separated components, each matching
// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*, at most 255 characters in all.
// Uppercase is rejected rather than folded: registries and clients treat
// repository names as case-sensitive lowercase.
func ValidateRepository(full string) error {
	if full == "" {
		return format.Fieldf("name", "must not be empty")
	}
	if len(full) > MaxRepositoryLength {
		return format.Fieldf("name", "is %d characters long; at most %d are allowed", len(full), MaxRepositoryLength)
	}
	for _, comp := range strings.Split(full, "/") {
		if msg := checkComponent(comp); msg != "" {
			return format.Fieldf("name", "path component %q %s", comp, msg)
		}
	}
	return nil
}

// checkComponent returns why comp is not a valid path component, or "".
func checkComponent(comp string) string {
	if comp == "" {
		return "is empty; remove the extra \"/\""
	}
	i := 0
	for {
		// An alphanumeric run.
		start := i
		for i < len(comp) && isLowerAlnum(comp[i]) {
			i++
		}
		if i == start {
			if i < len(comp) && comp[i] >= 'A' && comp[i] <= 'Z' {
				return "must be lowercase"
			}
			if i == 0 {
				return "must start with a lowercase letter or digit"
			}
			return "must not end with a separator or have two separators in a row (except \"__\" and repeated \"-\")"
		}
		if i == len(comp) {
			return ""
		}
		// A separator: ".", "_", "__" or one or more "-".
		switch c := comp[i]; {
		case c == '.':
			i++
		case c == '_':
			i++
			if i < len(comp) && comp[i] == '_' {
				i++
			}
		case c == '-':
			for i < len(comp) && comp[i] == '-' {
				i++
			}
		case c >= 'A' && c <= 'Z':
			return "must be lowercase"
		default:
			return "may contain only lowercase letters, digits and the separators \".\", \"_\", \"__\" and \"-\""
		}
		if i == len(comp) {
			return "must end with a lowercase letter or digit"
		}
	}
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

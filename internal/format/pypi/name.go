package pypi

import (
	"regexp"
	"strings"

	"github.com/artifortress/artifortress/internal/format"
)

// MaxNameLength bounds project names. PEP 508 sets no limit; no real
// project name comes close.
const MaxNameLength = 200

// validName is PEP 508's project name rule, matched case-insensitively.
var validName = regexp.MustCompile(`^(?i)([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$`)

// separators matches runs of the characters PEP 503 folds to "-".
var separators = regexp.MustCompile(`[-_.]+`)

// Normalize returns the PEP 503 form of a project name: lowercase, with
// every run of "-", "_" and "." replaced by one "-".
func Normalize(name string) string {
	return separators.ReplaceAllString(strings.ToLower(name), "-")
}

// ParseName validates a project name per PEP 508 and returns its PEP 503
// normal form as the name; PyPI has no namespaces.
func ParseName(full string) (namespace, name string, err error) {
	if full == "" {
		return "", "", format.Fieldf("name", "must not be empty")
	}
	if len(full) > MaxNameLength {
		return "", "", format.Fieldf("name", "is %d characters long; at most %d are allowed", len(full), MaxNameLength)
	}
	if !validName.MatchString(full) {
		return "", "", format.Fieldf("name", "%q is not a valid project name: use ASCII letters, digits, \".\", \"_\" and \"-\", starting and ending with a letter or digit", full)
	}
	return "", Normalize(full), nil
}

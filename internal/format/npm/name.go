package npm

import (
	"strings"

	"github.com/artifortress/artifortress/internal/format"
)

// MaxNameLength bounds a full name including "@scope/".
const MaxNameLength = 214

// reserved names npm refuses whatever their case.
var reserved = map[string]bool{"node_modules": true, "favicon.ico": true}

// ParseName splits "@scope/name" into ("scope", "name") and "name" into
// ("", "name"). It also accepts the escaped form "@scope%2fname" that npm
// clients put in URLs. Names must be valid for new packages under
// validate-npm-package-name: at most 214 characters, lowercase, no
// leading "." or "_", no spaces, URL-safe characters only, none of
// ~'!()* in the name part, and not node_modules or favicon.ico.
func ParseName(full string) (scope, name string, err error) {
	if full == "" {
		return "", "", format.Fieldf("name", "must not be empty")
	}
	if strings.HasPrefix(full, "@") && !strings.Contains(full, "/") {
		full = unescapeScope(full)
	}
	if len(full) > MaxNameLength {
		return "", "", format.Fieldf("name", "is %d characters long; npm allows at most %d, scope included", len(full), MaxNameLength)
	}
	if strings.TrimSpace(full) != full {
		return "", "", format.Fieldf("name", "%q must not have leading or trailing spaces", full)
	}
	if strings.ToLower(full) != full {
		return "", "", format.Fieldf("name", "%q contains capital letters; npm names must be lowercase (try %q)", full, strings.ToLower(full))
	}
	name = full
	if strings.HasPrefix(full, "@") {
		var ok bool
		scope, name, ok = strings.Cut(full[1:], "/")
		if !ok {
			return "", "", format.Fieldf("name", "scoped name %q must look like @scope/name", full)
		}
		if err := checkPart("scope", scope, false); err != nil {
			return "", "", err
		}
	}
	if err := checkPart("name", name, true); err != nil {
		return "", "", err
	}
	if reserved[name] && scope == "" {
		return "", "", format.Fieldf("name", "%q is a reserved name", name)
	}
	return scope, name, nil
}

// unescapeScope turns the first "%2f" or "%2F" of a scoped name into "/".
func unescapeScope(full string) string {
	for i := 1; i+3 <= len(full); i++ {
		if full[i] == '%' && full[i+1] == '2' && (full[i+2] == 'f' || full[i+2] == 'F') {
			return full[:i] + "/" + full[i+3:]
		}
	}
	return full
}

// checkPart checks a scope or the package part of a name. The package part
// also may not contain npm's "special characters" ~'!()*, which
// encodeURIComponent leaves alone but npm forbids in new names.
func checkPart(what, s string, isName bool) error {
	if s == "" {
		return format.Fieldf("name", "the %s must not be empty", what)
	}
	if s[0] == '.' || s[0] == '_' {
		return format.Fieldf("name", "the %s %q must not start with %q", what, s, s[0])
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_':
		case strings.IndexByte("~'!()*", c) >= 0:
			if isName {
				return format.Fieldf("name", "the %s %q contains %q; npm names may not contain any of ~'!()*", what, s, c)
			}
		default:
			return format.Fieldf("name", "the %s %q contains %q; npm names may contain only URL-friendly characters (a-z, 0-9, \"-\", \".\", \"_\")", what, s, c)
		}
	}
	return nil
}

// FullName joins a scope and a name: "@scope/name", or just "name".
func FullName(scope, name string) string {
	if scope == "" {
		return name
	}
	return "@" + scope + "/" + name
}

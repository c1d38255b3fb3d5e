package registrytoken

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Resource types and actions of Distribution's scope grammar that the
// registry understands. Any other type or action parses, and is then granted
// nothing.
const (
	TypeRepository = "repository"
	TypeRegistry   = "registry"

	// CatalogName is the resource name of "registry:catalog:*", the scope
	// of GET /v2/_catalog.
	CatalogName = "catalog"

	ActionPull   = "pull"
	ActionPush   = "push"
	ActionDelete = "delete"
	// ActionAll asks for every action on a resource.
	ActionAll = "*"
)

// Bounds on what one token request may ask for. Real clients send one scope
// per repository involved (two for a cross-repository mount); the limits only
// keep a hostile request from producing a huge token.
const (
	MaxScopes     = 64
	maxNameLength = 512 // a 255-byte repository path plus a host name
	maxQuoted     = 80  // how much of a refused scope an error repeats
)

// ErrInvalidScope is wrapped by every error of ParseScope and ParseScopes.
// The token endpoint answers it with 400.
var ErrInvalidScope = errors.New("invalid scope")

// Scope is one resource scope a client asks for:
// "<type>[(<class>)]:<name>:<action>[,<action>]*", for instance
// "repository:team/app:pull,push" or "registry:catalog:*".
type Scope struct {
	// Type is the resource type without its class: "repository",
	// "registry" or another word of [a-z0-9]+.
	Type string
	// Class is the deprecated resource class ("plugin" in
	// "repository(plugin)"), or "". The spec says to treat a classed type as
	// the type itself, so Grant ignores it; it is kept for String.
	Class string
	// Name is the resource name. It may contain "/" and, in its first
	// component only, one ":" before a port number ("host:5000/team/app").
	Name string
	// Actions are the requested actions in the order given, without
	// duplicates or empty entries. Unknown actions are kept; Grant ignores them.
	Actions []string
}

// String returns the scope in the grammar ParseScope reads, as the scope
// parameter of a WWW-Authenticate challenge wants it.
func (s Scope) String() string {
	t := s.Type
	if s.Class != "" {
		t += "(" + s.Class + ")"
	}
	return t + ":" + s.Name + ":" + strings.Join(s.Actions, ",")
}

// ParseScope parses one resource scope. The type ends at the first ":" and
// the actions start after the last one, so a name with a port
// ("repository:host:5000/app:pull") splits correctly, as scope.md warns a
// naive three-way split would not.
func ParseScope(s string) (Scope, error) {
	typ, rest, ok := strings.Cut(s, ":")
	i := strings.LastIndexByte(rest, ':')
	if !ok || i < 0 {
		return Scope{}, scopeError(s, "want <type>:<name>:<actions>, for example repository:team/app:pull")
	}
	name, actions := rest[:i], rest[i+1:]

	var sc Scope
	var msg string
	if sc.Type, sc.Class, msg = parseType(typ); msg != "" {
		return Scope{}, scopeError(s, msg)
	}
	if msg = checkName(name); msg != "" {
		return Scope{}, scopeError(s, msg)
	}
	sc.Name = name
	if sc.Actions, msg = parseActions(actions); msg != "" {
		return Scope{}, scopeError(s, msg)
	}
	return sc, nil
}

// ParseScopes parses the values of every scope query parameter of a token
// request. Each value may hold several scopes separated by spaces (docker
// sends them so, and scope.md allows it); an empty value asks for nothing.
func ParseScopes(values []string) ([]Scope, error) {
	var out []Scope
	for _, v := range values {
		for f := range strings.SplitSeq(v, " ") {
			if f == "" {
				continue
			}
			if len(out) == MaxScopes {
				return nil, fmt.Errorf("%w: more than %d scopes in one request", ErrInvalidScope, MaxScopes)
			}
			sc, err := ParseScope(f)
			if err != nil {
				return nil, err
			}
			out = append(out, sc)
		}
	}
	return out, nil
}

// parseType splits "repository(plugin)" into its type and class, each
// /[a-z0-9]+/ as scope.md's grammar has it.
func parseType(s string) (typ, class, msg string) {
	typ = s
	if open := strings.IndexByte(s, '('); open >= 0 {
		if !strings.HasSuffix(s, ")") {
			return "", "", "resource class must be closed by \")\", as in repository(plugin)"
		}
		typ, class = s[:open], s[open+1:len(s)-1]
		if !lowerAlnum(class) {
			return "", "", "resource class must be lowercase letters and digits"
		}
	}
	if !lowerAlnum(typ) {
		return "", "", "resource type must be lowercase letters and digits, such as repository or registry"
	}
	return typ, class, ""
}

// checkName accepts a non-empty name of printable ASCII whose only ":" is a
// port in its first component. The repository grammar proper is the OCI
// adapter's: a name it does not know simply gets nothing from Grant.
func checkName(name string) string {
	if name == "" {
		return "resource name is empty"
	}
	if len(name) > maxNameLength {
		return fmt.Sprintf("resource name is longer than %d bytes", maxNameLength)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c > '~' {
			return "resource name may contain only printable ASCII without spaces"
		}
	}
	host, rest, _ := strings.Cut(name, "/")
	if strings.Contains(rest, ":") {
		return "resource name may contain \":\" only before a port number in its first component, as in host:5000/app"
	}
	if _, port, ok := strings.Cut(host, ":"); ok && (rest == "" || !digits(port)) {
		return "resource name may contain \":\" only before a port number in its first component, as in host:5000/app"
	}
	return ""
}

// parseActions splits the comma-separated actions, each /[a-z*]*/, dropping
// empty entries and repeats.
func parseActions(s string) ([]string, string) {
	out := []string{}
	for a := range strings.SplitSeq(s, ",") {
		for i := 0; i < len(a); i++ {
			if c := a[i]; (c < 'a' || c > 'z') && c != '*' {
				return nil, "actions must be lowercase words or \"*\", separated by commas, as in pull,push"
			}
		}
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out, ""
}

// scopeError wraps ErrInvalidScope with the scope (quoted and cut short, so
// a hostile value cannot flood a log) and what is wrong with it.
func scopeError(s, msg string) error {
	if len(s) > maxQuoted {
		s = s[:maxQuoted] + "…"
	}
	return fmt.Errorf("%w %q: %s", ErrInvalidScope, s, msg)
}

func lowerAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

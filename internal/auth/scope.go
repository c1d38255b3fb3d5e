package auth

import (
	"fmt"
	"regexp"
	"strings"
)

// Role is a permission on a repository.
type Role string

// The repository roles.
const (
	RoleRead    Role = "read"
	RoleWrite   Role = "write"
	RolePromote Role = "promote"
	RoleAdmin   Role = "admin"
)

// Roles lists every role, weakest first.
var Roles = []Role{RoleRead, RoleWrite, RolePromote, RoleAdmin}

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q (want read, write, promote or admin)", s)
}

// Implies reports whether holding r grants want.
func (r Role) Implies(want Role) bool {
	switch r {
	case RoleAdmin:
		return true
	case RoleWrite, RolePromote:
		return want == r || want == RoleRead
	default:
		return want == r
	}
}

// AnyRepo is the repository wildcard in a scope.
const AnyRepo = "*"

// GlobalAdmin is the scope of the global administrator.
const GlobalAdmin = "admin"

// Scope is one grant carried by a token: the global administrator, or a role on
// one repository or on every repository (Repo == AnyRepo).
type Scope struct {
	Admin bool
	Repo  string
	Role  Role
}

// String returns the canonical text form: "admin" or "repo:<key|*>:<role>".
func (s Scope) String() string {
	if s.Admin {
		return GlobalAdmin
	}
	return "repo:" + s.Repo + ":" + string(s.Role)
}

// Grants reports whether this scope alone grants role on repo.
func (s Scope) Grants(repo string, role Role) bool {
	if s.Admin {
		return true
	}
	return (s.Repo == AnyRepo || s.Repo == repo) && s.Role.Implies(role)
}

// Covers reports whether holding s is enough to grant o to someone else.
func (s Scope) Covers(o Scope) bool {
	switch {
	case s.Admin:
		return true
	case o.Admin:
		return false
	case o.Repo == AnyRepo:
		return s.Repo == AnyRepo && s.Role.Implies(o.Role)
	default:
		return s.Grants(o.Repo, o.Role)
	}
}

// repoKeyPattern is the shape of a repository key; see ValidRepoKey.
var repoKeyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// ValidRepoKey reports whether key is a valid repository key: lowercase,
// [a-z0-9][a-z0-9._-]{0,63}. Keys are also path segments, so "." and ".." are
// impossible by construction (they do not start with [a-z0-9]).
func ValidRepoKey(key string) bool { return repoKeyPattern.MatchString(key) }

// ParseScope parses "admin" or "repo:<key|*>:<role>".
func ParseScope(s string) (Scope, error) {
	if s == GlobalAdmin {
		return Scope{Admin: true}, nil
	}
	rest, ok := strings.CutPrefix(s, "repo:")
	if !ok {
		return Scope{}, fmt.Errorf("scope %q: want \"admin\" or \"repo:<key|*>:<role>\"", s)
	}
	key, role, ok := strings.Cut(rest, ":")
	if !ok {
		return Scope{}, fmt.Errorf("scope %q: missing role (want \"repo:<key|*>:<role>\")", s)
	}
	if key != AnyRepo && !ValidRepoKey(key) {
		return Scope{}, fmt.Errorf("scope %q: invalid repository key %q", s, key)
	}
	r, err := ParseRole(role)
	if err != nil {
		return Scope{}, fmt.Errorf("scope %q: %v", s, err)
	}
	return Scope{Repo: key, Role: r}, nil
}

// ParseScopes parses a list of scopes, reporting the index of the first bad one.
func ParseScopes(ss []string) ([]Scope, int, error) {
	out := make([]Scope, 0, len(ss))
	for i, s := range ss {
		sc, err := ParseScope(s)
		if err != nil {
			return nil, i, err
		}
		out = append(out, sc)
	}
	return out, -1, nil
}

// ScopeStrings renders scopes in canonical form.
func ScopeStrings(scopes []Scope) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = s.String()
	}
	return out
}

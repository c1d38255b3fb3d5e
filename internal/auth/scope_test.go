package auth

import (
	"slices"
	"strings"
	"testing"
)

func TestParseRole(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Role
		ok   bool
	}{
		{"read", RoleRead, true},
		{"write", RoleWrite, true},
		{"promote", RolePromote, true},
		{"admin", RoleAdmin, true},
		{"", "", false},
		{"Read", "", false},
		{"owner", "", false},
		{"read ", "", false},
	} {
		got, err := ParseRole(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseRole(%q) = %q, %v; want %q, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestParseScope(t *testing.T) {
	key64 := strings.Repeat("k", 64)
	valid := []struct {
		in   string
		want Scope
	}{
		{"admin", Scope{Admin: true}},
		{"repo:a:read", Scope{Repo: "a", Role: RoleRead}},
		{"repo:*:write", Scope{Repo: AnyRepo, Role: RoleWrite}},
		{"repo:my-repo.v2_x:promote", Scope{Repo: "my-repo.v2_x", Role: RolePromote}},
		{"repo:0:admin", Scope{Repo: "0", Role: RoleAdmin}},
		{"repo:" + key64 + ":read", Scope{Repo: key64, Role: RoleRead}},
	}
	for _, c := range valid {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseScope(c.in)
			if err != nil {
				t.Fatalf("ParseScope(%q): %v", c.in, err)
			}
			if got != c.want {
				t.Fatalf("ParseScope(%q) = %+v, want %+v", c.in, got, c.want)
			}
			if s := got.String(); s != c.in {
				t.Errorf("String() = %q, want the canonical input %q", s, c.in)
			}
			again, err := ParseScope(got.String())
			if err != nil || again != got {
				t.Errorf("ParseScope(String()) = %+v, %v; want %+v", again, err, got)
			}
		})
	}
	invalid := []string{
		"", "Admin", "ADMIN", " admin", "admin ", "admin:x", "administrator",
		"repo", "repo:", "repo:a", "repo:a:", "repo::read", "repo:a:Read", "repo:a:owner",
		"repo:a:read:extra", "repo:a:read ", "repos:a:read", "REPO:a:read", "repo :a:read",
		"repo:A:read", "repo:-a:read", "repo:.a:read", "repo:_a:read", "repo:.:read", "repo:..:read",
		"repo:a/b:read", "repo:a b:read", "repo:**:read", "repo:*a:read", "repo:a*:read",
		"repo:" + key64 + "k:read", "repo:é:read", "repo:a\n:read", "repo:a:read\n",
	}
	for _, in := range invalid {
		t.Run("invalid/"+in, func(t *testing.T) {
			if got, err := ParseScope(in); err == nil {
				t.Errorf("ParseScope(%q) = %+v, want an error", in, got)
			} else if !strings.Contains(err.Error(), "scope") {
				t.Errorf("ParseScope(%q) error %q does not say what was wrong", in, err)
			}
		})
	}
}

func TestParseScopes(t *testing.T) {
	got, bad, err := ParseScopes([]string{"repo:b:write", "admin", "repo:*:read"})
	if err != nil || bad != -1 {
		t.Fatalf("ParseScopes(valid) = bad %d, %v", bad, err)
	}
	if s := ScopeStrings(got); !slices.Equal(s, []string{"repo:b:write", "admin", "repo:*:read"}) {
		t.Errorf("ScopeStrings = %q", s)
	}
	for _, c := range []struct {
		in  []string
		bad int
	}{
		{[]string{"nope"}, 0},
		{[]string{"admin", "repo:a:read", "repo:a:nope", "also-bad"}, 2},
	} {
		if got, bad, err := ParseScopes(c.in); err == nil || bad != c.bad || got != nil {
			t.Errorf("ParseScopes(%q) = %v, bad %d, %v; want nil, bad %d, an error", c.in, got, bad, err, c.bad)
		}
	}
	if got, bad, err := ParseScopes(nil); err != nil || bad != -1 || len(got) != 0 {
		t.Errorf("ParseScopes(nil) = %v, %d, %v", got, bad, err)
	}
}

func TestValidRepoKey(t *testing.T) {
	for _, c := range []struct {
		key string
		ok  bool
	}{
		{"a", true},
		{"0", true},
		{"libs-release_2.x", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{".", false},
		{"..", false},
		{".hidden", false},
		{"-a", false},
		{"_a", false},
		{"A", false},
		{"aB", false},
		{"a/b", false},
		{"a b", false},
		{"a:b", false},
		{"*", false},
		{"a\n", false},
		{"é", false},
	} {
		if got := ValidRepoKey(c.key); got != c.ok {
			t.Errorf("ValidRepoKey(%q) = %v, want %v", c.key, got, c.ok)
		}
	}
}

func TestRoleImplies(t *testing.T) {
	// want[held] lists exactly the roles that holding `held` grants.
	want := map[Role][]Role{
		RoleRead:    {RoleRead},
		RoleWrite:   {RoleRead, RoleWrite},
		RolePromote: {RoleRead, RolePromote},
		RoleAdmin:   {RoleRead, RoleWrite, RolePromote, RoleAdmin},
	}
	for _, held := range Roles {
		for _, asked := range Roles {
			if got, exp := held.Implies(asked), slices.Contains(want[held], asked); got != exp {
				t.Errorf("%s.Implies(%s) = %v, want %v", held, asked, got, exp)
			}
		}
	}
	if Role("bogus").Implies(RoleRead) || RoleRead.Implies(Role("bogus")) {
		t.Error("an unknown role implies or is implied by read")
	}
	if len(Roles) != 4 {
		t.Errorf("Roles has %d entries, the matrix above covers 4", len(Roles))
	}
}

func TestScopeGrants(t *testing.T) {
	admin := Scope{Admin: true}
	for _, c := range []struct {
		scope Scope
		repo  string
		role  Role
		want  bool
	}{
		{admin, "any", RoleAdmin, true},
		{Scope{Repo: "a", Role: RoleWrite}, "a", RoleRead, true},
		{Scope{Repo: "a", Role: RoleWrite}, "a", RoleWrite, true},
		{Scope{Repo: "a", Role: RoleWrite}, "a", RolePromote, false},
		{Scope{Repo: "a", Role: RoleWrite}, "b", RoleRead, false},
		{Scope{Repo: "a", Role: RoleAdmin}, "ab", RoleRead, false},
		{Scope{Repo: AnyRepo, Role: RoleRead}, "b", RoleRead, true},
		{Scope{Repo: AnyRepo, Role: RoleRead}, "b", RoleWrite, false},
		{Scope{Repo: AnyRepo, Role: RoleAdmin}, "b", RolePromote, true},
	} {
		if got := c.scope.Grants(c.repo, c.role); got != c.want {
			t.Errorf("%s.Grants(%q, %s) = %v, want %v", c.scope, c.repo, c.role, got, c.want)
		}
	}
}

func TestScopeCovers(t *testing.T) {
	s := func(in string) Scope {
		sc, err := ParseScope(in)
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	for _, c := range []struct {
		held, granted string
		want          bool
	}{
		{"admin", "admin", true},
		{"admin", "repo:*:admin", true},
		{"admin", "repo:a:read", true},
		{"repo:*:admin", "admin", false},
		{"repo:a:admin", "admin", false},
		{"repo:*:admin", "repo:*:write", true},
		{"repo:*:admin", "repo:a:admin", true},
		{"repo:*:write", "repo:*:read", true},
		{"repo:*:write", "repo:*:promote", false},
		{"repo:*:read", "repo:a:read", true},
		{"repo:*:read", "repo:a:write", false},
		{"repo:a:admin", "repo:*:read", false}, // a specific repo never covers the wildcard
		{"repo:a:admin", "repo:a:promote", true},
		{"repo:a:write", "repo:a:read", true},
		{"repo:a:write", "repo:a:write", true},
		{"repo:a:write", "repo:a:admin", false},
		{"repo:a:write", "repo:a:promote", false},
		{"repo:a:write", "repo:b:read", false},
		{"repo:promote-x:promote", "repo:promote-x:read", true},
	} {
		if got := s(c.held).Covers(s(c.granted)); got != c.want {
			t.Errorf("%s.Covers(%s) = %v, want %v", c.held, c.granted, got, c.want)
		}
	}
}

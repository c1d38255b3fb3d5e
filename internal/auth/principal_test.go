package auth

import "testing"

func TestAnonymousPrincipal(t *testing.T) {
	var p *Principal
	if p.Authenticated() || p.IsAdmin() {
		t.Error("nil principal is authenticated or admin")
	}
	for _, r := range Roles {
		if p.Can("a", r) || p.Can(AnyRepo, r) {
			t.Errorf("nil principal can %s", r)
		}
		if p.Holds(Scope{Repo: "a", Role: r}) {
			t.Errorf("nil principal holds repo:a:%s", r)
		}
	}
	if p.Holds(Scope{Admin: true}) {
		t.Error("nil principal holds admin")
	}
	if p.Name() != "anonymous" {
		t.Errorf("Name() = %q, want anonymous", p.Name())
	}
}

func TestPrincipalWithoutGrants(t *testing.T) {
	p := NewPrincipal("nobody", SourcePAT, "id", nil, nil)
	if !p.Authenticated() || p.IsAdmin() || p.Can("a", RoleRead) || p.Holds(Scope{Repo: "a", Role: RoleRead}) {
		t.Errorf("principal without grants: authenticated=%v admin=%v can-read=%v", p.Authenticated(), p.IsAdmin(), p.Can("a", RoleRead))
	}
	if p.Name() != "nobody" {
		t.Errorf("Name() = %q", p.Name())
	}
}

func TestPrincipalGrants(t *testing.T) {
	// Token scopes: write on "app", read everywhere. Bindings: admin on "team", promote on "app".
	p := NewPrincipal("alice", SourcePAT, "tok",
		[]Scope{{Repo: "app", Role: RoleWrite}, {Repo: AnyRepo, Role: RoleRead}},
		[]Scope{{Repo: "team", Role: RoleAdmin}, {Repo: "app", Role: RolePromote}})
	if p.IsAdmin() {
		t.Error("IsAdmin = true without the admin scope")
	}
	for _, c := range []struct {
		repo string
		role Role
		want bool
	}{
		{"app", RoleRead, true},
		{"app", RoleWrite, true},   // token scope
		{"app", RolePromote, true}, // binding
		{"app", RoleAdmin, false},
		{"team", RoleAdmin, true}, // binding
		{"team", RoleWrite, true},
		{"other", RoleRead, true}, // wildcard
		{"other", RoleWrite, false},
		{"other", RolePromote, false},
	} {
		if got := p.Can(c.repo, c.role); got != c.want {
			t.Errorf("Can(%q, %s) = %v, want %v", c.repo, c.role, got, c.want)
		}
	}
	for _, c := range []struct {
		scope string
		want  bool
	}{
		{"repo:app:write", true},
		{"repo:app:promote", true},
		{"repo:app:admin", false},
		{"repo:team:admin", true},
		{"repo:*:read", true},
		{"repo:*:write", false},
		{"repo:other:read", true},
		{"repo:other:write", false},
		{"admin", false},
	} {
		sc, err := ParseScope(c.scope)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Holds(sc); got != c.want {
			t.Errorf("Holds(%s) = %v, want %v", c.scope, got, c.want)
		}
	}
	if len(p.Scopes) != 2 {
		t.Errorf("Scopes = %v: bindings leaked into the credential's own scopes", p.Scopes)
	}
}

func TestPrincipalAdmin(t *testing.T) {
	p := NewPrincipal("root", SourceBootstrap, "", []Scope{{Admin: true}}, nil)
	if !p.IsAdmin() || !p.Can("anything", RoleAdmin) || !p.Holds(Scope{Admin: true}) || !p.Holds(Scope{Repo: AnyRepo, Role: RoleAdmin}) {
		t.Error("admin principal lacks a grant")
	}
}

func TestNewPrincipalDoesNotWriteIntoCallerSlice(t *testing.T) {
	scopes := make([]Scope, 1, 4)
	scopes[0] = Scope{Repo: "a", Role: RoleRead}
	NewPrincipal("alice", SourcePAT, "t", scopes, []Scope{{Admin: true}})
	if spare := scopes[:2][1]; spare != (Scope{}) {
		t.Errorf("NewPrincipal wrote %+v into the spare capacity of the caller's scopes", spare)
	}
}

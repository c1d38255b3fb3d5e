package registrytoken

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseScope(t *testing.T) {
	tests := []struct {
		in   string
		want Scope
	}{
		{"repository:team/app:pull", Scope{Type: "repository", Name: "team/app", Actions: []string{"pull"}}},
		{"repository:team/app:pull,push", Scope{Type: "repository", Name: "team/app", Actions: []string{"pull", "push"}}},
		{"repository:a:push,pull,push", Scope{Type: "repository", Name: "a", Actions: []string{"push", "pull"}}},
		{"repository:a/b/c/d:delete", Scope{Type: "repository", Name: "a/b/c/d", Actions: []string{"delete"}}},
		// The name's port colon must not be taken for the actions separator.
		{"repository:host:5000/team/app:pull,push", Scope{Type: "repository", Name: "host:5000/team/app", Actions: []string{"pull", "push"}}},
		{"repository:localhost:5000/x:pull", Scope{Type: "repository", Name: "localhost:5000/x", Actions: []string{"pull"}}},
		{"registry:catalog:*", Scope{Type: "registry", Name: "catalog", Actions: []string{"*"}}},
		{"repository(plugin):team/app:pull", Scope{Type: "repository", Class: "plugin", Name: "team/app", Actions: []string{"pull"}}},
		// Unknown types and actions parse; Grant ignores them.
		{"namespace:team:pull", Scope{Type: "namespace", Name: "team", Actions: []string{"pull"}}},
		{"repository:a/b:pull,frob", Scope{Type: "repository", Name: "a/b", Actions: []string{"pull", "frob"}}},
		// The grammar allows empty actions; they are dropped.
		{"repository:a/b:", Scope{Type: "repository", Name: "a/b", Actions: []string{}}},
		{"repository:a/b:,pull,,", Scope{Type: "repository", Name: "a/b", Actions: []string{"pull"}}},
		// Names are checked loosely here; the OCI adapter owns the grammar.
		{"repository:Team/App_1:pull", Scope{Type: "repository", Name: "Team/App_1", Actions: []string{"pull"}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseScope(tt.in)
			if err != nil {
				t.Fatalf("ParseScope(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseScope(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseScopeRefuses(t *testing.T) {
	tests := []struct{ in, why string }{
		{"", "want <type>:<name>:<actions>"},
		{"repository", "want <type>:<name>:<actions>"},
		{"repository:team/app", "want <type>:<name>:<actions>"},
		{":team/app:pull", "resource type"},
		{"Repository:team/app:pull", "resource type"},
		{"repo-sitory:team/app:pull", "resource type"},
		{"repository(plugin:a:pull", "closed"},
		{"repository():a:pull", "resource class"},
		{"repository(Plugin):a:pull", "resource class"},
		{"repository(a)(b):a:pull", "resource class"},
		{"repository::pull", "name is empty"},
		{"repository:team app:pull", "printable ASCII"},
		{"repository:team\tapp:pull", "printable ASCII"},
		{"repository:tëam:pull", "printable ASCII"},
		{"repository:" + strings.Repeat("a", maxNameLength+1) + ":pull", "longer than"},
		{"repository:host:port/app:pull", "port number"},
		{"repository:host:5000:pull", "port number"},
		{"repository:a/host:5000/b:pull", "port number"},
		{"repository:a:b:c:pull", "port number"},
		{"repository:a/b:PULL", "actions"},
		{"repository:a/b:pull push", "actions"},
		{"repository:a/b:pull;push", "actions"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseScope(tt.in)
			if !errors.Is(err, ErrInvalidScope) {
				t.Fatalf("ParseScope(%q) = %v, want ErrInvalidScope", tt.in, err)
			}
			if !strings.Contains(err.Error(), tt.why) {
				t.Errorf("ParseScope(%q) error %q does not say %q", tt.in, err, tt.why)
			}
		})
	}
}

func TestParseScopeErrorIsShort(t *testing.T) {
	_, err := ParseScope("repository:" + strings.Repeat("x", 10000))
	if err == nil || len(err.Error()) > 400 {
		t.Errorf("error for a 10 kB scope is %d bytes long, want a short one", len(err.Error()))
	}
}

func TestScopeString(t *testing.T) {
	for _, s := range []string{
		"repository:team/app:pull,push",
		"repository(plugin):host:5000/app:pull",
		"registry:catalog:*",
	} {
		sc, err := ParseScope(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := sc.String(); got != s {
			t.Errorf("String() = %q, want %q", got, s)
		}
	}
}

func TestParseScopes(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string // String() of each scope
	}{
		{"none", nil, nil},
		{"empty value asks for nothing", []string{""}, nil},
		{"one", []string{"repository:a/b:pull"}, []string{"repository:a/b:pull"}},
		{"several parameters", []string{"repository:a/b:pull", "repository:c/d:pull,push"},
			[]string{"repository:a/b:pull", "repository:c/d:pull,push"}},
		{"space-separated in one parameter", []string{"repository:a/b:pull repository:c/d:push  registry:catalog:*"},
			[]string{"repository:a/b:pull", "repository:c/d:push", "registry:catalog:*"}},
		{"both", []string{" repository:a/b:pull ", "repository:c/d:push repository:e/f:pull"},
			[]string{"repository:a/b:pull", "repository:c/d:push", "repository:e/f:pull"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseScopes(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var strs []string
			for _, s := range got {
				strs = append(strs, s.String())
			}
			if !reflect.DeepEqual(strs, tt.want) {
				t.Errorf("ParseScopes(%q) = %q, want %q", tt.in, strs, tt.want)
			}
		})
	}
}

func TestParseScopesRefuses(t *testing.T) {
	if _, err := ParseScopes([]string{"repository:a/b:pull bogus"}); !errors.Is(err, ErrInvalidScope) {
		t.Errorf("one bad scope among good ones: err = %v, want ErrInvalidScope", err)
	}
	many := strings.TrimSpace(strings.Repeat("repository:a/b:pull ", MaxScopes))
	if _, err := ParseScopes([]string{many}); err != nil {
		t.Errorf("%d scopes: %v", MaxScopes, err)
	}
	_, err := ParseScopes([]string{many, "repository:c/d:pull"})
	if !errors.Is(err, ErrInvalidScope) || !strings.Contains(err.Error(), "more than") {
		t.Errorf("%d scopes: err = %v, want ErrInvalidScope saying too many", MaxScopes+1, err)
	}
}

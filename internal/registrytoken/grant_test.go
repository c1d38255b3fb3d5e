package registrytoken

import (
	"reflect"
	"testing"
)

// holds returns an allowed func for a caller holding the given actions per
// repository name, and a counter of how often it was asked.
func holds(held map[string][]string) (func(string, string) bool, map[[2]string]int) {
	asked := map[[2]string]int{}
	return func(name, action string) bool {
		asked[[2]string{name, action}]++
		for _, a := range held[name] {
			if a == action {
				return true
			}
		}
		return false
	}, asked
}

func mustScopes(t *testing.T, ss ...string) []Scope {
	t.Helper()
	out, err := ParseScopes(ss)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGrant(t *testing.T) {
	rw := map[string][]string{"team/app": {"pull", "push", "delete"}, "team/lib": {"pull"}}
	tests := []struct {
		name      string
		requested []string
		held      map[string][]string
		want      []Access
	}{
		{"nothing asked", nil, rw, []Access{}},
		{"all held", []string{"repository:team/app:pull,push"}, rw,
			[]Access{{"repository", "team/app", []string{"pull", "push"}}}},
		{"partial grant is not an error", []string{"repository:team/lib:pull,push"}, rw,
			[]Access{{"repository", "team/lib", []string{"pull"}}}},
		{"nothing held drops the scope", []string{"repository:other/x:pull,push"}, rw, []Access{}},
		{"unknown actions are ignored", []string{"repository:team/app:frob,pull"}, rw,
			[]Access{{"repository", "team/app", []string{"pull"}}}},
		{"star expands to what is held", []string{"repository:team/lib:*"}, rw,
			[]Access{{"repository", "team/lib", []string{"pull"}}}},
		{"star expands to every action", []string{"repository:team/app:*"}, rw,
			[]Access{{"repository", "team/app", []string{"pull", "push", "delete"}}}},
		{"same resource merges", []string{"repository:team/app:pull", "repository:team/app:push,pull"}, rw,
			[]Access{{"repository", "team/app", []string{"pull", "push"}}}},
		{"mount asks for two repositories", []string{"repository:team/app:pull,push repository:team/lib:pull"}, rw,
			[]Access{{"repository", "team/app", []string{"pull", "push"}}, {"repository", "team/lib", []string{"pull"}}}},
		{"resource class is ignored", []string{"repository(plugin):team/lib:pull"}, rw,
			[]Access{{"repository", "team/lib", []string{"pull"}}}},
		{"catalog for anyone", []string{"registry:catalog:*"}, nil,
			[]Access{{"registry", "catalog", []string{"*"}}}},
		{"catalog only with star", []string{"registry:catalog:pull"}, rw, []Access{}},
		{"other registry names dropped", []string{"registry:other:*"}, rw, []Access{}},
		{"unknown type dropped", []string{"namespace:team/app:pull"}, rw, []Access{}},
		{"no action asked", []string{"repository:team/app:"}, rw, []Access{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			allowed, _ := holds(tt.held)
			got := Grant(mustScopes(t, tt.requested...), allowed)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Grant(%q) = %+v, want %+v", tt.requested, got, tt.want)
			}
		})
	}
}

func TestGrantAsksOncePerAction(t *testing.T) {
	allowed, asked := holds(map[string][]string{"a/b": {"pull"}})
	Grant(mustScopes(t, "repository:a/b:pull,push", "repository:a/b:push,pull,frob", "repository:a/b:*"), allowed)
	want := map[[2]string]int{{"a/b", "pull"}: 1, {"a/b", "push"}: 1, {"a/b", "delete"}: 1}
	if !reflect.DeepEqual(asked, want) {
		t.Errorf("allowed was asked %v, want %v", asked, want)
	}
}

func TestClaimsAllows(t *testing.T) {
	c := Claims{Access: []Access{
		{"repository", "team/app", []string{"pull", "push"}},
		{"registry", "catalog", []string{"*"}},
	}}
	tests := []struct {
		typ, name, action string
		want              bool
	}{
		{"repository", "team/app", "pull", true},
		{"repository", "team/app", "push", true},
		{"repository", "team/app", "delete", false},
		{"repository", "team/app", "*", false},
		{"repository", "team/other", "pull", false},
		{"repository", "team", "pull", false},
		{"registry", "team/app", "pull", false},
		{"registry", "catalog", "*", true},
		{"registry", "catalog", "pull", false},
	}
	for _, tt := range tests {
		if got := c.Allows(tt.typ, tt.name, tt.action); got != tt.want {
			t.Errorf("Allows(%q, %q, %q) = %v, want %v", tt.typ, tt.name, tt.action, got, tt.want)
		}
	}
	if (Claims{}).Allows("repository", "team/app", "pull") {
		t.Error("empty claims allow a pull")
	}
}

package registrytoken

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzParseScope checks that ParseScope never panics, refuses only with
// ErrInvalidScope, and that what it accepts is well formed and survives a
// String round trip (the challenge header is built with String).
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{
		"repository:team/app:pull,push",
		"repository:host:5000/team/app:pull",
		"repository(plugin):a:pull",
		"registry:catalog:*",
		"repository:a/b:",
		"repository:a:b:c:pull",
		"repository::pull",
		"a(b):c:d",
		":::",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseScope(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidScope) {
				t.Fatalf("ParseScope(%q) error %v does not wrap ErrInvalidScope", s, err)
			}
			return
		}
		if !lowerAlnum(sc.Type) || (sc.Class != "" && !lowerAlnum(sc.Class)) {
			t.Errorf("ParseScope(%q): bad type %q or class %q", s, sc.Type, sc.Class)
		}
		if sc.Name == "" || strings.ContainsAny(sc.Name, " \t\n") {
			t.Errorf("ParseScope(%q): bad name %q", s, sc.Name)
		}
		if strings.Count(sc.Name, ":") > 1 {
			t.Errorf("ParseScope(%q): name %q has more than one colon", s, sc.Name)
		}
		for i, a := range sc.Actions {
			if a == "" || strings.ContainsAny(a, ",:") || slices.Contains(sc.Actions[:i], a) {
				t.Errorf("ParseScope(%q): bad or repeated action %q in %q", s, a, sc.Actions)
			}
		}
		again, err := ParseScope(sc.String())
		if err != nil {
			t.Fatalf("ParseScope(%q) = %+v, but its String %q does not parse: %v", s, sc, sc.String(), err)
		}
		if !reflect.DeepEqual(again, sc) {
			t.Errorf("round trip of %q: %+v, then %+v", s, sc, again)
		}
	})
}

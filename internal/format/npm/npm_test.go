package npm

import (
	"errors"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/formattest"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		in, scope, name string
		valid           bool
	}{
		{"lodash", "", "lodash", true},
		{"left-pad", "", "left-pad", true},
		{"socket.io", "", "socket.io", true},
		{"under_score", "", "under_score", true},
		{"123", "", "123", true},
		{"@babel/core", "babel", "core", true},
		{"@types/node", "types", "node", true},
		{"@babel%2fcore", "babel", "core", true},
		{"@babel%2Fcore", "babel", "core", true},
		{"@scope/node_modules", "scope", "node_modules", true},
		{"@s/" + strings.Repeat("a", 211), "s", strings.Repeat("a", 211), true},

		{"", "", "", false},
		{"Lodash", "", "", false},
		{"@Babel/core", "", "", false},
		{"@babel/Core", "", "", false},
		{".hidden", "", "", false},
		{"_private", "", "", false},
		{"@scope/.x", "", "", false},
		{"@scope/_x", "", "", false},
		{" leading", "", "", false},
		{"trailing ", "", "", false},
		{"with space", "", "", false},
		{"node_modules", "", "", false},
		{"favicon.ico", "", "", false},
		{"crazy!", "", "", false},
		{"foo(bar)", "", "", false},
		{"tilde~", "", "", false},
		{"ünicode", "", "", false},
		{"a/b", "", "", false},
		{"@scope", "", "", false},
		{"@/name", "", "", false},
		{"@scope/", "", "", false},
		{"@scope/a/b", "", "", false},
		{"@scope%2f", "", "", false},
		{"name%2fx", "", "", false},
		{"@s/" + strings.Repeat("a", 212), "", "", false},
		{strings.Repeat("a", 215), "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			scope, name, err := New().ParseName(tt.in)
			if !tt.valid {
				formattest.FieldError(t, err, "name")
				return
			}
			if err != nil || scope != tt.scope || name != tt.name {
				t.Fatalf("ParseName(%q) = %q, %q, %v; want %q, %q", tt.in, scope, name, err, tt.scope, tt.name)
			}
		})
	}
}

func TestUppercaseMessage(t *testing.T) {
	_, _, err := ParseName("JSONStream")
	if err == nil || !strings.Contains(err.Error(), `"jsonstream"`) {
		t.Fatalf("error %v should suggest the lowercase name", err)
	}
}

func TestValidateVersion(t *testing.T) {
	for _, v := range []string{"1.0.0", "0.0.1-alpha.1", "2.0.0+build.1"} {
		formattest.FieldError(t, New().ValidateVersion(v), "")
	}
	for _, v := range []string{"", "v1.0.0", "1.0", "^1.0.0", "1.0.0 - 2.0.0", "latest", "01.0.0"} {
		formattest.FieldError(t, New().ValidateVersion(v), "version")
	}
}

func TestCompareVersions(t *testing.T) {
	formattest.Order(t, New().CompareVersions, []string{
		"0.1.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0",
	})
}

func TestValidateManifest(t *testing.T) {
	scoped := format.Coordinates{Namespace: "acme", Name: "widget", Version: "1.2.3"}
	plain := format.Coordinates{Name: "widget", Version: "1.2.3"}
	tests := []struct {
		name string
		c    format.Coordinates
		raw  string
		want string
	}{
		{"ok scoped", scoped, `{"name":"@acme/widget","version":"1.2.3","dependencies":{"a":"^1.0.0"},"license":"MIT","dist":{"tarball":5}}`, ""},
		{"ok plain", plain, `{"name":"widget","version":"1.2.3","devDependencies":{},"peerDependencies":null}`, ""},
		{"name without scope", scoped, `{"name":"widget","version":"1.2.3"}`, "manifest.name"},
		{"missing name", plain, `{"version":"1.2.3"}`, "manifest.name"},
		{"missing version", plain, `{"name":"widget"}`, "manifest.version"},
		{"other version", plain, `{"name":"widget","version":"1.2.4"}`, "manifest.version"},
		{"v-prefixed version", plain, `{"name":"widget","version":"v1.2.3"}`, "manifest.version"},
		{"deps array", plain, `{"name":"widget","version":"1.2.3","dependencies":["a"]}`, "manifest.dependencies"},
		{"dep not string", plain, `{"name":"widget","version":"1.2.3","optionalDependencies":{"a":{"v":1}}}`, `manifest.optionalDependencies["a"]`},
		{"license object", plain, `{"name":"widget","version":"1.2.3","license":{"type":"MIT"}}`, "manifest.license"},
		{"not object", plain, `"widget"`, "manifest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			formattest.FieldError(t, New().ValidateManifest(tt.c, []byte(tt.raw)), tt.want)
		})
	}
}

func FuzzManifestNPM(f *testing.F) {
	f.Add(`{"name":"@acme/widget","version":"1.2.3","dependencies":{"a":"^1"}}`)
	f.Add(`{"name":"@acme/widget","version":"1.2.3","devDependencies":{"a":1}}`)
	f.Add(`{"name":`)
	f.Add(`null`)
	c := format.Coordinates{Namespace: "acme", Name: "widget", Version: "1.2.3"}
	f.Fuzz(func(t *testing.T, raw string) {
		err := New().ValidateManifest(c, []byte(raw))
		if err != nil {
			var fe *format.FieldError
			if !errors.As(err, &fe) || !strings.HasPrefix(fe.Field, "manifest") {
				t.Fatalf("error %v (%T) is not a manifest FieldError", err, err)
			}
		}
	})
}

func FuzzNPMName(f *testing.F) {
	for _, s := range []string{"lodash", "@babel/core", "@babel%2fcore", "@a%2Fb/c", "A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		scope, name, err := ParseName(s)
		if err != nil {
			var fe *format.FieldError
			if !errors.As(err, &fe) || fe.Field != "name" {
				t.Fatalf("error %v is not a name FieldError", err)
			}
			return
		}
		s2, n2, err := ParseName(FullName(scope, name))
		if err != nil || s2 != scope || n2 != name {
			t.Fatalf("round trip of %q: %q %q %v", s, s2, n2, err)
		}
	})
}

package gomod

import (
	"testing"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/formattest"
)

func TestParseName(t *testing.T) {
	for _, in := range []string{"example.com/m", "github.com/Azure/azure-sdk-for-go", "golang.org/x/mod", "example.com/m/v2", "gopkg.in/yaml.v3", "corp.internal/team/svc"} {
		ns, name, err := New().ParseName(in)
		if err != nil || ns != "" || name != in {
			t.Errorf("ParseName(%q) = %q, %q, %v", in, ns, name, err)
		}
	}
	for _, in := range []string{"", "mymod", "example.com/", "/example.com", "example.com//m", "example.com/m/v1", "example.com/m/v0", "-example.com/m", "example.com/m@v1", "example.com/.m", "example.com/m/../x", "example com/m"} {
		_, _, err := New().ParseName(in)
		formattest.FieldError(t, err, "name")
	}
}

func TestValidateVersion(t *testing.T) {
	for _, v := range []string{"v0.0.1", "v1.2.3", "v1.2.3-pre.1", "v0.0.0-20240101120000-abcdefabcdef", "v2.0.0+incompatible", "v10.1.0+incompatible", "v1.2.4-0.20240101120000-abcdefabcdef"} {
		formattest.FieldError(t, New().ValidateVersion(v), "")
	}
	for _, v := range []string{"", "1.2.3", "v1.2", "v1", "v1.2.3+build", "v1.2.3+incompatible", "v0.1.0+incompatible", "v01.2.3", "latest", "v1.2.3 "} {
		formattest.FieldError(t, New().ValidateVersion(v), "version")
	}
}

func TestCompareVersions(t *testing.T) {
	formattest.Order(t, New().CompareVersions, []string{
		"v0.0.0-20200101000000-aaaaaaaaaaaa",
		"v0.0.0-20240101000000-aaaaaaaaaaaa",
		"v0.1.0",
		"v1.0.0-alpha",
		"v1.0.0-beta.2",
		"v1.0.0-beta.11",
		"v1.0.0",
		"v1.2.4-0.20240101120000-abcdefabcdef",
		"v1.2.4",
		"v1.10.0",
		"v2.0.0+incompatible",
		"v3.0.0",
	})
}

func TestValidateManifest(t *testing.T) {
	c := format.Coordinates{Name: "example.com/m", Version: "v1.2.3"}
	c2 := format.Coordinates{Name: "example.com/m/v2", Version: "v2.0.1"}
	ci := format.Coordinates{Name: "example.com/m", Version: "v2.0.0+incompatible"}
	tests := []struct {
		name string
		c    format.Coordinates
		raw  string
		want string
	}{
		{"ok", c, `{"module":"example.com/m","version":"v1.2.3","goVersion":"1.22","require":[{"path":"golang.org/x/mod","version":"v0.42.0"},{"path":"example.com/x/v3","version":"v3.1.0"}]}`, ""},
		{"ok v2", c2, `{"module":"example.com/m/v2","version":"v2.0.1","goVersion":"1.21.0"}`, ""},
		{"ok incompatible", ci, `{"module":"example.com/m","version":"v2.0.0+incompatible"}`, ""},
		{"ok go rc", c, `{"module":"example.com/m","version":"v1.2.3","goVersion":"1.21rc1"}`, ""},
		{"wrong module", c, `{"module":"example.com/n","version":"v1.2.3"}`, "manifest.module"},
		{"wrong version", c, `{"module":"example.com/m","version":"v1.2.4"}`, "manifest.version"},
		{"v2 without suffix", format.Coordinates{Name: "example.com/m", Version: "v2.0.0"}, `{"module":"example.com/m","version":"v2.0.0"}`, "manifest.version"},
		{"v1 with v2 suffix", format.Coordinates{Name: "example.com/m/v2", Version: "v1.0.0"}, `{"module":"example.com/m/v2","version":"v1.0.0"}`, "manifest.version"},
		{"non-canonical", format.Coordinates{Name: "example.com/m", Version: "v1.2"}, `{"module":"example.com/m","version":"v1.2"}`, "manifest.version"},
		{"bad go version", c, `{"module":"example.com/m","version":"v1.2.3","goVersion":"go1.22"}`, "manifest.goVersion"},
		{"require not array", c, `{"module":"example.com/m","version":"v1.2.3","require":{}}`, "manifest.require"},
		{"require bad path", c, `{"module":"example.com/m","version":"v1.2.3","require":[{"path":"nodot","version":"v1.0.0"}]}`, "manifest.require[0].path"},
		{"require bad version", c, `{"module":"example.com/m","version":"v1.2.3","require":[{"path":"example.com/a","version":"v1.0.0"},{"path":"example.com/b","version":"1.0"}]}`, "manifest.require[1].version"},
		{"require missing version", c, `{"module":"example.com/m","version":"v1.2.3","require":[{"path":"example.com/a"}]}`, "manifest.require[0].version"},
		{"missing module", c, `{"version":"v1.2.3"}`, "manifest.module"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			formattest.FieldError(t, New().ValidateManifest(tt.c, []byte(tt.raw)), tt.want)
		})
	}
}

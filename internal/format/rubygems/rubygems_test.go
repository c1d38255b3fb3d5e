package rubygems

import (
	"testing"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/formattest"
)

func TestParseName(t *testing.T) {
	for _, in := range []string{"rails", "ActiveSupport", "net-http", "ruby_parser", "a1", "Fast.Gem", "1a"} {
		ns, name, err := New().ParseName(in)
		if err != nil || ns != "" || name != in {
			t.Errorf("ParseName(%q) = %q, %q, %v", in, ns, name, err)
		}
	}
	for _, in := range []string{"", "123", ".gem", "-gem", "_gem", "my gem", "gem/x", "gém"} {
		_, _, err := New().ParseName(in)
		formattest.FieldError(t, err, "name")
	}
}

func TestValidateVersion(t *testing.T) {
	for _, v := range []string{"0", "1", "1.2.3", "2.0.0.rc1", "1.0.a", "1.0-beta", "1.0-beta-2.x", "3.0.0.pre.1", "1.0.0.A"} {
		formattest.FieldError(t, New().ValidateVersion(v), "")
	}
	for _, v := range []string{"", "a", "v1.0", ".1", "1.", "1..0", "1.0 ", " 1.0", "1.0_1", "1.0+b", "1.0-", "-1"} {
		formattest.FieldError(t, New().ValidateVersion(v), "version")
	}
}

// TestOrder follows RubyGems' own Gem::Version tests and guides: string
// segments are pre-releases and sort before numbers at the same place.
func TestOrder(t *testing.T) {
	formattest.Order(t, New().CompareVersions, []string{
		"0.9",
		"1.0.0.a",
		"1.0.0.a1",
		"1.0.0.a2",
		"1.0.0.a10",
		"1.0.0.b",
		"1.0.0.beta",
		"1.0.0.pre",
		"1.0.0.rc1",
		"1.0",
		"1.0.0.1",
		"1.0.1",
		"1.1.a",
		"1.1",
		"1.9",
		"1.10",
		"2",
		"10.0",
	})
}

func TestEqual(t *testing.T) {
	formattest.Equal(t, New().CompareVersions, [][2]string{
		{"1.0", "1"},
		{"1.0.0", "1"},
		{"1.0-beta", "1.0.pre.beta"},
		{"1.0.a.0", "1.0.a"},
		{"1.01", "1.1"},
		{"1.0.b1", "1.0.b.1"},
	})
}

func TestIsPrerelease(t *testing.T) {
	for v, want := range map[string]bool{"1.0": false, "1.0.a": true, "1.0-1": true, "2.0.0.rc1": true} {
		if IsPrerelease(v) != want {
			t.Errorf("IsPrerelease(%q) = %v", v, !want)
		}
	}
}

func TestValidateManifest(t *testing.T) {
	c := format.Coordinates{Name: "rails", Version: "7.1.0"}
	tests := []struct{ name, raw, field string }{
		{"ok", `{"name":"rails","version":"7.1.0","platform":"ruby","dependencies":[{"name":"activesupport","requirements":["= 7.1.0"],"type":"runtime"},{"name":"rake","requirements":">= 12.2"}]}`, ""},
		{"ok no platform", `{"name":"rails","version":"7.1.0"}`, ""},
		{"ok native", `{"name":"rails","version":"7.1.0","platform":"x86_64-linux"}`, ""},
		{"wrong name", `{"name":"Rails","version":"7.1.0"}`, "manifest.name"},
		{"wrong version", `{"name":"rails","version":"7.1"}`, "manifest.version"},
		{"bad platform", `{"name":"rails","version":"7.1.0","platform":"x86 linux"}`, "manifest.platform"},
		{"dep bad name", `{"name":"rails","version":"7.1.0","dependencies":[{"name":"-x"}]}`, "manifest.dependencies[0].name"},
		{"dep bad requirements", `{"name":"rails","version":"7.1.0","dependencies":[{"name":"x","requirements":5}]}`, "manifest.dependencies[0].requirements"},
		{"dep bad type", `{"name":"rails","version":"7.1.0","dependencies":[{"name":"x","type":"test"}]}`, "manifest.dependencies[0].type"},
		{"deps object", `{"name":"rails","version":"7.1.0","dependencies":{"x":"1"}}`, "manifest.dependencies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			formattest.FieldError(t, New().ValidateManifest(c, []byte(tt.raw)), tt.field)
		})
	}
}

func FuzzGemCompare(f *testing.F) {
	f.Add("1.0.a", "1.0", "1-1")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		formattest.Compare(t, Compare, a, b, c)
	})
}

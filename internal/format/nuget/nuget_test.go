package nuget

import (
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/formattest"
)

func TestParseName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Newtonsoft.Json", "newtonsoft.json"},
		{"NUnit", "nunit"},
		{"Microsoft.Extensions.DependencyInjection", "microsoft.extensions.dependencyinjection"},
		{"my_pkg-2", "my_pkg-2"},
		{"_x", "_x"},
		{strings.Repeat("a", 100), strings.Repeat("a", 100)},
	}
	for _, tt := range tests {
		ns, name, err := New().ParseName(tt.in)
		if err != nil || ns != "" || name != tt.want {
			t.Errorf("ParseName(%q) = %q, %q, %v; want %q", tt.in, ns, name, err, tt.want)
		}
	}
	for _, in := range []string{"", ".x", "x.", "a..b", "a.-b", "-a", "a b", "a/b", "ä", "a+b", strings.Repeat("a", 101)} {
		_, _, err := New().ParseName(in)
		formattest.FieldError(t, err, "name")
	}
}

// TestNormalize checks the examples of NuGet's "Normalized version
// numbers" documentation.
func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1.00", "1.0.0"},
		{"1.01.1", "1.1.1"},
		{"1.00.0.1", "1.0.0.1"},
		{"1.0.0.0", "1.0.0"},
		{"1.0.01.0", "1.0.1"},
		{"1.0.7+r3456", "1.0.7"},
		{"1.0", "1.0.0"},
		{"1", "1.0.0"},
		{"1.0.0-Beta.1", "1.0.0-Beta.1"},
		{"2.1.0.4-RC+sha.1", "2.1.0.4-RC"},
	}
	for _, tt := range tests {
		got, err := NormalizeVersion(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeVersion(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// TestCanonical checks the uniqueness key: the normalised version with
// its labels lowercased and numeric labels without leading zeros.
func TestCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1.0", "1.0.0"},
		{"1.0.0.0", "1.0.0"},
		{"1.0.0+meta", "1.0.0"},
		{"1.0.0-Beta", "1.0.0-beta"},
		{"1.0-RC.01", "1.0.0-rc.1"},
		{"1.0.0.4-Alpha-X+sha.1", "1.0.0.4-alpha-x"},
		{"1.0.0-99999999999", "1.0.0-99999999999"},
	}
	for _, tt := range tests {
		if got := format.NormalizeVersion(New(), tt.in); got != tt.want {
			t.Errorf("NormalizeVersion(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := format.NormalizeVersion(New(), "not a version"); got != "not a version" {
		t.Errorf("an invalid version normalised to %q", got)
	}
}

func TestValidateVersion(t *testing.T) {
	for _, v := range []string{"1", "1.0", "1.0.0", "1.0.0.0", "01.002.0003", "1.0.0-beta", "1.0.0-beta.1", "1.0.0-01", "1.0.0+meta", "1.0.0-a-b.c"} {
		formattest.FieldError(t, New().ValidateVersion(v), "")
	}
	for _, v := range []string{"", "v1.0", "1.0.0.0.0", "1..0", "1.0.", ".1", "1.0-", "1.0+", "1.0-be_ta", "1.0-a..b", "2147483648.0", "-1.0", "1.0.0 ", "a.b"} {
		formattest.FieldError(t, New().ValidateVersion(v), "version")
	}
}

func TestOrder(t *testing.T) {
	formattest.Order(t, New().CompareVersions, []string{
		"0.9",
		"1.0.0-alpha",
		"1.0.0-alpha.1",
		"1.0.0-alpha.beta",
		"1.0.0-beta",
		"1.0.0-beta.2",
		"1.0.0-beta.11",
		"1.0.0-rc.1",
		"1.0.0",
		"1.0.0.1",
		"1.0.1",
		"1.1",
		"1.10",
		"2.0.0",
	})
}

func TestEqual(t *testing.T) {
	formattest.Equal(t, New().CompareVersions, [][2]string{
		{"1.0", "1.0.0"},
		{"1.0.0.0", "1.0.0"},
		{"01.0", "1.0.0"},
		{"1.0.0-BETA", "1.0.0-beta"},
		{"1.0.0+a", "1.0.0+b"},
		{"1.0.0-01", "1.0.0-1"},
	})
}

func TestValidateManifest(t *testing.T) {
	c := format.Coordinates{Name: "newtonsoft.json", Version: "13.0.1"}
	tests := []struct{ name, raw, field string }{
		{"ok", `{"id":"Newtonsoft.Json","version":"13.0.1","authors":"James Newton-King","description":"Json.NET"}`, ""},
		{"ok unnormalised", `{"id":"newtonsoft.json","version":"13.0.01.0+sha"}`, ""},
		{"wrong id", `{"id":"Newtonsoft.Bson","version":"13.0.1"}`, "manifest.id"},
		{"wrong version", `{"id":"Newtonsoft.Json","version":"13.0.2"}`, "manifest.version"},
		{"bad version", `{"id":"Newtonsoft.Json","version":"x"}`, "manifest.version"},
		{"authors array", `{"id":"Newtonsoft.Json","version":"13.0.1","authors":["a"]}`, "manifest.authors"},
		{"missing id", `{"version":"13.0.1"}`, "manifest.id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			formattest.FieldError(t, New().ValidateManifest(c, []byte(tt.raw)), tt.field)
		})
	}
}

func FuzzNuGetCompare(f *testing.F) {
	f.Add("1.0", "1.0.0.0-Beta.01", "2.1+x")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		formattest.Compare(t, CompareStrings, a, b, c)
		if v, err := ParseVersion(a); err == nil {
			n, err := ParseVersion(v.String())
			if err != nil || CompareVersion(v, n) != 0 || n.String() != v.String() {
				t.Fatalf("normal form %q of %q is not stable", v.String(), a)
			}
			// Equal exactly when the canonical spellings (the catalog's
			// uniqueness key) are equal.
			if w, err := ParseVersion(b); err == nil {
				if equal, same := CompareVersion(v, w) == 0, v.Canonical() == w.Canonical(); equal != same {
					t.Fatalf("%q and %q: CompareVersion = %d, canonical spellings %q and %q", a, b, CompareVersion(v, w), v.Canonical(), w.Canonical())
				}
			}
		}
	})
}

package generic

import (
	"testing"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/formattest"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		in, want string
		valid    bool
	}{
		{"tool", "tool", true},
		{"My_Tool-1.2+linux", "My_Tool-1.2+linux", true},
		{"a", "a", true},
		{string(make128('x')), string(make128('x')), true},
		{"", "", false},
		{".", "", false},
		{"..", "", false},
		{"a/b", "", false},
		{"a b", "", false},
		{"a~b", "", false},
		{"naïve", "", false},
		{string(make128('x')) + "x", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ns, name, err := New().ParseName(tt.in)
			if !tt.valid {
				formattest.FieldError(t, err, "name")
				return
			}
			if err != nil || ns != "" || name != tt.want {
				t.Fatalf("ParseName(%q) = %q, %q, %v", tt.in, ns, name, err)
			}
		})
	}
}

func make128(c byte) []byte {
	b := make([]byte, MaxLength)
	for i := range b {
		b[i] = c
	}
	return b
}

func TestValidateVersion(t *testing.T) {
	for _, v := range []string{"1", "1.0.0", "2024-01-01", "1.0~rc1", "v1.2.3+build", "latest", "A_B"} {
		formattest.FieldError(t, New().ValidateVersion(v), "")
	}
	for _, v := range []string{"", ".", "..", "1/2", "1 2", "1:2", "é", string(make128('1')) + "1"} {
		formattest.FieldError(t, New().ValidateVersion(v), "version")
	}
}

func TestCompareOrder(t *testing.T) {
	formattest.Order(t, Compare, []string{
		"0.9",
		"1",
		"1.0",
		"1.00",
		"1.1",
		"1.2",
		"1.9",
		"1.10",
		"1.10.1",
		"1.10a",
		"1.a",
		"2",
		"10",
		"100000000000000000000000000",
		"a",
		"a1",
		"a2",
		"a10",
		"b",
	})
}

func TestCompareEqualOnlyForEqualStrings(t *testing.T) {
	if Compare("1.01", "1.1") == 0 || Compare("007", "7") == 0 {
		t.Fatal("different strings compared equal")
	}
	if Compare("1.01", "1.01") != 0 {
		t.Fatal("equal strings compared unequal")
	}
}

func TestValidateManifest(t *testing.T) {
	c := format.Coordinates{Name: "tool", Version: "1.0"}
	tests := []struct {
		name, raw, field string
	}{
		{"ok", `{"name":"tool","version":"1.0","extra":{"x":[1]}}`, ""},
		{"missing name", `{"version":"1.0"}`, "manifest.name"},
		{"wrong name", `{"name":"other","version":"1.0"}`, "manifest.name"},
		{"name not string", `{"name":1,"version":"1.0"}`, "manifest.name"},
		{"missing version", `{"name":"tool"}`, "manifest.version"},
		{"wrong version", `{"name":"tool","version":"1.1"}`, "manifest.version"},
		{"array", `[]`, "manifest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			formattest.FieldError(t, New().ValidateManifest(c, []byte(tt.raw)), tt.field)
		})
	}
}

func FuzzGenericCompare(f *testing.F) {
	f.Add("1.10", "1.9", "1.010")
	f.Add("a1", "a01", "")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		formattest.Compare(t, Compare, a, b, c)
	})
}

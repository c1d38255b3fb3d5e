package debian

import (
	"testing"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/formattest"
)

func TestParseName(t *testing.T) {
	for _, in := range []string{"libc6", "g++", "python3.11", "lib32z1-dev", "0ad", "xz-utils"} {
		ns, name, err := New().ParseName(in)
		if err != nil || ns != "" || name != in {
			t.Errorf("ParseName(%q) = %q, %q, %v", in, ns, name, err)
		}
	}
	for _, in := range []string{"", "a", "Libc6", "-libc", "+x", ".x", "lib_c", "lib c", "libc/6"} {
		_, _, err := New().ParseName(in)
		formattest.FieldError(t, err, "name")
	}
}

func TestValidateVersion(t *testing.T) {
	for _, v := range []string{"1.0", "1:2.30-1", "2.36-9+deb12u4", "1.0~rc1-1", "0.9.8a-1ubuntu2", "1.2-3-4", "7.81.0-1ubuntu1.15", "1.0+dfsg~1-0.1", "0"} {
		formattest.FieldError(t, New().ValidateVersion(v), "")
	}
	for _, v := range []string{"", "a1.0", ":1.0", "x:1.0", "-1:1.0", "1:", "1.0-", "1.0_1", "1.0 ", "1:1:1.0", "1.0-1:2", "1.0-r_1", "99999999999:1.0", "-1"} {
		formattest.FieldError(t, New().ValidateVersion(v), "version")
	}
}

// TestOrder is checked against dpkg --compare-versions and the examples in
// Debian policy §5.6.12 (tilde before everything, letters before
// non-letters, numbers numerically, epochs first).
func TestOrder(t *testing.T) {
	formattest.Order(t, New().CompareVersions, []string{
		"0.9",
		"1.0~~",
		"1.0~~a",
		"1.0~alpha",
		"1.0~beta",
		"1.0~rc1",
		"1.0",
		"1.0-0.1",
		"1.0-1",
		"1.0-1ubuntu1",
		"1.0-1+deb12u1",
		"1.0-2",
		"1.0-10",
		"1.0a",
		"1.0+dfsg",
		"1.0.1",
		"1.1",
		"1.10",
		"2.0",
		"1:0.1",
		"1:1.0",
		"2:0.0.1",
	})
}

func TestEqual(t *testing.T) {
	formattest.Equal(t, New().CompareVersions, [][2]string{
		{"1.0", "0:1.0"},
		{"1.0", "1.0-0"},
		{"1.0", "1.00"},
		{"1.01", "1.1"},
	})
}

func TestKnownCases(t *testing.T) {
	less := [][2]string{
		{"1.0~rc1", "1.0"},
		{"2.0", "1:0.1"},
		{"1.0-1", "1.0-2"},
		{"1.0", "1.0a"},
		{"1.0~", "1.0"},
		{"1.0", "1.0+"},
		{"1.0a", "1.0+"}, // letters before non-letters
		{"1.0~~", "1.0~"},
		{"1.2.3", "1.2.10"},
	}
	for _, p := range less {
		if Compare(p[0], p[1]) >= 0 || Compare(p[1], p[0]) <= 0 {
			t.Errorf("want %q < %q", p[0], p[1])
		}
	}
}

func TestValidateManifest(t *testing.T) {
	c := format.Coordinates{Name: "curl", Version: "7.88.1-10+deb12u5"}
	tests := []struct{ name, raw, field string }{
		{"ok", `{"Package":"curl","Version":"7.88.1-10+deb12u5","Architecture":"amd64","Maintainer":"A <a@example.com>","Depends":"libc6 (>= 2.34)","Description":"tool"}`, ""},
		{"ok all", `{"Package":"curl","Version":"7.88.1-10+deb12u5","Architecture":"all"}`, ""},
		{"wrong package", `{"Package":"wget","Version":"7.88.1-10+deb12u5","Architecture":"amd64"}`, "manifest.Package"},
		{"wrong version", `{"Package":"curl","Version":"0:7.88.1-10+deb12u5","Architecture":"amd64"}`, "manifest.Version"},
		{"missing arch", `{"Package":"curl","Version":"7.88.1-10+deb12u5"}`, "manifest.Architecture"},
		{"bad arch", `{"Package":"curl","Version":"7.88.1-10+deb12u5","Architecture":"AMD64"}`, "manifest.Architecture"},
		{"depends list", `{"Package":"curl","Version":"7.88.1-10+deb12u5","Architecture":"amd64","Depends":["libc6"]}`, "manifest.Depends"},
		{"lowercase keys", `{"package":"curl","version":"7.88.1-10+deb12u5","architecture":"amd64"}`, "manifest.Package"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			formattest.FieldError(t, New().ValidateManifest(c, []byte(tt.raw)), tt.field)
		})
	}
}

func FuzzDebianCompare(f *testing.F) {
	for _, s := range []string{"1.0~rc1", "1:0.1", "1.0-1", "1.0a", "1.0+", "~~", "0", "1.0-1~bpo1"} {
		f.Add(s, "1.0", "2.0")
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		formattest.Compare(t, Compare, a, b, c)
		// Comparing the raw parts must not panic whatever they hold.
		_ = verrevcmp(a, b)
		if v, err := ParseVersion(a); err == nil && CompareVersion(v, mustParse(t, v.String())) != 0 {
			t.Fatalf("%q does not round-trip through String", a)
		}
	})
}

func mustParse(t *testing.T, s string) Version {
	t.Helper()
	v, err := ParseVersion(s)
	if err != nil {
		t.Fatalf("ParseVersion(%q): %v", s, err)
	}
	return v
}

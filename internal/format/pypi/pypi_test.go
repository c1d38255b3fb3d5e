package pypi

import (
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/formattest"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"requests", "requests"},
		{"Foo.Bar_baz", "foo-bar-baz"},
		{"Django", "django"},
		{"zope.interface", "zope-interface"},
		{"a", "a"},
		{"A1", "a1"},
		{"foo---bar", "foo-bar"},
		{"foo-._bar", "foo-bar"},
		{"Foo__Bar", "foo-bar"},
		{"typing_extensions", "typing-extensions"},
		{"123", "123"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ns, name, err := New().ParseName(tt.in)
			if err != nil || ns != "" || name != tt.want {
				t.Fatalf("ParseName(%q) = %q, %q, %v; want %q", tt.in, ns, name, err, tt.want)
			}
		})
	}
	for _, in := range []string{"", "-foo", "foo-", ".foo", "foo_", "foo bar", "foo/bar", "föö", "foo+bar", strings.Repeat("a", MaxNameLength+1)} {
		t.Run("invalid "+in, func(t *testing.T) {
			_, _, err := New().ParseName(in)
			formattest.FieldError(t, err, "name")
		})
	}
}

func TestValidateVersion(t *testing.T) {
	valid := []string{
		"1", "1.0", "1.0.0", "2013.10", "1!1.0", "1.0a1", "1.0b2", "1.0rc3", "1.0c1", "1.0.post1", "1.0.dev1",
		"1.0a1.post2.dev3", "1.0+local.7", "1.0+ubuntu-1", "1.0RC1", "1.0-1", "1.0_post_1", "1.0.alpha", "v1.0",
		"1.0-preview-2", "1.0.r1", "1.0rev", "1.0-dev", "00.1",
	}
	for _, v := range valid {
		formattest.FieldError(t, New().ValidateVersion(v), "")
	}
	invalid := []string{"", "a", "1.0.", ".1", "1..0", "1.0-", "1.0+", "1.0+.x", "1.0+x..y", "1.0 ", " 1.0", "1.0gamma", "1.0.post1.post2",
		"1!", "!1", "1.0/1", "1.0dev1rc1", "vv1", strings.Repeat("1", MaxVersionLength+1)}
	for _, v := range invalid {
		formattest.FieldError(t, New().ValidateVersion(v), "version")
	}
}

// TestNormalize checks the PEP 440 "Normalization" section's examples.
func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1.0RC1", "1.0rc1"},
		{"1.1RC1", "1.1rc1"},
		{"1.0a", "1.0a0"},
		{"1.0alpha1", "1.0a1"},
		{"1.0beta2", "1.0b2"},
		{"1.0c1", "1.0rc1"},
		{"1.0pre1", "1.0rc1"},
		{"1.0preview1", "1.0rc1"},
		{"1.0.a.1", "1.0a1"},
		{"1.0-a-1", "1.0a1"},
		{"1.0_a_1", "1.0a1"},
		{"1.0-post1", "1.0.post1"},
		{"1.0post", "1.0.post0"},
		{"1.0-r4", "1.0.post4"},
		{"1.0rev4", "1.0.post4"},
		{"1.0-1", "1.0.post1"},
		{"1.0-dev", "1.0.dev0"},
		{"1.0dev4", "1.0.dev4"},
		{"1.0+ubuntu-1", "1.0+ubuntu.1"},
		{"1.0+Ubuntu_1", "1.0+ubuntu.1"},
		{"1.0+007", "1.0+7"},
		{"v1.0", "1.0"},
		{"V1.0", "1.0"},
		{"01.002.0003", "1.2.3"},
		{"0!1.0", "1.0"},
		{"2!1.0", "2!1.0"},
		{"1.0a01.post02.dev03", "1.0a1.post2.dev3"},
	}
	for _, tt := range tests {
		got, err := NormalizeVersion(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeVersion(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// TestCanonical checks the uniqueness key: the normal form without
// trailing zero release segments, as packaging's canonicalize_version.
func TestCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1.0", "1"},
		{"1.0.0", "1"},
		{"v1.0.0.0", "1"},
		{"0!1.0", "1"},
		{"2!1.0", "2!1"},
		{"1.0.1.0", "1.0.1"},
		{"1.10.0", "1.10"},
		{"0.0", "0"},
		{"1.0.0RC1", "1rc1"},
		{"1.0-post0", "1.post0"},
		{"1.0.dev0", "1.dev0"},
		{"1.0.0+Ubuntu.1", "1+ubuntu.1"},
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

// TestOrder is the order of PEP 440's "Summary of permitted suffixes and
// relative ordering" example, extended with local versions and epochs.
func TestOrder(t *testing.T) {
	formattest.Order(t, New().CompareVersions, []string{
		"1.0.dev456",
		"1.0a1",
		"1.0a2.dev456",
		"1.0a12.dev456",
		"1.0a12",
		"1.0b1.dev456",
		"1.0b2",
		"1.0b2.post345.dev456",
		"1.0b2.post345",
		"1.0rc1.dev456",
		"1.0rc1",
		"1.0",
		"1.0+abc.5",
		"1.0+abc.7",
		"1.0+5",
		"1.0.post456.dev34",
		"1.0.post456",
		"1.0.15",
		"1.1.dev1",
		"1.10",
		"2013.10",
		"1!0.1",
	})
}

func TestEqual(t *testing.T) {
	formattest.Equal(t, New().CompareVersions, [][2]string{
		{"1.0", "1.0.0"},
		{"1.0RC1", "1.0rc1"},
		{"1.0c1", "1.0rc1"},
		{"1.0-1", "1.0.post1"},
		{"1.0", "0!1.0"},
		{"v1.0", "1.0"},
		{"1.0+ABC", "1.0+abc"},
		{"1.0+1-2", "1.0+1.2"},
		{"1.0+01", "1.0+1"},
	})
}

func TestValidateManifest(t *testing.T) {
	c := format.Coordinates{Name: "foo-bar-baz", Version: "1.0rc1"}
	tests := []struct{ name, raw, field string }{
		{"ok", `{"metadata_version":"2.1","name":"Foo.Bar_baz","version":"1.0RC1","requires_python":">=3.8","summary":"s","license":"MIT","requires_dist":["x>=1"],"classifiers":["Programming Language :: Python"]}`, ""},
		{"ok equal version spelling", `{"metadata_version":"2.4","name":"foo-bar-baz","version":"1.0.0c1"}`, ""},
		{"missing metadata_version", `{"name":"foo-bar-baz","version":"1.0rc1"}`, "manifest.metadata_version"},
		{"bad metadata_version", `{"metadata_version":"two","name":"foo-bar-baz","version":"1.0rc1"}`, "manifest.metadata_version"},
		{"other name", `{"metadata_version":"2.1","name":"foo","version":"1.0rc1"}`, "manifest.name"},
		{"invalid name", `{"metadata_version":"2.1","name":"-foo","version":"1.0rc1"}`, "manifest.name"},
		{"other version", `{"metadata_version":"2.1","name":"foo-bar-baz","version":"1.0"}`, "manifest.version"},
		{"invalid version", `{"metadata_version":"2.1","name":"foo-bar-baz","version":"one"}`, "manifest.version"},
		{"requires_dist not array", `{"metadata_version":"2.1","name":"foo-bar-baz","version":"1.0rc1","requires_dist":"x"}`, "manifest.requires_dist"},
		{"classifier not string", `{"metadata_version":"2.1","name":"foo-bar-baz","version":"1.0rc1","classifiers":["a",1]}`, "manifest.classifiers[1]"},
		{"summary not string", `{"metadata_version":"2.1","name":"foo-bar-baz","version":"1.0rc1","summary":[]}`, "manifest.summary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			formattest.FieldError(t, New().ValidateManifest(c, []byte(tt.raw)), tt.field)
		})
	}
}

func FuzzPEP440(f *testing.F) {
	for _, s := range []string{"1.0", "1.0rc1", "1!2.0.post3.dev4+local.5", "1.0-1", "v1.0a", "1.0+abc.007", "x"} {
		f.Add(s, "1.0", "1.0.0")
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		if len(a) > 2*MaxVersionLength || len(b) > 2*MaxVersionLength || len(c) > 2*MaxVersionLength {
			return // long inputs are rejected by length alone and only slow the fuzzer
		}
		formattest.Compare(t, CompareStrings, a, b, c)
		va, err := Parse(a)
		if err != nil {
			return
		}
		// The normal form parses to an equal version and is a fixed point.
		n := va.String()
		vn, err := Parse(n)
		if err != nil {
			t.Fatalf("normal form %q of %q does not parse: %v", n, a, err)
		}
		if Compare(va, vn) != 0 || vn.String() != n {
			t.Fatalf("normal form %q of %q is not stable (%q)", n, a, vn.String())
		}
		// Equal under Compare exactly when the canonical spellings (the
		// catalog's uniqueness key) are equal.
		if vb, err := Parse(b); err == nil {
			if equal, same := Compare(va, vb) == 0, va.Canonical() == vb.Canonical(); equal != same {
				t.Fatalf("%q and %q: Compare = %d, canonical spellings %q and %q", a, b, Compare(va, vb), va.Canonical(), vb.Canonical())
			}
		}
	})
}

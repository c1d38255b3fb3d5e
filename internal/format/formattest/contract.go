package formattest

import (
	"testing"

	"github.com/artifortress/artifortress/internal/format"
)

// Contract checks the properties the catalog relies on for one format:
// Name matches key; every sample name parses, and parsing its FullName
// gives the same namespace and name back; every sample version is valid;
// CompareVersions is reflexive and antisymmetric on the samples; version
// normalisation is consistent with it (see Normalize); and ParseName, ValidateVersion and ValidateManifest fail with
// *format.FieldError on nonsense.
func Contract(t *testing.T, key string, f format.Format, names, versions []string) {
	t.Helper()
	if f.Name() != key {
		t.Errorf("Name() = %q, want %q", f.Name(), key)
	}
	if len(names) == 0 || len(versions) < 2 {
		t.Fatalf("format %q needs sample names and at least two sample versions", key)
	}
	for _, n := range names {
		ns, name, err := f.ParseName(n)
		if err != nil {
			t.Errorf("ParseName(%q): %v", n, err)
			continue
		}
		full := f.FullName(ns, name)
		ns2, name2, err := f.ParseName(full)
		if err != nil {
			t.Errorf("ParseName(FullName(ParseName(%q)) = %q): %v", n, full, err)
			continue
		}
		if ns2 != ns || name2 != name {
			t.Errorf("ParseName(%q) = (%q, %q), then ParseName(%q) = (%q, %q)", n, ns, name, full, ns2, name2)
		}
	}
	for _, v := range versions {
		if err := f.ValidateVersion(v); err != nil {
			t.Errorf("ValidateVersion(%q): %v", v, err)
		}
	}
	for _, a := range versions {
		if c := f.CompareVersions(a, a); c != 0 {
			t.Errorf("CompareVersions(%q, %q) = %d, want 0", a, a, c)
		}
		for _, b := range versions {
			if ab, ba := Sign(f.CompareVersions(a, b)), Sign(f.CompareVersions(b, a)); ab != -ba {
				t.Errorf("CompareVersions(%q, %q) = %d but CompareVersions(%q, %q) = %d", a, b, ab, b, a, ba)
			}
		}
	}
	Normalize(t, f, versions)
	_, _, err := f.ParseName("")
	FieldError(t, err, "name")
	FieldError(t, f.ValidateVersion(""), "version")
	FieldError(t, f.ValidateVersion("\x00 /../"), "version")
	c := format.Coordinates{Name: "x", Version: versions[0]}
	for _, raw := range []string{``, `null`, `[]`, `"s"`, `{`, `{} {}`} {
		FieldError(t, f.ValidateManifest(c, []byte(raw)), "manifest")
	}
	FieldErrorUnder(t, f.ValidateManifest(c, []byte(`{}`)), "manifest")
}

package formattest

import (
	"testing"

	"github.com/artifortress/artifortress/internal/format"
)

// Normalize checks format.NormalizeVersion on valid sample versions: a
// canonical spelling is a valid version and its own canonical spelling;
// two versions with one canonical spelling compare equal; and, when f is a
// format.VersionNormalizer, two versions that compare equal have one
// canonical spelling (formats without a rule keep versions that merely
// sort together, like npm's 1.0.0+a and 1.0.0+b, apart).
func Normalize(t testing.TB, f format.Format, versions []string) {
	t.Helper()
	_, normalizes := f.(format.VersionNormalizer)
	for _, a := range versions {
		n := format.NormalizeVersion(f, a)
		if err := f.ValidateVersion(n); err != nil {
			t.Errorf("canonical spelling %q of %q is not a valid version: %v", n, a, err)
		}
		if again := format.NormalizeVersion(f, n); again != n {
			t.Errorf("NormalizeVersion(%q) = %q, but NormalizeVersion(%q) = %q", a, n, n, again)
		}
		for _, b := range versions {
			same := n == format.NormalizeVersion(f, b)
			equal := f.CompareVersions(a, b) == 0
			if same && !equal {
				t.Errorf("%q and %q have one canonical spelling %q but CompareVersions = %d", a, b, n, f.CompareVersions(a, b))
			}
			if normalizes && equal && !same {
				t.Errorf("%q and %q compare equal but normalise to %q and %q", a, b, n, format.NormalizeVersion(f, b))
			}
		}
	}
}

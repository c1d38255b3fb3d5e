package semver

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// official is the regular expression suggested at semver.org, used here as
// an oracle for Parse.
var official = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

func TestParseValidity(t *testing.T) {
	tests := []struct {
		in    string
		valid bool
	}{
		{"0.0.4", true},
		{"1.2.3", true},
		{"10.20.30", true},
		{"1.1.2-prerelease+meta", true},
		{"1.1.2+meta", true},
		{"1.1.2+meta-valid", true},
		{"1.0.0-alpha", true},
		{"1.0.0-beta", true},
		{"1.0.0-alpha.beta", true},
		{"1.0.0-alpha.beta.1", true},
		{"1.0.0-alpha.1", true},
		{"1.0.0-alpha0.valid", true},
		{"1.0.0-alpha.0valid", true},
		{"1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay", true},
		{"1.0.0-rc.1+build.1", true},
		{"2.0.0-rc.1+build.123", true},
		{"1.2.3-beta", true},
		{"10.2.3-DEV-SNAPSHOT", true},
		{"1.2.3-SNAPSHOT-123", true},
		{"2.0.0+build.1848", true},
		{"2.0.1-alpha.1227", true},
		{"1.0.0-alpha+beta", true},
		{"1.2.3----RC-SNAPSHOT.12.9.1--.12+788", true},
		{"1.2.3----R-S.12.9.1--.12+meta", true},
		{"1.2.3----RC-SNAPSHOT.12.9.1--.12", true},
		{"1.0.0+0.build.1-rc.10000aaa-kk-0.1", true},
		{"1.0.0-0A.is.legal", true},
		{"1.0.0+001", true}, // leading zeros are fine in build metadata
		{"18446744073709551615.0.0", true},

		{"", false},
		{"1", false},
		{"1.2", false},
		{"1.2.3-0123", false},
		{"1.2.3-0123.0123", false},
		{"1.1.2+.123", false},
		{"+invalid", false},
		{"-invalid", false},
		{"-invalid+invalid", false},
		{"-invalid.01", false},
		{"alpha", false},
		{"alpha.beta", false},
		{"alpha.beta.1", false},
		{"alpha.1", false},
		{"alpha+beta", false},
		{"alpha_beta", false},
		{"alpha.", false},
		{"alpha..", false},
		{"beta", false},
		{"1.0.0-alpha_beta", false},
		{"-alpha.", false},
		{"1.0.0-alpha..", false},
		{"1.0.0-alpha..1", false},
		{"1.0.0-alpha...1", false},
		{"01.1.1", false},
		{"1.01.1", false},
		{"1.1.01", false},
		{"1.2.3.DEV", false},
		{"1.2-SNAPSHOT", false},
		{"1.2.31.2.3----RC-SNAPSHOT.12.09.1--..12+788", false},
		{"1.2-RC-SNAPSHOT", false},
		{"-1.0.3-gamma+b7718", false},
		{"+justmeta", false},
		{"9.8.7+meta+meta", false},
		{"9.8.7-whatever+meta+meta", false},
		{"v1.2.3", false},
		{"1.2.3 ", false},
		{" 1.2.3", false},
		{"^1.2.3", false},
		{"1.x.3", false},
		{"18446744073709551616.0.0", false}, // overflows uint64
		{"1.0.0-é", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			if got := err == nil; got != tt.valid {
				t.Fatalf("Parse(%q) error = %v, want valid=%v", tt.in, err, tt.valid)
			}
			// Agree with the official expression except where it cannot
			// see the uint64 bound.
			if tt.in != "18446744073709551616.0.0" && official.MatchString(tt.in) != tt.valid {
				t.Fatalf("official regexp disagrees on %q", tt.in)
			}
		})
	}
}

func TestStringRoundTrip(t *testing.T) {
	for _, s := range []string{"1.2.3", "1.0.0-alpha.1+build.5", "0.0.0+001", "1.2.3----RC-SNAPSHOT.12.9.1--.12+788"} {
		v, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if v.String() != s {
			t.Errorf("String() = %q, want %q", v.String(), s)
		}
	}
}

// TestOrder checks the precedence example of semver.org §11 plus the
// numeric cases around it.
func TestOrder(t *testing.T) {
	want := []string{
		"0.0.0",
		"0.0.1",
		"0.1.0",
		"1.0.0-0",
		"1.0.0-0.1",
		"1.0.0-2",
		"1.0.0-11",
		"1.0.0-99999999999999999999999",
		"1.0.0-alpha",
		"1.0.0-alpha.1",
		"1.0.0-alpha.beta",
		"1.0.0-beta",
		"1.0.0-beta.2",
		"1.0.0-beta.11",
		"1.0.0-rc.1",
		"1.0.0",
		"1.0.1",
		"1.9.0",
		"1.10.0",
		"1.11.0",
		"2.0.0",
		"2.1.0",
		"2.1.1",
		"10.0.0",
	}
	got := slices.Clone(want)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
	slices.SortFunc(got, CompareStrings)
	if !slices.Equal(got, want) {
		t.Fatalf("sorted = %v\nwant     %v", got, want)
	}
}

func TestBuildMetadataIgnored(t *testing.T) {
	if c := CompareStrings("1.0.0+a", "1.0.0+b"); c != 0 {
		t.Errorf("Compare(1.0.0+a, 1.0.0+b) = %d, want 0", c)
	}
	if c := CompareStrings("1.0.0-rc.1+z", "1.0.0"); c >= 0 {
		t.Errorf("Compare(1.0.0-rc.1+z, 1.0.0) = %d, want < 0", c)
	}
}

func FuzzSemver(f *testing.F) {
	for _, s := range []string{"1.2.3", "1.0.0-alpha.1+b", "01.0.0", "1.0.0-0a.1", "1.2", "", "1.0.0-", "1.0.0+"} {
		f.Add(s, "1.0.0-rc.1")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if len(a) > 2*MaxLength || len(b) > 2*MaxLength {
			return // long inputs are rejected by length alone and only slow the fuzzer
		}
		va, erra := Parse(a)
		switch match := official.MatchString(a); {
		case erra == nil && !match:
			t.Fatalf("Parse(%q) accepted what the official regexp rejects", a)
		case erra != nil && match && len(a) <= MaxLength && !strings.Contains(erra.Error(), "too large"):
			// Only the length and uint64 bounds may make Parse stricter.
			t.Fatalf("Parse(%q) = %v, but the official regexp accepts it", a, erra)
		}
		if erra == nil && va.String() != a {
			t.Fatalf("String() = %q, want %q", va.String(), a)
		}
		ab, ba := CompareStrings(a, b), CompareStrings(b, a)
		if sign(ab) != -sign(ba) {
			t.Fatalf("Compare(%q,%q)=%d but Compare(%q,%q)=%d", a, b, ab, b, a, ba)
		}
		if CompareStrings(a, a) != 0 {
			t.Fatalf("Compare(%q,%q) != 0", a, a)
		}
	})
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

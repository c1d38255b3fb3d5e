package maven

import (
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/formattest"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		in, group, artifact string
		valid               bool
	}{
		{"org.example:app", "org.example", "app", true},
		{"com.Google.Guava:Guava", "com.Google.Guava", "Guava", true},
		{"io.netty:netty-all", "io.netty", "netty-all", true},
		{"a:b.c_d-e", "a", "b.c_d-e", true},
		{"", "", "", false},
		{"org.example", "", "", false},
		{":app", "", "", false},
		{"org.example:", "", "", false},
		{"org.example:app:jar", "", "", false},
		{"org/example:app", "", "", false},
		{"org example:app", "", "", false},
		{".org:app", "", "", false},
		{"org.:app", "", "", false},
		{"org..example:app", "", "", false},
		{"org:..", "", "", false},
		{"org:.", "", "", false},
		{"örg:app", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			g, a, err := New().ParseName(tt.in)
			if !tt.valid {
				formattest.FieldError(t, err, "name")
				return
			}
			if err != nil || g != tt.group || a != tt.artifact {
				t.Fatalf("ParseName(%q) = %q, %q, %v", tt.in, g, a, err)
			}
		})
	}
}

func TestValidateVersion(t *testing.T) {
	for _, v := range []string{"1.0", "1.0-SNAPSHOT", "2.0.0.RELEASE", "1.0-20240101.120000-1", "r09", "1.0+build", "ünï"} {
		formattest.FieldError(t, New().ValidateVersion(v), "")
	}
	for _, v := range []string{"", ".", "..", "1.0/2", "1.0\\2", "1.0 beta", "1.0\t", "1\x00", strings.Repeat("1", 129)} {
		formattest.FieldError(t, New().ValidateVersion(v), "version")
	}
}

// The two ordered lists and the equalities below are Maven 3.9's own
// ComparableVersionTest vectors (VERSIONS_QUALIFIER, VERSIONS_NUMBER,
// testVersionsEqual, testVersionComparing, testMng7644).

func TestMavenQualifierOrder(t *testing.T) {
	formattest.Order(t, Compare, []string{
		"1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11", "1-rc", "1-cr2",
		"1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc", "1-def", "1-pom-1", "1-1-snapshot",
		"1-1", "1-2", "1-123",
	})
}

func TestMavenNumberOrder(t *testing.T) {
	formattest.Order(t, Compare, []string{
		"2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1", "2.1.0.1",
		"2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11", "11.a", "11b", "11c", "11m",
	})
}

// TestCommonOrder is the everyday order the brief and the Maven docs
// describe.
func TestCommonOrder(t *testing.T) {
	formattest.Order(t, Compare, []string{
		"1.0-alpha1", "1.0-beta1", "1.0-milestone1", "1.0-rc1", "1.0-SNAPSHOT", "1.0", "1.0-sp1", "1.0-foo", "1.0-1", "1.0.1",
		"1.1-SNAPSHOT", "1.1", "1.10", "2.0.0.RC1", "2.0", "10.0", "100000000000000000000",
	})
}

func TestMavenEqual(t *testing.T) {
	formattest.Equal(t, Compare, [][2]string{
		{"1", "1"}, {"1", "1.0"}, {"1", "1.0.0"}, {"1.0", "1.0.0"}, {"1", "1-0"}, {"1", "1.0-0"}, {"1.0", "1.0-0"},
		{"1a", "1-a"}, {"1a", "1.0-a"}, {"1a", "1.0.0-a"}, {"1.0a", "1-a"}, {"1.0.0a", "1-a"},
		{"1x", "1-x"}, {"1x", "1.0-x"}, {"1x", "1.0.0-x"}, {"1.0x", "1-x"}, {"1.0.0x", "1-x"},
		{"1ga", "1"}, {"1release", "1"}, {"1final", "1"}, {"1cr", "1rc"},
		{"1a1", "1-alpha-1"}, {"1b2", "1-beta-2"}, {"1m3", "1-milestone-3"},
		{"1X", "1x"}, {"1A", "1a"}, {"1B", "1b"}, {"1M", "1m"}, {"1Ga", "1"}, {"1GA", "1"},
		{"1RELEASE", "1"}, {"1RELeaSE", "1"}, {"1Final", "1"}, {"1FinaL", "1"}, {"1FINAL", "1"},
		{"1Cr", "1Rc"}, {"1cR", "1rC"}, {"1m3", "1Milestone3"}, {"1m3", "1MileStone3"}, {"1m3", "1MILESTONE3"},
		{"1-abcdefghijklmnopqrstuvwxyz", "1-ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
		{"1.0-ga", "1.0"}, {"1.0.0.RELEASE", "1"}, {"1.0.0.Final", "1.0"},
		{"2.0.a", "2.0.0.a"}, {"2.0.a", "2-a"}, {"1.0.0.RC1", "1.0.0-RC1"},
		{"1.0.01", "1.0.1"}, {"0001", "1"},
	})
}

func TestMavenComparing(t *testing.T) {
	less := [][2]string{
		{"1", "2"}, {"1.5", "2"}, {"1", "2.5"}, {"1.0", "1.1"}, {"1.1", "1.2"}, {"1.0.0", "1.1"}, {"1.0.1", "1.1"}, {"1.1", "1.2.0"},
		{"1.0-alpha-1", "1.0"}, {"1.0-alpha-1", "1.0-alpha-2"}, {"1.0-alpha-1", "1.0-beta-1"},
		{"1.0-beta-1", "1.0-SNAPSHOT"}, {"1.0-SNAPSHOT", "1.0"}, {"1.0-alpha-1-SNAPSHOT", "1.0-alpha-1"},
		{"1.0", "1.0-1"}, {"1.0-1", "1.0-2"}, {"1.0.0", "1.0-1"},
		{"2.0-1", "2.0.1"}, {"2.0.1-klm", "2.0.1-lmn"}, {"2.0.1", "2.0.1-xyz"},
		{"2.0.1", "2.0.1-123"}, {"2.0.1-xyz", "2.0.1-123"},
		// MNG-6964: a whole sub-list is compared with the missing item.
		{"1", "1-0.1"}, {"1-0.0-alpha", "1"},
		// MNG-7644: ".X1" reads as "-X1".
		{"1.0.0.RC1", "1.0.0-RC2"}, {"1.0.RC2", "1.0-RC3"}, {"1.0-RC3", "1.0.1"},
		{"1.0.0.X1", "1.0.0-X2"},
	}
	for _, p := range less {
		if c := Compare(p[0], p[1]); c >= 0 {
			t.Errorf("Compare(%q, %q) = %d, want < 0", p[0], p[1], c)
		}
		if c := Compare(p[1], p[0]); c <= 0 {
			t.Errorf("Compare(%q, %q) = %d, want > 0", p[1], p[0], c)
		}
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1.0.0", "1"},
		{"1.0-alpha1", "1-alpha-1"},
		{"1.0.0.RELEASE", "1"},
		{"2.0.1-SNAPSHOT", "2.0.1-snapshot"},
		{"1-1.foo-bar-1-baz-0.1", "1-1.foo-bar-1-baz-0.1"},
	}
	for _, tt := range tests {
		if got := Canonical(tt.in); got != tt.want {
			t.Errorf("Canonical(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidateManifest(t *testing.T) {
	c := format.Coordinates{Namespace: "org.example", Name: "app", Version: "1.0-SNAPSHOT"}
	tests := []struct{ name, raw, field string }{
		{"jar", `{"groupId":"org.example","artifactId":"app","version":"1.0-SNAPSHOT","packaging":"jar"}`, ""},
		{"plugin", `{"groupId":"org.example","artifactId":"app","version":"1.0-SNAPSHOT","packaging":"maven-plugin","name":"x"}`, ""},
		{"custom packaging", `{"groupId":"org.example","artifactId":"app","version":"1.0-SNAPSHOT","packaging":"hpi"}`, ""},
		{"wrong group", `{"groupId":"org.other","artifactId":"app","version":"1.0-SNAPSHOT","packaging":"jar"}`, "manifest.groupId"},
		{"case differs", `{"groupId":"org.example","artifactId":"App","version":"1.0-SNAPSHOT","packaging":"jar"}`, "manifest.artifactId"},
		{"wrong version", `{"groupId":"org.example","artifactId":"app","version":"1.0","packaging":"jar"}`, "manifest.version"},
		{"missing packaging", `{"groupId":"org.example","artifactId":"app","version":"1.0-SNAPSHOT"}`, "manifest.packaging"},
		{"bad packaging", `{"groupId":"org.example","artifactId":"app","version":"1.0-SNAPSHOT","packaging":"JAR"}`, "manifest.packaging"},
		{"packaging number", `{"groupId":"org.example","artifactId":"app","version":"1.0-SNAPSHOT","packaging":1}`, "manifest.packaging"},
		{"missing group", `{"artifactId":"app","version":"1.0-SNAPSHOT","packaging":"jar"}`, "manifest.groupId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			formattest.FieldError(t, New().ValidateManifest(c, []byte(tt.raw)), tt.field)
		})
	}
}

// TestNotTransitive pins two places where Maven's own order is not
// transitive, because a leading or nested string item compares against a
// list by kind (a list is greater) but against a missing item by
// qualifier. Sorting a set holding such versions has no single answer;
// Maven has the same problem.
func TestNotTransitive(t *testing.T) {
	for _, abc := range [][3]string{
		{"-SNAPSHOT", "0", "A"},
		{"1-0SNAPSHOT", "1", "1A"},
	} {
		a, b, c := abc[0], abc[1], abc[2]
		if Compare(a, b) >= 0 || Compare(b, c) >= 0 || Compare(a, c) <= 0 {
			t.Errorf("expected %q < %q < %q < %q as in Maven", a, b, c, a)
		}
	}
}

func FuzzMavenCompare(f *testing.F) {
	for _, s := range []string{"1.0", "1.0-SNAPSHOT", "1-alpha2snapshot", "2.0.a", "1.0.0.RC1", "1-0.1", "1..-", "-.-", "a1b2c3"} {
		f.Add(s, "1-sp")
	}
	// Only reflexivity and antisymmetry: see TestNotTransitive.
	f.Fuzz(func(t *testing.T, a, b string) {
		if len(a) > MaxVersionLength*2 || len(b) > MaxVersionLength*2 {
			return // long inputs only slow the fuzzer down
		}
		formattest.Compare(t, Compare, a, b, b)
		_ = Canonical(a) // must not panic; like Maven's, it need not re-parse to an equal version ("0a" gives "a")
	})
}

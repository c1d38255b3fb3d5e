package generic

import (
	"strings"
	"testing"
)

func TestParseLocation(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want location
		ok   bool
	}{
		{"", location{dir: true}, true},
		{"tool", location{name: "tool", dir: true}, true},
		{"tool/", location{name: "tool", dir: true}, true},
		{"tool/1.0", location{name: "tool", version: "1.0", dir: true}, true},
		{"tool/1.0/a.tgz", location{name: "tool", version: "1.0", file: "a.tgz"}, true},
		{"tool/1.0/docs/read%20me.txt", location{name: "tool", version: "1.0", file: "docs/read me.txt"}, true},
		{"tool/1.0/docs/", location{name: "tool", version: "1.0", file: "docs", dir: true}, true},
		{"tool/1.0//x", location{}, false},
		{"tool/1.0/../x", location{}, false},
		{"tool/1.0/%2e%2e/x", location{}, false},
		{"tool/1.0/a%2fb", location{}, false},
		{"tool/1.0/a%5cb", location{}, false},
		{"tool/1.0/a%00b", location{}, false},
		{"tool/1.0/%zz", location{}, false},
		{"/tool", location{}, false},
	} {
		got, err := parseLocation(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("parseLocation(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

// FuzzParseLocation: whatever the path, an accepted location has no
// segment that could climb out of its version, and its parts rebuild the
// path's meaning.
func FuzzParseLocation(f *testing.F) {
	for _, s := range []string{"", "tool/1.0/a", "a/b/c/d/", "a/%2e%2e/b", "a/b/%2F", "x/y/\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		loc, err := parseLocation(in)
		if err != nil {
			return
		}
		for _, part := range []string{loc.name, loc.version} {
			if strings.ContainsAny(part, "/\\") || part == "." || part == ".." {
				t.Fatalf("%q: part %q", in, part)
			}
		}
		if loc.file != "" {
			for _, seg := range strings.Split(loc.file, "/") {
				if seg == "" || seg == "." || seg == ".." || strings.Contains(seg, "\\") || hasControl(seg) {
					t.Fatalf("%q: file segment %q", in, seg)
				}
			}
		}
		if loc.file == "" && !loc.dir {
			t.Fatalf("%q: a file location without a file", in)
		}
	})
}

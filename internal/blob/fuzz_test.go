package blob

import (
	"encoding/hex"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func FuzzParseDigest(f *testing.F) {
	for _, s := range []string{
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
		"sha256:", "sha256", "", "sha512:00", "sha256:../../etc/passwd",
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDigest(s)
		if err != nil {
			if d != "" {
				t.Errorf("ParseDigest(%q) returned %q with error %v", s, d, err)
			}
			return
		}
		if d.String() != s || len(s) != len(SHA256Prefix)+64 || !strings.HasPrefix(s, SHA256Prefix) {
			t.Fatalf("ParseDigest(%q) accepted %q", s, d)
		}
		sum, err := hex.DecodeString(d.Hex())
		if err != nil || len(sum) != 32 {
			t.Fatalf("Hex() of %q is not 32 bytes of hex: %v", d, err)
		}
		if FromSum(sum) != d {
			t.Fatalf("FromSum(Hex(%q)) = %q: digest does not round-trip", d, FromSum(sum))
		}
		if again, err := ParseDigest(d.String()); err != nil || again != d {
			t.Fatalf("ParseDigest(String()) = %q, %v", again, err)
		}
		if strings.ContainsAny(d.Hex(), "/\\.ABCDEF") {
			t.Fatalf("accepted digest %q could form a path or differ only in case", d)
		}
	})
}

// validNameRE is an independent statement of the staged-name grammar.
var validNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`)

func FuzzValidName(f *testing.F) {
	for _, s := range []string{
		"a", "uploads/0123/part-00001", "a.b/c_d/e-f", "..a/a..", "...",
		"", ".", "..", "../x", "a/../b", "a//b", "/a", "a/", `a\b`, "a b", "ä", "a\x00",
		strings.Repeat("a", 512), strings.Repeat("a", 513), strings.Repeat("a/", 256),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidName(s)
		want := len(s) >= 1 && len(s) <= 512 && validNameRE.MatchString(s)
		if want {
			for _, seg := range strings.Split(s, "/") {
				if seg == "." || seg == ".." {
					want = false
				}
			}
		}
		if (err == nil) != want {
			t.Fatalf("ValidName(%q) = %v, the grammar says valid=%v", s, err, want)
		}
		if err != nil {
			return
		}
		for _, seg := range strings.Split(s, "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("ValidName accepted %q with segment %q", s, seg)
			}
			for _, c := range []byte(seg) {
				if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
					t.Fatalf("ValidName accepted %q with byte %q", s, c)
				}
			}
		}
		// Safe as a path below a directory and as an object key suffix.
		if path.Clean(s) != s || !filepath.IsLocal(s) || path.IsAbs(s) {
			t.Fatalf("ValidName accepted %q, which is not a clean local path", s)
		}
		if got := path.Join("root", s); !strings.HasPrefix(got, "root/") {
			t.Fatalf("ValidName accepted %q, which escapes: %q", s, got)
		}
	})
}

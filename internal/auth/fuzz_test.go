package auth

import (
	"strings"
	"testing"
)

func FuzzParseScope(f *testing.F) {
	for _, s := range []string{
		"admin", "repo:a:read", "repo:*:write", "repo:my-repo.v2_x:promote", "repo:a:admin",
		"", "repo:", "repo::read", "repo:A:read", "repo:a:read:x", "repo:..:read", "repo:a/b:read",
		"repo:" + strings.Repeat("a", 64) + ":read", "repo:" + strings.Repeat("a", 65) + ":read", "repo:a\n:read",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		sc, err := ParseScope(in)
		if err != nil {
			if sc != (Scope{}) {
				t.Errorf("ParseScope(%q) failed but returned %+v", in, sc)
			}
			return
		}
		// Accepted input is already canonical, and the canonical form re-parses to the same scope.
		if s := sc.String(); s != in {
			t.Errorf("ParseScope(%q).String() = %q, want the input", in, s)
		}
		again, err := ParseScope(sc.String())
		if err != nil || again != sc {
			t.Errorf("ParseScope(%q) = %+v, %v; want %+v", sc.String(), again, err, sc)
		}
		if sc.Admin {
			if sc.Repo != "" || sc.Role != "" {
				t.Errorf("admin scope %+v carries a repo or role", sc)
			}
			return
		}
		if sc.Repo != AnyRepo && !ValidRepoKey(sc.Repo) {
			t.Errorf("ParseScope(%q) accepted invalid repository key %q", in, sc.Repo)
		}
		if _, err := ParseRole(string(sc.Role)); err != nil {
			t.Errorf("ParseScope(%q) accepted invalid role %q", in, sc.Role)
		}
	})
}

func FuzzValidRepoKey(f *testing.F) {
	for _, s := range []string{
		"a", "0", "libs-release_2.x", ".", "..", ".a", "-a", "A", "a/b", "a\n", "é",
		strings.Repeat("a", 64), strings.Repeat("a", 65), "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if !ValidRepoKey(key) {
			return
		}
		if len(key) < 1 || len(key) > 64 {
			t.Errorf("accepted key of %d bytes", len(key))
		}
		if key == "." || key == ".." || strings.Contains(key, "/") {
			t.Errorf("accepted path-unsafe key %q", key)
		}
		for i := 0; i < len(key); i++ {
			c := key[i]
			alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
			if i == 0 && !alnum {
				t.Errorf("accepted key %q starting with %q", key, c)
			}
			if !alnum && c != '.' && c != '_' && c != '-' {
				t.Errorf("accepted key %q containing byte %q", key, c)
			}
		}
	})
}

func FuzzSplitToken(f *testing.F) {
	_, good, _ := newToken()
	id, secret, _ := splitToken(good)
	for _, s := range []string{
		good, "", TokenPrefix, TokenPrefix + id + "_", good + "a", good[:len(good)-1],
		TokenPrefix + id + "__" + secret[1:], TokenPrefix + id[:15] + "\n_" + secret,
		TokenPrefix + strings.ToUpper(id) + "_" + secret, strings.Replace(good, "_", "-", 2),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		id, secret, ok := splitToken(in)
		if !ok {
			if id != "" || secret != "" {
				t.Errorf("splitToken(%q) rejected the input but returned %q, %q", in, id, secret)
			}
			return
		}
		if TokenPrefix+id+"_"+secret != in {
			t.Errorf("splitToken(%q) = %q, %q: does not re-assemble to the input", in, id, secret)
		}
		if len(id) != idLen || len(secret) != secretLen || !onlyAlphabet(id) || !onlyAlphabet(secret) {
			t.Errorf("splitToken(%q) accepted id %q / secret %q outside the base32 alphabet or lengths", in, id, secret)
		}
	})
}

package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

const b32Alphabet = "abcdefghijklmnopqrstuvwxyz234567"

func onlyAlphabet(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune(b32Alphabet, r) {
			return false
		}
	}
	return true
}

func TestNewTokenRoundTrip(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		id, token, hash := newToken()
		if len(id) != idLen || !onlyAlphabet(id) {
			t.Fatalf("id %q: want %d characters of %s", id, idLen, b32Alphabet)
		}
		gotID, secret, ok := splitToken(token)
		if !ok {
			t.Fatalf("splitToken(newToken()) rejected %q", token)
		}
		if gotID != id {
			t.Errorf("splitToken id %q, newToken id %q", gotID, id)
		}
		if token != TokenPrefix+id+"_"+secret {
			t.Errorf("token %q does not re-assemble from its parts", token)
		}
		if len(secret) != secretLen || !onlyAlphabet(secret) {
			t.Errorf("secret %q: want %d characters of %s", secret, secretLen, b32Alphabet)
		}
		sum := sha256.Sum256([]byte(secret))
		if hash != hex.EncodeToString(sum[:]) || hash != hashSecret(secret) {
			t.Errorf("hash %q is not the hex SHA-256 of the secret", hash)
		}
		if strings.Contains(hash, secret) {
			t.Error("hash contains the secret")
		}
		if seen[id] || seen[secret] {
			t.Fatalf("newToken repeated an id or secret after %d calls", len(seen)/2)
		}
		seen[id], seen[secret] = true, true
	}
	if idLen != 16 || secretLen != 52 {
		t.Errorf("idLen=%d secretLen=%d, want 16 and 52 (10 and 32 bytes of base32)", idLen, secretLen)
	}
}

func TestSplitTokenRejects(t *testing.T) {
	_, good, _ := newToken()
	id, secret, _ := splitToken(good)
	for _, c := range []struct{ name, token string }{
		{"empty", ""},
		{"prefix_only", TokenPrefix},
		{"no_prefix", id + "_" + secret},
		{"wrong_prefix", "afx_" + id + "_" + secret},
		{"uppercase_prefix", "AFP_" + id + "_" + secret},
		{"short_id", TokenPrefix + id[1:] + "_" + secret + "a"},
		{"long_id", TokenPrefix + id + "a_" + secret[1:]},
		{"short_secret", TokenPrefix + id + "_" + secret[1:]},
		{"long_secret", TokenPrefix + id + "_" + secret + "a"},
		{"no_separator", TokenPrefix + id + "a" + secret},
		{"extra_underscore_in_secret", TokenPrefix + id + "_" + secret[:10] + "_" + secret[11:]},
		{"extra_underscore_in_id", TokenPrefix + id[:5] + "_" + id[6:] + "_" + secret},
		{"double_underscore", TokenPrefix + id + "__" + secret[1:]},
		{"uppercase_id", TokenPrefix + strings.ToUpper(id) + "_" + secret},
		{"uppercase_secret", TokenPrefix + id + "_" + strings.ToUpper(secret)},
		{"digit_not_in_alphabet", TokenPrefix + "0" + id[1:] + "_" + secret},
		{"digit_8_in_secret", TokenPrefix + id + "_" + "8" + secret[1:]},
		{"padding", TokenPrefix + id + "_" + secret[:51] + "="},
		{"newline_in_id", TokenPrefix + id[:15] + "\n_" + secret},
		{"crlf_in_secret", TokenPrefix + id + "_" + secret[:50] + "\r\n"},
		{"trailing_newline", good + "\n"},
		{"leading_space", " " + good},
		{"non_ascii", TokenPrefix + "é" + id[2:] + "_" + secret},
	} {
		t.Run(c.name, func(t *testing.T) {
			if gotID, gotSecret, ok := splitToken(c.token); ok || gotID != "" || gotSecret != "" {
				t.Errorf("splitToken(%q) = %q, %q, %v; want rejection", c.token, gotID, gotSecret, ok)
			}
		})
	}
}

func TestEqualHash(t *testing.T) {
	h := hashSecret("s")
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{h, h, true},
		{h, hashSecret("t"), false},
		{h, h[:len(h)-1], false},
		{h, "", false},
		{"", "", true},
	} {
		if got := equalHash(c.a, c.b); got != c.want {
			t.Errorf("equalHash(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

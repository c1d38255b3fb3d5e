package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// TokenPrefix starts every personal access token, so secret scanners and
// people recognize one.
const TokenPrefix = "afp_"

// A token is afp_<id>_<secret>: the id (10 random bytes) names the row, the
// secret (32 random bytes) proves possession. Both are lowercase base32.
const (
	idBytes     = 10
	secretBytes = 32
)

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

var (
	idLen     = b32.EncodedLen(idBytes)
	secretLen = b32.EncodedLen(secretBytes)
)

// newToken returns a fresh token id, its full text and the hash to store.
func newToken() (id, token, hash string) {
	id = randomString(idBytes)
	secret := randomString(secretBytes)
	return id, TokenPrefix + id + "_" + secret, hashSecret(secret)
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return b32.EncodeToString(b)
}

// splitToken parses afp_<id>_<secret>; ok is false for anything else.
func splitToken(token string) (id, secret string, ok bool) {
	rest, ok := strings.CutPrefix(token, TokenPrefix)
	if !ok || len(rest) != idLen+1+secretLen || rest[idLen] != '_' {
		return "", "", false
	}
	id, secret = rest[:idLen], rest[idLen+1:]
	// Check the alphabet byte by byte: the base32 decoder skips some bytes
	// (\r, \n) and stops early on others, so decoding is not a validator.
	if !base32Text(id) || !base32Text(secret) {
		return "", "", false
	}
	return id, secret, true
}

// base32Text reports whether s holds only the lowercase base32 alphabet.
func base32Text(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// hashSecret is what the store keeps: hex SHA-256. Secrets carry 256 bits of
// entropy, so a fast hash is enough; a slow KDF would only slow every request.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// equalHash compares two hashes in constant time.
func equalHash(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

package oci

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"strings"
)

// encodedLength is the hex length of each digest algorithm accepted in
// descriptors, from the OCI image spec's registered algorithms.
var encodedLength = map[string]int{
	"sha256": 64,
	"sha384": 96,
	"sha512": 128,
	"blake3": 64,
}

// ParseDigest splits a digest "algorithm:encoded" and checks it: the
// algorithm must be one the OCI image spec registers (sha256, sha384,
// sha512, blake3) and the encoded part exactly its length in lowercase hex.
func ParseDigest(s string) (algorithm, encoded string, err error) {
	algorithm, encoded, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", fmt.Errorf("digest %q must look like sha256:<64 hex digits>", abbreviate(s))
	}
	want, known := encodedLength[algorithm]
	if !known {
		return "", "", fmt.Errorf("digest algorithm %q is not supported; use sha256 or sha512", abbreviate(algorithm))
	}
	if len(encoded) != want {
		return "", "", fmt.Errorf("%s digest must have %d hex digits, not %d", algorithm, want, len(encoded))
	}
	for i := 0; i < len(encoded); i++ {
		if c := encoded[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", "", fmt.Errorf("%s digest must be lowercase hex; found %q", algorithm, c)
		}
	}
	return algorithm, encoded, nil
}

// abbreviate shortens hostile input quoted in error messages.
func abbreviate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// DigestOf is the digest of b with the algorithm of like ("sha512:…"
// gives a SHA-512 digest; anything else a SHA-256 one).
func DigestOf(like string, b []byte) string {
	if strings.HasPrefix(like, "sha512:") {
		sum := sha512.Sum512(b)
		return "sha512:" + hex.EncodeToString(sum[:])
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

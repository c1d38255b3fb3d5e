package blob

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Digest is a content digest in OCI form: "sha256:<64 lowercase hex>".
type Digest string

// SHA256Prefix starts every digest this store addresses blobs by.
const SHA256Prefix = "sha256:"

// ParseDigest validates s as a SHA-256 digest.
func ParseDigest(s string) (Digest, error) {
	hexPart, ok := strings.CutPrefix(s, SHA256Prefix)
	if !ok {
		return "", fmt.Errorf("digest %q: want sha256:<64 hex digits>", s)
	}
	if len(hexPart) != 64 {
		return "", fmt.Errorf("digest %q: want 64 hex digits after the sha256: prefix", s)
	}
	for i := 0; i < len(hexPart); i++ {
		c := hexPart[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", fmt.Errorf("digest %q: hex digits must be lowercase 0-9a-f", s)
		}
	}
	return Digest(s), nil
}

// Hex returns the hexadecimal part.
func (d Digest) Hex() string { return strings.TrimPrefix(string(d), SHA256Prefix) }

// String returns the digest text.
func (d Digest) String() string { return string(d) }

// FromSum builds a digest from a SHA-256 sum.
func FromSum(sum []byte) Digest { return Digest(SHA256Prefix + hex.EncodeToString(sum)) }

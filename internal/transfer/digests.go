package transfer

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

// The digest algorithms a client may name a blob by (OCI: sha256, sha512).
// The store addresses blobs by SHA-256 only (invariant 1); a sha512 digest
// is resolved through the SHA-512 recorded on the blob's row.
const (
	algSHA256 = "sha256"
	algSHA512 = "sha512"
)

// hexLen is the length of each algorithm's hexadecimal part.
var hexLen = map[string]int{algSHA256: 64, algSHA512: 128}

// clientDigest is a digest as a client wrote it, validated.
type clientDigest struct {
	alg string // algSHA256 or algSHA512
	hex string // lowercase
}

func (d clientDigest) String() string { return d.alg + ":" + d.hex }

// parseClientDigest accepts sha256:<64 hex> and sha512:<128 hex>, lowercase
// as the OCI specification requires; anything else is 400 digest_invalid.
func parseClientDigest(s string) (clientDigest, error) {
	alg, h, _ := strings.Cut(s, ":")
	n, known := hexLen[alg]
	if !known {
		return clientDigest{}, digestInvalid("digest %q: want sha256:<64 hex digits> or sha512:<128 hex digits>", s)
	}
	if len(h) != n || strings.Trim(h, "0123456789abcdef") != "" {
		return clientDigest{}, digestInvalid("digest %q: want %d lowercase hex digits after %s:", s, n, alg)
	}
	return clientDigest{alg: alg, hex: h}, nil
}

func digestInvalid(format string, args ...any) *fault.Error {
	return fault.Coded(fault.KindBadRequest, "digest_invalid", format, args...)
}

// freshHashStates are the marshaled states of a chunked session before its
// first byte.
func freshHashStates() (s256, s512 []byte, err error) {
	if s256, err = marshalHash(sha256.New()); err != nil {
		return nil, nil, err
	}
	s512, err = marshalHash(sha512.New())
	return s256, s512, err
}

// resumeHashes continues the running hashes saved on session u.
func resumeHashes(u meta.Upload) (h256, h512 hash.Hash, err error) {
	h256, h512 = sha256.New(), sha512.New()
	for _, r := range []struct {
		h     hash.Hash
		state []byte
		name  string
	}{{h256, u.HashState, "SHA-256"}, {h512, u.SHA512State, "SHA-512"}} {
		um, ok := r.h.(encoding.BinaryUnmarshaler)
		if !ok {
			return nil, nil, fmt.Errorf("upload %s: %s cannot resume", u.ID, r.name)
		}
		if err := um.UnmarshalBinary(r.state); err != nil {
			return nil, nil, fmt.Errorf("upload %s: saved %s state: %w", u.ID, r.name, err)
		}
	}
	return h256, h512, nil
}

func marshalHash(h hash.Hash) ([]byte, error) {
	m, ok := h.(encoding.BinaryMarshaler)
	if !ok {
		return nil, fmt.Errorf("%T cannot save its state", h)
	}
	return m.MarshalBinary()
}

// sessionSums are the SHA-256 and SHA-512 (hex) of every byte session u
// received, from its saved states: nothing is read back.
func sessionSums(u meta.Upload) (sum256, sum512 string, err error) {
	h256, h512, err := resumeHashes(u)
	if err != nil {
		return "", "", err
	}
	return hex.EncodeToString(h256.Sum(nil)), hex.EncodeToString(h512.Sum(nil)), nil
}

package transfer

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
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

// freshHashState is the marshaled SHA-256 state of a chunked session
// before its first byte.
func freshHashState() ([]byte, error) { return marshalHash(sha256.New()) }

// resumeHash continues the running SHA-256 saved on session u.
func resumeHash(u meta.Upload) (hash.Hash, error) {
	h := sha256.New()
	um, ok := h.(encoding.BinaryUnmarshaler)
	if !ok {
		return nil, fmt.Errorf("upload %s: SHA-256 cannot resume", u.ID)
	}
	if err := um.UnmarshalBinary(u.HashState); err != nil {
		return nil, fmt.Errorf("upload %s: saved SHA-256 state: %w", u.ID, err)
	}
	return h, nil
}

func marshalHash(h hash.Hash) ([]byte, error) {
	m, ok := h.(encoding.BinaryMarshaler)
	if !ok {
		return nil, fmt.Errorf("%T cannot save its state", h)
	}
	return m.MarshalBinary()
}

// sessionSum is the SHA-256 (hex) of every byte session u received, from
// its saved state: nothing is read back.
func sessionSum(u meta.Upload) (string, error) {
	h, err := resumeHash(u)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// sha512Of is the SHA-512 (hex) of the bytes open session u received,
// read back once from its chunks: only a session finished with a sha512:
// digest pays for it (ADR 0010 §3), not every push.
func (s *Service) sha512Of(ctx context.Context, u meta.Upload) (string, error) {
	names, err := s.chunkNames(ctx, u)
	if err != nil {
		return "", err
	}
	pr := &partsReader{ctx: ctx, store: s.store, names: names}
	defer pr.Close()
	h := sha512.New()
	n, err := io.Copy(h, pr)
	if err != nil {
		return "", fmt.Errorf("upload %s: read back for SHA-512: %w", u.ID, err)
	}
	if n != u.Received {
		return "", fmt.Errorf("upload %s: read back %d bytes for SHA-512, the session counts %d", u.ID, n, u.Received)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
